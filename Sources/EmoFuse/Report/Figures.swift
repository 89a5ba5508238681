import Foundation

/// The report's SVG figures: gold vs fused prediction, reconstruction error over time (with the
/// corrupted stretches of synthetic data shaded), and training curves.
enum Figures {
    struct Figure { let caption: String; let path: String }

    static func write(_ result: SystemResult, config: RunConfiguration, context: RunContext,
                      dataset: MuseDataset) throws -> [Figure] {
        var figures: [Figure] = []
        let folder = context.run.appendingPathComponent("figures")
        let devel = dataset.subjects(in: .devel).prefix(3).map(\.id)
        let corruption = CorruptionMap.load(dataRoot: context.data)

        let fusions = result.fusion.filter { Report.firstSeed($0.name, plan: result.plan) }
        for fusion in fusions {
            guard let emotion = fusion.emotion else { continue }
            let predicted = try dataset.featureSet(fusion.name)
            let gold = try dataset.labels(emotion)
            for id in devel {
                guard let p = predicted.sequences[id], let g = gold.sequences[id] else { continue }
                var chart = SVGChart(title: "\(emotion), devel subject \(id): gold vs fused prediction", xLabel: "time (s)", yLabel: emotion)
                chart.series = [
                    .init(label: "gold", color: SVGChart.palette[0], points: points(g.timestamps, g.values)),
                    .init(label: "fusion", color: SVGChart.palette[1], points: points(p.timestamps, p.values)),
                ]
                let name = "prediction-\(emotion)-\(id).svg"
                try AtomicFile.write(chart.render(), to: folder.appendingPathComponent(name))
                figures.append(Figure(caption: "\(emotion), devel \(id)", path: "figures/\(name)"))
            }
        }
        for ae in result.autoencoders where Report.firstSeed(ae.name, plan: result.plan) {
            let set = ae.inputs[0]
            guard let id = devel.first, let re = try dataset.featureSet(ae.name).sequences[id] else { continue }
            var chart = SVGChart(title: "Reconstruction error of \(set), devel subject \(id)", xLabel: "time (s)", yLabel: "RE")
            chart.series = [.init(label: "RE", color: SVGChart.palette[2], points: points(re.timestamps, re.values))]
            chart.bands = corruption.stretches(set: set, id: id).map { ($0.from / 1000, $0.to / 1000) }
            chart.bandLabel = "corrupted (synthetic)"
            let name = "re-\(set)-\(id).svg"
            try AtomicFile.write(chart.render(), to: folder.appendingPathComponent(name))
            figures.append(Figure(caption: "RE \(set), devel \(id)", path: "figures/\(name)"))
        }
        var curves = SVGChart(title: "Training curves of the fusion models (chosen candidate)", xLabel: "epoch", yLabel: "devel CCC")
        for (i, fusion) in fusions.enumerated() {
            let index = fusion.candidates.firstIndex { $0.candidate == fusion.chosen } ?? 0
            let log = TrainingLog.read(context.logURL(fusion.name)).filter { $0.candidate == index }
            curves.series.append(.init(label: fusion.name, color: SVGChart.palette[i % SVGChart.palette.count],
                                       points: log.map { (Double($0.epoch), $0.develMetric) }))
        }
        if !curves.series.isEmpty {
            try AtomicFile.write(curves.render(), to: folder.appendingPathComponent("training-fusion.svg"))
            figures.append(Figure(caption: "training curves", path: "figures/training-fusion.svg"))
        }
        return figures
    }

    static func points(_ timestamps: [Int64], _ values: [Float]) -> [(x: Double, y: Double)] {
        zip(timestamps, values).filter { !$0.1.isNaN }.map { (Double($0.0) / 1000, Double($0.1)) }
    }
}

/// Per-epoch training log lines as written by the stages (`logs/<model>.jsonl`).
struct TrainingLog {
    var candidate: Int
    var epoch: Int
    var develMetric: Double

    static func read(_ url: URL) -> [TrainingLog] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let c = obj["candidate"] as? Int, let e = obj["epoch"] as? Int,
                  let m = obj["devel_metric"] as? Double else { return nil }
            return TrainingLog(candidate: c, epoch: e, develMetric: m)
        }
    }
}
