import Foundation
import SeqNet

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
        let study = result.experiments ?? ExperimentResults(tables: [])
        let museShaped = result.paperShaped
        let seeds = study.seeds.count
        md += "\nEvery score is a global CCC: the mean over \(seeds) seed\(seeds == 1 ? "" : "s")"
            + (seeds > 1 ? " ± their standard deviation" : "")
            + ", and in brackets a 95% interval from a bootstrap over subjects (\(Bootstrap.resamples) resamples of the partition's subjects,"
            + " CCC recomputed from the written predictions\(seeds > 1 ? ", averaged over seeds" : "")).\n"
        if !museShaped { md += "\nThese data do not have MuSe-Stress's feature sets, so the paper's numbers are not shown.\n" }

        md += "\n## Final system (the paper's Table 9 form)\n\n"
        md += finalTable(study, emotions: config.emotions, paper: museShaped)
        let withheld = try testWithheld(config: config, context: context, dataset: dataset)
        md += "\nFusion of \(config.fusionSets.sets.joined(separator: " + ")) predictions"
            + (config.fusion.withRE ? " + their reconstruction errors" : "")
            + (config.fusion.outOfFold > 1 ? ", trained on \(config.fusion.outOfFold)-fold out-of-fold train predictions" : ", trained on in-sample train predictions (as the paper)")
            + ". " + (withheld ? "The test partition's labels are withheld and no `--test-key` was given, so test is not scored."
                      : context.testKey.map { "Test is scored against `\($0.root.path)`." } ?? "Test is scored against the dataset's own test labels.") + "\n"

        md += "\n## Unimodal regressors (devel CCC)\n\n"
        md += "| feature set | " + config.emotions.joined(separator: " | ") + " |\n|---|" + String(repeating: "---|", count: config.emotions.count) + "\n"
        var sets: [String] = []
        for set in config.featureSets + config.fusionSets.sets where !sets.contains(set) { sets.append(set) }
        for set in sets {
            let cells = config.emotions.map { e in study.models[ModelName.regressor([set], e)]?["devel"]?.text ?? "–" }
            if cells.allSatisfy({ $0 == "–" }) { continue }
            md += "| \(set)\(config.withRE ? " + RE" : "") | " + cells.joined(separator: " | ") + " |\n"
        }
        if !study.claims.isEmpty {
            md += "\n## What these data say about the paper's claims\n\n"
            md += claimsTable(study.claims, seeds: seeds)
        }
        if !result.autoencoders.isEmpty {
            md += "\n## Auto-encoders (mean per-step reconstruction error, first seed)\n\n"
            md += "Out-of-fold REs (`reOutOfFold` > 1) come from auto-encoders that did not see the subject (train) or from the mean "
                + "of the fold auto-encoders (devel, test); `insample` is the auto-encoder trained on every train subject. A train RE "
                + "far below devel/test RE means the downstream models learn from an RE distribution they never see again.\n\n"
            md += "| feature set | RE | train | devel | test | epochs (best) |\n|---|---|---|---|---|---|\n"
            for o in result.autoencoders where firstSeed(o.name, plan: result.plan) {
                let c = o.candidates.first
                let epochs = c.map { "\($0.epochs) (\($0.bestEpoch))" } ?? "–"
                if o.folds > 1 {
                    md += "| \(o.inputs[0]) | out-of-fold (\(o.folds) folds) | " + ["train-oof", "devel-oof", "test-oof"].map { o.scores[$0].map(fmt) ?? "–" }.joined(separator: " | ") + " | \(epochs) |\n"
                }
                md += "| \(o.inputs[0]) | \(o.folds > 1 ? "in-sample" : "in-sample (train) / held out") | " + ["train", "devel", "test"].map { o.scores[$0].map(fmt) ?? "–" }.joined(separator: " | ")
                    + " | \(epochs) |\n"
                for t in config.reTransforms where o.scores["devel-\(t.rawValue)"] != nil {
                    md += "| \(o.inputs[0]) | \(t.rawValue)\(o.folds > 1 ? " of out-of-fold" : "") | "
                        + ["train", "devel", "test"].map { o.scores["\($0)-\(t.rawValue)"].map(fmt) ?? "–" }.joined(separator: " | ") + " | |\n"
                }
            }
        }
        if !study.reVariants.isEmpty {
            md += "\n## RE variants: does RE's effect on fusion survive?\n\n"
            md += "The same fusion model fed the system's REs, "
                + (config.reOutOfFold > 1 ? "the in-sample REs (`re-<set>-insample`, as the paper), " : "")
                + (config.reTransforms.isEmpty ? "" : "transformed REs (`re-<set>-<transform>`: "
                   + config.reTransforms.map(\.rawValue).joined(separator: ", ") + "; the subject transforms remove each recording's own RE level), ")
                + "or no RE; paired differences of global CCC. If RE helps only in-sample, or only before its per-subject level is "
                + "removed, its effect is an artefact of the RE shift between partitions or people (see the auto-encoder table), "
                + "not a per-frame difficulty signal.\n\n| comparison | partition | difference |\n|---|---|---|\n"
            for x in study.reVariants { md += "| \(x.label) | \(x.partition) | \(x.difference.signedText) |\n" }
        }
        md += causalCostSection(study)
        md += "\n## Models\n\n| model | inputs | chosen | auto-encoder devel MSE | devel CCC | epochs (best) | seconds |\n|---|---|---|---|---|---|---|\n"
        for o in result.autoencoders + result.regressors + result.fusion {
            let c = o.candidates.first { $0.candidate == o.chosen }
            let mse = o.role == .autoencoder ? fmt(o.develMetric) : "", ccc = o.role == .autoencoder ? "" : fmt(o.develMetric)
            md += "| \(o.name) | \(o.inputs.joined(separator: ", ")) | \(o.chosen.label) | \(mse) | \(ccc) | \(c.map { "\($0.epochs) (\($0.bestEpoch))" } ?? "–") | \(String(format: "%.1f", o.seconds)) |\n"
        }
        md += workTable(result.autoencoders + result.regressors + result.fusion,
                        threads: max(1, config.training.threads / max(1, context.jobs)))
        if !result.robustness.isEmpty {
            md += "\n## Robustness: does RE help the fusion model where a modality is corrupted?\n\n"
            md += "The paper leaves this open. Fusion of the same unimodal predictions with and without their REs, "
                + "scored (CCC) on all frames, on frames where any fused feature set is corrupted (recorded by the synthetic "
                + "generator) or clean, and on frames where any fused set's RE is above its 90th percentile over the partition (high) or none is (low; "
                + "this split is circular: it selects frames by the quantity under test). `emofuse robustness` corrupts any dataset's devel/test inputs on purpose.\n\n"
            md += robustnessTable(result.robustness)
        }
        if !result.corruption.isEmpty {
            md += "\n## Robustness to controlled corruption (`emofuse robustness`)\n\n"
            md += "The devel/test inputs were corrupted on purpose (seeded; train untouched) and pushed through the trained chain "
                + "(REs, unimodal predictions and both fusion twins recomputed from their checkpoints). Corrupted frames are those "
                + "inside a corrupted stretch of any fused set.\n\n"
            md += "| corruption | " + robustnessTable([]).split(separator: "\n")[0].dropFirst(2) + "\n|---|---|---|---|---|---|---|---|\n"
            for c in result.corruption {
                for line in robustnessTable(c.rows).split(separator: "\n").dropFirst(2) { md += "| \(c.spec.tag) (seed \(c.seed)) \(line)\n" }
            }
        }
        if !study.tables.isEmpty {
            md += "\n## The paper's experiments on these data\n"
            for t in study.tables { md += "\n" + table(t, paper: museShaped) }
        }
        md += "\n## Figures\n\n"
        for figure in try Figures.write(result, config: config, context: context, dataset: dataset) {
            md += "![\(figure.caption)](\(figure.path))\n\n"
        }
        try AtomicFile.write(md, to: context.run.appendingPathComponent("report.md"))
    }

    /// "Where the time went": training seconds and counted work per stage (the models' own
    /// records, so models reused from an earlier invocation count with their original time), and
    /// the achieved speed against the engine's GEMM peak measured now with the models' threads.
    /// The peak is measured (about 1 s) only when the models trained for 20 s or more: for a
    /// short run the share would mostly measure start-up, and the section says so.
    static func workTable(_ models: [ModelOutcome], threads: Int) -> String {
        let stages: [(String, ModelRole)] = [("auto-encoders", .autoencoder), ("regressors", .regressor), ("fusion", .fusion)]
        let rows = stages.compactMap { name, role -> (String, Int, Double, Double?)? in
            let ms = models.filter { $0.role == role }
            guard !ms.isEmpty else { return nil }
            let counted = ms.allSatisfy { $0.gflop != nil }
            return (name, ms.count, ms.reduce(0) { $0 + $1.seconds },
                    counted ? ms.reduce(0) { $0 + ($1.gflop ?? 0) } : nil)
        }
        guard !rows.isEmpty else { return "" }
        let seconds = rows.reduce(0) { $0 + $1.2 }
        let peak = seconds >= 20 ? GemmPeak.measure(threads: threads).wall : nil
        var md = "\n## Where the time went\n\n"
        md += "Training time of each stage (the sum of its models' seconds, grid candidates and fold models included) and its "
            + "counted work (2·m·n·k per GEMM the engine issues plus the gate kernels, as `emofuse bench train --help` explains), "
            + (peak.map { String(format: "against the engine's GEMM peak measured when this report was written (%.1f GFLOP/s with %d thread%@)", $0, threads, threads == 1 ? "" : "s") }
               ?? "without a share of peak (the models trained for under 20 s in all, too little to compare)")
            + ". Loading data, writing outputs and scoring are in the seconds but not in the work.\n\n"
        md += "| stage | models | seconds | share of time | counted GFLOP | GFLOP/s | share of GEMM peak |\n|---|---|---|---|---|---|---|\n"
        for (name, count, s, gflop) in rows + [("all", rows.reduce(0) { $0 + $1.1 }, seconds,
                                                 rows.allSatisfy { $0.3 != nil } ? rows.reduce(0) { $0 + ($1.3 ?? 0) } : nil)] {
            let speed = gflop.map { s > 0 ? $0 / s : 0 }
            md += "| \(name) | \(count) | \(String(format: "%.1f", s)) | \(String(format: "%.0f%%", seconds > 0 ? 100 * s / seconds : 0)) | "
                + (gflop.map { String(format: "%.1f", $0) } ?? "–") + " | " + (speed.map { String(format: "%.1f", $0) } ?? "–") + " | "
                + (speed.flatMap { v in peak.map { String(format: "%.0f%%", 100 * v / $0) } } ?? "–") + " |\n"
        }
        return md
    }

    /// The Table 9 rows: devel and test CCC per emotion and combined, beside the paper's (MuSe-Stress-shaped data only).
    public static func finalTable(_ study: ExperimentResults, emotions: [String], paper: Bool) -> String {
        var md = paper ? "| partition | emotion | MuSe 2021 baseline (paper) | Hamieh et al. (paper) | this run |\n|---|---|---|---|---|\n"
                       : "| partition | emotion | this run |\n|---|---|---|\n"
        func row(_ partition: String, _ emotion: String, _ value: String) {
            let ref = PaperNumbers.final[partition]?[emotion.hasPrefix("combined") ? "combined" : emotion]
            md += "| \(partition) | \(emotion) | " + (paper ? "\(ref.map { fmt($0.baseline) } ?? "–") | \(ref.map { fmt($0.paper) } ?? "–") | " : "")
                + "\(value) |\n"
        }
        for partition in ["devel", "test"] {
            var values: [Double] = []
            for e in emotions {
                let v = study.models[ModelName.fusion(e)]?[partition]
                if let v { values.append(v.mean) }
                row(partition, e, v?.text ?? "–")
            }
            if emotions.count > 1 {
                row(partition, "combined (mean)", values.count == emotions.count ? fmt(values.reduce(0, +) / Double(values.count)) : "–")
            }
        }
        return md
    }

    static func robustnessTable(_ rows: [RobustnessRow]) -> String {
        var md = "| emotion | partition | subset | frames | with RE | without RE | difference |\n|---|---|---|---|---|---|---|\n"
        for r in rows {
            md += "| \(r.emotion) | \(r.partition) | \(r.subset) | \(r.frames) | \(r.withREEstimate?.text ?? fmt(r.withRE)) | "
                + "\(r.withoutREEstimate?.text ?? fmt(r.withoutRE)) | \(r.difference?.signedText ?? String(format: "%+.4f", r.withRE - r.withoutRE)) |\n"
        }
        return md
    }

    public static func table(_ t: ExperimentTable, paper: Bool = true) -> String {
        var md = "### Table \(t.id): \(t.title)\n\n| | " + t.columns.map { paper ? "\($0) (run / paper)" : $0 }.joined(separator: " | ") + " |\n|---|"
            + String(repeating: "---|", count: t.columns.count) + "\n"
        for row in t.rows {
            let cells = t.columns.indices.map { i -> String in
                let v = row.estimates.indices.contains(i) ? row.estimates[i]?.text : row.values[i].map(fmt)
                return paper ? "\(v ?? "–") / \(row.paper[i].map(fmt) ?? "–")" : (v ?? "–")
            }
            md += "| \(row.label) | " + cells.joined(separator: " | ") + " |\n"
        }
        return md
    }

    /// Whether test cannot be scored: no key, and the dataset's test labels are empty.
    static func testWithheld(config: RunConfiguration, context: RunContext, dataset: MuseDataset) throws -> Bool {
        guard context.testKey == nil, let emotion = config.emotions.first else { return false }
        let gold = try GoldLabels(dataset: dataset, emotion: emotion, testKey: nil)
        return !dataset.subjects(in: .test).contains { gold.labels(for: $0) != nil }
    }

    /// Whether `name` is a model of the plan's first seed (every model when there is one seed).
    static func firstSeed(_ name: String, plan: Plan) -> Bool {
        guard let seeds = plan.seeds, seeds.count > 1 else { return true }
        return name.hasSuffix("-s\(seeds[0])")
    }

    public static func fmt(_ x: Double) -> String { x.isFinite ? String(format: "%.4f", x) : "–" }
}
