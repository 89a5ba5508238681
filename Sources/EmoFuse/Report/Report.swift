import Foundation

/// Writes `report.md` and `figures/*.svg` into the run folder.
public enum Report {
    public static func write(_ result: SystemResult, config: RunConfiguration, context: RunContext) throws {
        let dataset = try context.dataset()
        var md = "# EmoFuse run report\n\n"
        let counts = Partition.allCases.map { "\(dataset.subjects(in: $0).count) \($0.rawValue)" }.joined(separator: ", ")
        md += "Data: `\(context.data.path)` (\(counts) subjects). Run folder: `\(context.run.path)`.\n"
        if FileManager.default.fileExists(atPath: context.data.appendingPathComponent("synth.json").path) {
            md += "\n**These data are synthetic** (made by `emofuse synth`). The numbers below say how the system behaves on them; "
                + "they say nothing about its performance on the real Ulm-TSST data. The paper's columns are quoted for orientation only.\n"
        }
        md += "\n## Final system (the paper's Table 9 form)\n\n"
        md += finalTable(result.fusion, emotions: config.emotions)
        md += "\nFusion of \(config.fusionSets.sets.joined(separator: " + ")) predictions"
            + (config.fusion.withRE ? " + their reconstruction errors" : "")
            + (config.fusion.outOfFold > 1 ? ", trained on \(config.fusion.outOfFold)-fold out-of-fold train predictions" : ", trained on in-sample train predictions (as the paper)")
            + ". Test CCC needs labels: \(context.testKey == nil ? "none were given (the test partition's labels are withheld)" : "scored against `\(context.testKey!.root.path)`").\n"

        md += "\n## Unimodal regressors (devel CCC)\n\n"
        md += "| feature set | " + config.emotions.joined(separator: " | ") + " |\n|---|" + String(repeating: "---|", count: config.emotions.count) + "\n"
        let sets = result.regressors.map { $0.inputs[0] }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        for set in sets {
            let cells = config.emotions.map { e in
                result.regressors.first { $0.inputs[0] == set && $0.emotion == e }.flatMap { $0.scores["devel"] }.map(fmt) ?? "–"
            }
            md += "| \(set)\(config.withRE ? " + RE" : "") | " + cells.joined(separator: " | ") + " |\n"
        }
        if !result.autoencoders.isEmpty {
            md += "\n## Auto-encoders (mean per-step reconstruction error)\n\n| feature set | train | devel | test | epochs |\n|---|---|---|---|---|\n"
            for o in result.autoencoders {
                md += "| \(o.inputs[0]) | " + ["train", "devel", "test"].map { o.scores[$0].map(fmt) ?? "–" }.joined(separator: " | ")
                    + " | \(o.candidates.first?.epochs ?? 0) |\n"
            }
        }
        md += "\n## Models\n\n| model | inputs | chosen | devel | epochs (best) | seconds |\n|---|---|---|---|---|---|\n"
        for o in result.autoencoders + result.regressors + result.fusion {
            let c = o.candidates.first { $0.candidate == o.chosen }
            md += "| \(o.name) | \(o.inputs.joined(separator: ", ")) | \(o.chosen.label) | \(fmt(o.develMetric)) | \(c.map { "\($0.epochs) (\($0.bestEpoch))" } ?? "–") | \(String(format: "%.1f", o.seconds)) |\n"
        }
        if !result.robustness.isEmpty {
            md += "\n## Robustness: does RE help the fusion model where a modality is corrupted?\n\n"
            md += "The paper leaves this open. Fusion of the same unimodal predictions with and without their REs, "
                + "scored (CCC) on all frames, on frames where any fused feature set is corrupted (recorded by the synthetic "
                + "generator) or clean, and on frames where any fused set's RE is above its 90th percentile over the partition (high) or none is (low)."
                + (config.grid.seeds.count == 1 ? " One seed per model: differences of a few hundredths are within seed-to-seed noise." : "") + "\n\n"
            md += "| emotion | partition | subset | frames | with RE | without RE | difference |\n|---|---|---|---|---|---|---|\n"
            for r in result.robustness {
                md += "| \(r.emotion) | \(r.partition) | \(r.subset) | \(r.frames) | \(fmt(r.withRE)) | \(fmt(r.withoutRE)) | \(String(format: "%+.4f", r.withRE - r.withoutRE)) |\n"
            }
        }
        if let experiments = result.experiments {
            md += "\n## The paper's experiments on these data\n"
            for t in experiments.tables { md += "\n" + table(t) }
        }
        md += "\n## Figures\n\n"
        for figure in try Figures.write(result, config: config, context: context, dataset: dataset) {
            md += "![\(figure.caption)](\(figure.path))\n\n"
        }
        try AtomicFile.write(md, to: context.run.appendingPathComponent("report.md"))
    }

    /// The Table 9 rows: devel and test CCC per emotion and combined, beside the paper's.
    public static func finalTable(_ fusion: [ModelOutcome], emotions: [String]) -> String {
        var md = "| partition | emotion | MuSe 2021 baseline (paper) | Hamieh et al. (paper) | this run |\n|---|---|---|---|---|\n"
        for partition in ["devel", "test"] {
            var values: [Double] = []
            for e in emotions {
                let v = fusion.first { $0.emotion == e }?.scores[partition]
                if let v { values.append(v) }
                let ref = PaperNumbers.final[partition]?[e]
                md += "| \(partition) | \(e) | \(ref.map { fmt($0.baseline) } ?? "–") | \(ref.map { fmt($0.paper) } ?? "–") | \(v.map(fmt) ?? "–") |\n"
            }
            if emotions.count > 1 {
                let ref = PaperNumbers.final[partition]?["combined"]
                let combined = values.count == emotions.count ? fmt(values.reduce(0, +) / Double(values.count)) : "–"
                md += "| \(partition) | combined | \(ref.map { fmt($0.baseline) } ?? "–") | \(ref.map { fmt($0.paper) } ?? "–") | \(combined) |\n"
            }
        }
        return md
    }

    public static func table(_ t: ExperimentTable) -> String {
        var md = "### Table \(t.id): \(t.title)\n\n| | " + t.columns.map { "\($0) (run / paper)" }.joined(separator: " | ") + " |\n|---|"
            + String(repeating: "---|", count: t.columns.count) + "\n"
        for row in t.rows {
            let cells = zip(row.values, row.paper).map { v, p in "\(v.map(fmt) ?? "–") / \(p.map(fmt) ?? "–")" }
            md += "| \(row.label) | " + cells.joined(separator: " | ") + " |\n"
        }
        return md
    }

    public static func fmt(_ x: Double) -> String { x.isFinite ? String(format: "%.4f", x) : "–" }
}
