import Foundation
import Testing
import SeqNet
@testable import EmoFuse

/// Out-of-fold reconstruction errors on the `tiny` preset, checked against the fold checkpoints.
@Suite(.serialized) struct OutOfFoldRETests {
    static let root: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("emofuse-oofre-\(getpid())")
        try? FileManager.default.removeItem(at: url)
        return url
    }()

    static func settings() -> ModelSettings {
        var s = ModelSettings(network: NetworkShape(hiddenSize: 8, layers: 1))
        s.grid.seeds = [4]
        s.training.maxEpochs = 4
        s.training.windowLength = 60; s.training.windowHop = 30; s.training.batchSize = 16; s.training.threads = 2
        return s
    }

    static let context: Result<RunContext, Error> = Result {
        let data = root.appendingPathComponent("data")
        _ = try generateSyntheticDataset(preset: .tiny, seed: 8, to: data, overwrite: false, threads: 2) { _ in }
        var o = LoadOptions()
        o.cacheDirectory = root.appendingPathComponent("cache")
        let context = RunContext(data: data, run: root.appendingPathComponent("run"), loadOptions: o)
        _ = try Stages.autoencode(set: "egemaps", folds: 3, settings: settings(), context: context)
        return context
    }

    @Test func trainREComesFromTheFoldThatHeldItOutAndDevelTestFromTheFoldMean() throws {
        let context = try Self.context.get()
        let dataset = try context.dataset()
        let checkpoints = context.run.appendingPathComponent("checkpoints")
        let (full, card) = try ModelStore.load(from: checkpoints.appendingPathComponent("re-egemaps.safetensors"))
        let folds = try (0..<3).map { try ModelStore.load(from: checkpoints.appendingPathComponent(ModelName.foldCheckpoint("re-egemaps", fold: $0))).network }
        let aligned = try dataset.aligned(featureSets: ["egemaps"], emotions: [], normalizer: card.normalizer)
        let data = ModelData.autoencoder(aligned)
        let foldRE = folds.map { ModelOutputs.compute($0, role: .autoencoder, data: data) }
        let fullRE = ModelOutputs.compute(full, role: .autoencoder, data: data)
        let held = ModelTraining.foldPlan(trainIDs: dataset.subjects(in: .train).map(\.id), folds: 3, seed: 4)
        let oof = try dataset.featureSet("re-egemaps"), inSample = try dataset.featureSet("re-egemaps-insample")
        func close(_ a: [Float], _ b: [Float]) -> Bool { a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) } }
        for (i, s) in data.sequences.enumerated() {
            let written = try #require(oof.sequences[s.id]?.values)
            #expect(close(try #require(inSample.sequences[s.id]?.values), fullRE[i]), "\(s.id): in-sample RE is the full auto-encoder's")
            if s.partition == .train {
                let k = try #require(held.firstIndex { $0.contains(s.id) })
                #expect(close(written, foldRE[k][i]), "train \(s.id): RE of fold \(k), which did not see it")
                #expect(!close(written, fullRE[i]), "train \(s.id): not the in-sample RE")
            } else {
                #expect(close(written, ModelTraining.meanOf(foldRE.map { $0[i] })), "\(s.partition) \(s.id): mean of the fold REs")
            }
        }
        // The marker records both distributions.
        let marker = try JSONFiles.decode(ModelOutcome.self, from: Data(contentsOf: context.metricsURL("re-egemaps")))
        #expect(marker.scores["train-oof"] != nil && marker.scores["devel-oof"] != nil && marker.scores["train"] != nil)
    }
}

extension EndToEndTests {
    /// The study's estimates are recomputed from the prediction files and agree with the models' own scores.
    @Test func studyEstimatesMatchTheModelsScores() throws {
        let result = try Self.result.get()
        let study = try #require(result.experiments)
        #expect(study.seeds == [3])
        for fusion in result.fusion {
            let estimates = try #require(study.models[fusion.name])
            for partition in ["devel", "test"] {
                let e = try #require(estimates[partition], "\(fusion.name) \(partition)")
                #expect(abs(e.mean - (fusion.scores[partition] ?? .nan)) < 1e-4, "\(fusion.name) \(partition)")
                #expect(e.low! <= e.high!)
                #expect(e.sd == nil && e.seeds.count == 1)
            }
        }
        #expect(study.claims.count == 6)
        let json = try JSONFiles.decode(ExperimentResults.self, from: Data(contentsOf: Self.run.appendingPathComponent("experiments.json")))
        #expect(json.models == study.models)
    }

    /// Corrupting a finished run is seeded and reproducible, leaves train untouched, and updates the report.
    @Test func corruptionOfAFinishedRunIsReproducibleAndDevelTestOnly() throws {
        _ = try Self.result.get()
        let specs = try CorruptionSpec.parseList("vggface:missing:0.3,egemaps:noise:0.4")
        let first = try CorruptionRun.run(run: Self.run, specs: specs, seed: 3)
        let bytes = try specs.map { try Data(contentsOf: Self.run.appendingPathComponent("robustness/\($0.tag)-seed3/robustness.json")) }
        let again = try CorruptionRun.run(run: Self.run, specs: specs, seed: 3)
        #expect(first == again)
        #expect(try specs.map { try Data(contentsOf: Self.run.appendingPathComponent("robustness/\($0.tag)-seed3/robustness.json")) } == bytes)

        let missing = first[0]
        #expect(missing.sets == ["vggface"])
        #expect(missing.recomputed.contains("re-vggface") && missing.recomputed.contains("pred-fusion-arousal"))
        #expect(!missing.recomputed.contains("re-egemaps"), "sets that were not corrupted are read from the run")
        #expect(missing.rows.contains { $0.subset == "corrupted" && $0.partition == "devel" })
        let dataset = try Self.context().dataset()
        let sub = Self.run.appendingPathComponent(missing.folder)
        let view = try MuseDataset(root: Self.data, overlays: [sub, Self.run])
        let corrupted = try view.featureSet("vggface"), original = try dataset.featureSet("vggface")
        let record = try JSONFiles.decode(CorruptionRecord.self, from: Data(contentsOf: sub.appendingPathComponent("corruption.json")))
        for s in dataset.subjects {
            let a = corrupted.sequences[s.id]!.values.map(\.bitPattern), b = original.sequences[s.id]!.values.map(\.bitPattern)
            if s.partition == .train {
                #expect(a == b, "train \(s.id) untouched")
                #expect(record.stretches["vggface"]?[s.id] == nil)
            } else {
                #expect(a != b, "\(s.partition) \(s.id) corrupted")
            }
        }
        // Predictions of train subjects are the run's own.
        let fusion = try view.featureSet("pred-fusion-arousal"), trained = try dataset.featureSet("pred-fusion-arousal")
        for s in dataset.subjects(in: .train) { #expect(fusion.sequences[s.id]?.values == trained.sequences[s.id]?.values) }

        try PaperSystem.report(run: Self.run)
        let report = try String(contentsOf: Self.run.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(report.contains("Robustness to controlled corruption"))
        #expect(report.contains("robustness-curve-arousal.svg"))
        #expect(report.contains("What these data say about the paper's claims"))
        #expect(throws: ConfigurationError.self) { try CorruptionRun.run(run: Self.run, specs: try CorruptionSpec.parseList("bert-4:missing:0.3"), seed: 3) }
    }
}
