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
            chart.yFloor = 0
            let name = "re-\(set)-\(id).svg"
            try AtomicFile.write(chart.render(), to: folder.appendingPathComponent(name))
            figures.append(Figure(caption: "RE \(set), devel \(id)", path: "figures/\(name)"))
        }
        // The robustness curve: with RE − without RE on corrupted devel frames, per corruption kind, against its strength.
        for emotion in config.emotions where !result.corruption.isEmpty {
            var chart = SVGChart(title: "Fusion with − without RE on corrupted devel frames, \(emotion)",
                                 xLabel: "fraction of devel frames corrupted", yLabel: "CCC difference")
            let clean = result.robustness.first { $0.emotion == emotion && $0.partition == "devel" && $0.subset == "all" }
            let kinds = result.corruption.map { "\($0.spec.target) \($0.spec.kind.rawValue)" }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            for (i, kind) in kinds.enumerated() {
                var points = clean.map { [(x: 0.0, y: $0.withRE - $0.withoutRE)] } ?? []
                for c in result.corruption where "\(c.spec.target) \(c.spec.kind.rawValue)" == kind {
                    if let row = c.rows.first(where: { $0.emotion == emotion && $0.partition == "devel" && $0.subset == "corrupted" }) {
                        points.append((c.spec.fraction, row.withRE - row.withoutRE))
                    }
                }
                chart.series.append(.init(label: kind, color: SVGChart.palette[i % SVGChart.palette.count], points: points.sorted { $0.x < $1.x }))
            }
            chart.markers = true
            chart.zeroLine = true
            let name = "robustness-curve-\(emotion).svg"
            try AtomicFile.write(chart.render(), to: folder.appendingPathComponent(name))
            figures.append(Figure(caption: "robustness curve, \(emotion)", path: "figures/\(name)"))
        }
        // Training curves of the chosen candidates: train loss and devel metric, epoch by epoch.
        var loss = SVGChart(title: "Fusion models: train loss (chosen candidate)", xLabel: "epoch", yLabel: "train loss")
        var metric = SVGChart(title: "Fusion models: devel CCC (chosen candidate)", xLabel: "epoch", yLabel: "devel CCC")
        for (i, fusion) in fusions.enumerated() {
            let index = fusion.candidates.firstIndex { $0.candidate == fusion.chosen } ?? 0
            let log = TrainingLog.read(context.logURL(fusion.name)).filter { $0.candidate == index }
            let color = SVGChart.palette[i % SVGChart.palette.count]
            loss.series.append(.init(label: fusion.name, color: color, points: log.map { (Double($0.epoch), $0.trainLoss) }))
            metric.series.append(.init(label: fusion.name, color: color, points: log.map { (Double($0.epoch), $0.develMetric) }))
        }
        if !metric.series.isEmpty {
            for (chart, name) in [(loss, "training-fusion-loss.svg"), (metric, "training-fusion.svg")] {
                try AtomicFile.write(chart.render(), to: folder.appendingPathComponent(name))
                figures.append(Figure(caption: chart.title, path: "figures/\(name)"))
            }
        }
        // The auto-encoders: train loss and devel reconstruction MSE (do they converge?).
        var aeLoss = SVGChart(title: "Auto-encoders: train loss", xLabel: "epoch", yLabel: "train MSE")
        var aeDevel = SVGChart(title: "Auto-encoders: devel reconstruction MSE", xLabel: "epoch", yLabel: "devel MSE")
        aeLoss.yFloor = 0; aeDevel.yFloor = 0
        for (i, ae) in result.autoencoders.filter({ Report.firstSeed($0.name, plan: result.plan) }).enumerated() {
            let log = TrainingLog.read(context.logURL(ae.name)).filter { $0.candidate == 0 }
            let color = SVGChart.palette[i % SVGChart.palette.count]
            aeLoss.series.append(.init(label: ae.inputs[0], color: color, points: log.map { (Double($0.epoch), $0.trainLoss) }))
            aeDevel.series.append(.init(label: ae.inputs[0], color: color, points: log.map { (Double($0.epoch), $0.develMetric) }))
        }
        if !aeDevel.series.isEmpty {
            for (chart, name) in [(aeLoss, "training-autoencoders-loss.svg"), (aeDevel, "training-autoencoders.svg")] {
                try AtomicFile.write(chart.render(), to: folder.appendingPathComponent(name))
                figures.append(Figure(caption: chart.title, path: "figures/\(name)"))
            }
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
    var trainLoss: Double
    var develMetric: Double

    static func read(_ url: URL) -> [TrainingLog] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let c = obj["candidate"] as? Int, let e = obj["epoch"] as? Int,
                  let m = obj["devel_metric"] as? Double else { return nil }
            return TrainingLog(candidate: c, epoch: e, trainLoss: obj["train_loss"] as? Double ?? .nan, develMetric: m)
        }
    }
}
