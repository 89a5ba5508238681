import Foundation
import SeqNet

/// What one corruption of a finished run gave: the robustness rows of its fusion twins.
public struct CorruptionResult: Codable, Sendable, Equatable {
    public var spec: CorruptionSpec
    public var seed: UInt64
    /// The sub-run folder (relative to the run folder) holding its sets, record and rows.
    public var folder: String
    /// The feature sets corrupted.
    public var sets: [String]
    /// The models whose outputs were recomputed from the corrupted inputs.
    public var recomputed: [String]
    /// Digest of each checkpoint used (a result whose models were retrained since is stale).
    public var checkpoints: [String: String]
    public var rows: [RobustnessRow]
}

/// `emofuse robustness`: corrupts the devel/test inputs of a finished run in controlled, seeded
/// ways and pushes them through the trained chain (auto-encoders → REs → unimodal regressors →
/// fusion twins, from their checkpoints; nothing is trained), then compares the fusion model with
/// and without RE on corrupted vs clean frames. Each corruption writes into its own sub-run folder
/// `robustness/<tag>-seed<seed>/`, built in a staging folder and moved into place whole.
public enum CorruptionRun {
    public static func run(run: URL, specs: [CorruptionSpec], seed: UInt64, threads: Int = 2,
                           progress: ((String) -> Void)? = nil) throws -> [CorruptionResult] {
        let (plan, recorded) = try RunRecord.load(run: run)
        let context = try recorded.resolvingTestKey(nil)
        guard !plan.robustness.isEmpty else {
            throw ConfigurationError(file: run.appendingPathComponent("plan.json").path,
                                     message: "this run has no fusion twins with and without RE: rerun it with \"robustness\": true")
        }
        var options = context.loadOptions
        options.dropNaNRows = false   // outputs cover every label row, as in training
        let data = try MuseDataset(root: context.data, options: options)
        var results: [CorruptionResult] = []
        for spec in specs {
            let sets = try spec.sets(in: data)
            let folder = "robustness/\(spec.tag)-seed\(seed)"
            progress?("corrupting \(sets.joined(separator: ", ")) (\(spec.kind.rawValue), \(spec.fraction) of devel/test frames) → \(folder)")
            let staging = run.appendingPathComponent("robustness/.staging-\(spec.tag)-seed\(seed)")
            try? FileManager.default.removeItem(at: staging)
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)

            // 1. The corrupted inputs and where they are corrupted.
            var record = CorruptionRecord(spec: spec, seed: seed, stretches: [:])
            for set in sets {
                let fs = try data.featureSet(set)
                let (sequences, ranges) = Corruption.apply(spec, to: fs, subjects: data.subjects, seed: seed)
                try MuseWriter.writeFeatureSet(name: set, columns: fs.columnNames, sequences: sequences, to: staging)
                for (id, r) in ranges { record.stretches[set, default: [:]][id] = CorruptionRecord.milliseconds(r, fs.sequences[id]!.timestamps) }
            }
            try JSONFiles.write(record, to: staging.appendingPathComponent("corruption.json"))

            // 2. The trained chain, in plan order, for every model the fusion twins depend on whose inputs changed.
            var needed = Set<String>(), queue = plan.robustness.flatMap { plan.replicates($0.withRE) + plan.replicates($0.withoutRE) }
            while let name = queue.popLast() {
                guard needed.insert(name).inserted, let m = plan.model(name) else { continue }
                queue += m.upstream
            }
            var affected = Set(sets), recomputed: [String] = []
            for model in plan.models where needed.contains(model.name) && model.inputs.contains(where: affected.contains) {
                progress?("  recomputing \(model.name)")
                try recompute(model, run: run, staging: staging, context: context, options: options, threads: threads)
                affected.formUnion(model.outputs)
                recomputed.append(model.name)
            }
            guard plan.robustness.contains(where: { pair in plan.replicates(pair.withRE).contains(where: affected.contains) }) else {
                throw ConfigurationError(file: "--corrupt", message: "corrupting \(sets.joined(separator: ", ")) changes no fusion model's inputs (fused sets: \(plan.robustness[0].sets.joined(separator: ", ")))")
            }

            // 3. Fusion with vs without RE on corrupted vs clean frames of the corrupted inputs.
            let view = try MuseDataset(root: context.data, overlays: [staging, run], options: context.loadOptions)
            let rows = try Robustness.analyse(plan.robustness, plan: plan, context: context,
                                              corrupted: { record.isCorrupted(sets: $0, id: $1, timestamp: $2) },
                                              dataset: view, write: false).filter { $0.subset != "high RE" && $0.subset != "low RE" }
            let result = CorruptionResult(spec: spec, seed: seed, folder: folder, sets: sets, recomputed: recomputed,
                                          checkpoints: checkpointDigests(plan: plan, models: recomputed, run: run), rows: rows)
            try JSONFiles.write(result, to: staging.appendingPathComponent("robustness.json"))
            let target = run.appendingPathComponent(folder)
            try? FileManager.default.removeItem(at: target)
            try FileManager.default.moveItem(at: staging, to: target)
            results.append(result)
        }
        return results
    }

    /// Every current corruption result in run folder `run` (`robustness/*/robustness.json`), by tag:
    /// those made with the checkpoints the run holds now (a retrained model makes its results stale).
    public static func results(run: URL) -> [CorruptionResult] {
        let root = run.appendingPathComponent("robustness")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        guard let (plan, _) = try? RunRecord.load(run: run) else { return [] }
        return names.compactMap { name in
            guard let data = try? Data(contentsOf: root.appendingPathComponent("\(name)/robustness.json")),
                  let result = try? JSONFiles.decode(CorruptionResult.self, from: data),
                  checkpointDigests(plan: plan, models: result.recomputed, run: run) == result.checkpoints else { return nil }
            return result
        }
    }

    /// FNV-1a digests of the checkpoints (and fold checkpoints) of `models`, by file name.
    static func checkpointDigests(plan: Plan, models: [String], run: URL) -> [String: String] {
        var out: [String: String] = [:]
        for name in models {
            let folds = plan.model(name).map { $0.role == .autoencoder && $0.folds > 1 ? $0.folds : 0 } ?? 0
            for file in ["\(name).safetensors"] + (0..<folds).map({ ModelName.foldCheckpoint(name, fold: $0) }) {
                let data = (try? Data(contentsOf: run.appendingPathComponent("checkpoints/\(file)"))) ?? Data()
                out[file] = String(fnv1a64(data), radix: 16)
            }
        }
        return out
    }

    /// Runs `model`'s checkpoint (and its fold checkpoints) over inputs read from `staging` first,
    /// then the run folder, then the data; writes its output sets into `staging`. Train rows of
    /// out-of-fold sets are copied from the run folder (train inputs are never corrupted).
    static func recompute(_ model: PlannedModel, run: URL, staging: URL, context: RunContext, options: LoadOptions,
                          threads: Int) throws {
        let view = try MuseDataset(root: context.data, overlays: [staging, run], options: options)
        let (network, card) = try ModelStore.load(from: run.appendingPathComponent("checkpoints/\(model.name).safetensors"))
        network.threads = max(1, threads)
        let aligned = try view.aligned(featureSets: card.inputs, emotions: card.emotion.map { [$0] } ?? [], normalizer: card.normalizer)
        let data = card.role == .autoencoder ? ModelData.autoencoder(aligned) : ModelData.regression(aligned, emotion: card.emotion!)
        let outputs = ModelOutputs.compute(network, role: card.role, data: data)
        /// `values` with the train rows of the run folder's own set `name`.
        func withOriginalTrainRows(_ values: [[Float]], _ name: String) throws -> [[Float]] {
            let original = try MuseDataset(root: context.data, overlays: [run], options: options).featureSet(name)
            return zip(aligned.subjects, values).map { s, v in
                s.partition == .train ? (original.sequences[s.id]?.values ?? v) : v
            }
        }
        guard model.folds > 1 else {
            try ModelOutputs.write(name: model.name, role: card.role, values: outputs, aligned: aligned, to: staging)
            if card.role == .autoencoder { _ = try ModelOutputs.writeTransforms(model, re: outputs, aligned: aligned, data: data, to: staging) }
            return
        }
        if card.role == .autoencoder {
            let folds = try (0..<model.folds).map { k -> SequenceNetwork in
                let (n, _) = try ModelStore.load(from: run.appendingPathComponent("checkpoints/\(ModelName.foldCheckpoint(model.name, fold: k))"))
                n.threads = max(1, threads)
                return n
            }
            let foldREs = folds.map { ModelOutputs.compute($0, role: .autoencoder, data: data) }
            let mean = data.sequences.indices.map { i in ModelTraining.meanOf(foldREs.map { $0[i] }) }
            let re = try withOriginalTrainRows(mean, model.name)
            try ModelOutputs.write(name: model.name, role: card.role, values: re, aligned: aligned, to: staging)
            try ModelOutputs.write(name: ModelName.inSample(model.name), role: card.role, values: outputs, aligned: aligned, to: staging)
            _ = try ModelOutputs.writeTransforms(model, re: re, aligned: aligned, data: data, to: staging)
        } else {
            try ModelOutputs.write(name: model.name, role: card.role, values: outputs, aligned: aligned, to: staging)
            let oof = ModelName.outOfFold(model.name)
            try ModelOutputs.write(name: oof, role: card.role, values: try withOriginalTrainRows(outputs, oof), aligned: aligned, to: staging)
        }
    }
}
