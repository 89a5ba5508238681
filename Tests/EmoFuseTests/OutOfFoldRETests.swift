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

    /// Which fold did not see a train subject is read from the fold checkpoints' own records of the
    /// subjects they trained on, not from the fold plan the code under test uses.
    @Test func trainREComesFromTheFoldThatHeldItOutAndDevelTestFromTheFoldMean() throws {
        let context = try Self.context.get()
        let dataset = try context.dataset()
        let checkpoints = context.run.appendingPathComponent("checkpoints")
        let (full, card) = try ModelStore.load(from: checkpoints.appendingPathComponent("re-egemaps.safetensors"))
        #expect(card.trainedOn == nil, "the full auto-encoder trained on the whole train partition")
        let folds = try (0..<3).map { try ModelStore.load(from: checkpoints.appendingPathComponent(ModelName.foldCheckpoint("re-egemaps", fold: $0))) }
        let trainIDs = Set(dataset.subjects(in: .train).map(\.id))
        let seen = try folds.map { Set(try #require($0.card.trainedOn, "a fold checkpoint records its training subjects")) }
        for (k, s) in seen.enumerated() {
            #expect(s.isSubset(of: trainIDs), "fold \(k) trained on train subjects only")
            #expect(s.count < trainIDs.count, "fold \(k) held some train subjects out")
        }
        let aligned = try dataset.aligned(featureSets: ["egemaps"], emotions: [], normalizer: card.normalizer)
        let data = ModelData.autoencoder(aligned)
        let foldRE = folds.map { ModelOutputs.compute($0.network, role: .autoencoder, data: data) }
        let fullRE = ModelOutputs.compute(full, role: .autoencoder, data: data)
        let oof = try dataset.featureSet("re-egemaps"), inSample = try dataset.featureSet("re-egemaps-insample")
        func close(_ a: [Float], _ b: [Float]) -> Bool { a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) } }
        var heldOut = Array(repeating: Set<String>(), count: 3)
        for (i, s) in data.sequences.enumerated() {
            let written = try #require(oof.sequences[s.id]?.values)
            #expect(close(try #require(inSample.sequences[s.id]?.values), fullRE[i]), "\(s.id): in-sample RE is the full auto-encoder's")
            if s.partition == .train {
                let unseen = seen.indices.filter { !seen[$0].contains(s.id) }
                #expect(unseen.count == 1, "train \(s.id) is unseen by exactly one fold: \(unseen)")
                guard let k = unseen.first else { continue }
                heldOut[k].insert(s.id)
                #expect(close(written, foldRE[k][i]), "train \(s.id): RE of fold \(k), which did not see it")
                for j in seen.indices where j != k {
                    #expect(!close(written, foldRE[j][i]), "train \(s.id): not the RE of fold \(j), which saw it")
                }
                #expect(!close(written, fullRE[i]), "train \(s.id): not the in-sample RE")
            } else {
                // The mean of the three fold auto-encoders' REs, computed here step by step.
                let mean = (0..<fullRE[i].count).map { t in (foldRE[0][i][t] + foldRE[1][i][t] + foldRE[2][i][t]) / 3 }
                #expect(close(written, mean), "\(s.partition) \(s.id): mean of the fold REs")
                #expect(!close(written, fullRE[i]), "\(s.partition) \(s.id): not the full auto-encoder's RE")
            }
        }
        #expect(heldOut.allSatisfy { !$0.isEmpty } && heldOut.reduce(0) { $0 + $1.count } == trainIDs.count)
        // The recorded folds are the seeded plan's (so a rerun holds out the same subjects).
        #expect(heldOut == ModelTraining.foldPlan(trainIDs: data.sequences.filter { $0.partition == .train }.map(\.id), folds: 3, seed: 4))
        // The marker records both distributions.
        let marker = try JSONFiles.decode(ModelOutcome.self, from: Data(contentsOf: context.metricsURL("re-egemaps")))
        #expect(marker.scores["train-oof"] != nil && marker.scores["devel-oof"] != nil && marker.scores["train"] != nil)
    }
}

extension EndToEndTests {
    /// The study's estimates equal the global CCC computed here, directly from the prediction files
    /// and the label files (devel: the dataset's; test: the key), with SeqNet's metric.
    @Test func studyEstimatesMatchTheModelsScores() throws {
        let result = try Self.result.get()
        let study = try #require(result.experiments)
        #expect(study.seeds == [3])
        let dataset = try Self.context().dataset()
        let models = (result.regressors + result.fusion).filter { study.models[$0.name] != nil }
        for name in ["pred-fusion-arousal", "pred-fusion-valence", "pred-egemaps-arousal", "pred-fau_intensity-valence"] {
            #expect(models.contains { $0.name == name }, "\(name) is estimated")
        }
        var checked = 0
        for model in models {
            let emotion = try #require(model.emotion)
            let estimates = try #require(study.models[model.name])
            let predicted = try dataset.featureSet(model.name)
            for partition in [Partition.devel, .test] {
                let labels = partition == .devel ? try dataset.labels(emotion).sequences
                    : try LabelFolder.read(root: Self.data.appendingPathComponent("test_key"), emotion: emotion)
                var p: [Float] = [], y: [Float] = []
                for s in dataset.subjects(in: partition) {
                    let ps = try #require(predicted.sequences[s.id]), gs = try #require(labels[s.id])
                    #expect(ps.timestamps == gs.timestamps, "\(model.name) \(s.id)")
                    for (a, b) in zip(ps.values, gs.values) where !b.isNaN { p.append(a); y.append(b) }
                }
                let e = try #require(estimates[partition.rawValue], "\(model.name) \(partition)")
                let direct = concordanceCorrelation(p, y)
                #expect(abs(e.mean - direct) < 1e-5, "\(model.name) \(partition): study \(e.mean), direct \(direct)")
                #expect(e.seeds.count == 1 && abs(e.seeds[0] - direct) < 1e-5)
                #expect(e.sd == nil)
                #expect(e.subjects == dataset.subjects(in: partition).count)
                #expect(e.low! <= e.high!, "\(model.name) \(partition): \(e.text)")
                checked += 1
            }
        }
        #expect(checked == 2 * models.count && models.count == study.models.count)
        #expect(study.claims.count == 6)
        // Claims are judged per emotion and partition: "RE improves the fusion model" has a finding for
        // each emotion on devel and on (labelled) test, each from that emotion's comparisons only.
        let re = try #require(study.claims.first { $0.statement == "RE improves the fusion model" })
        #expect(re.findings.map { "\($0.emotion) \($0.partition)" } == ["arousal devel", "arousal test", "valence devel", "valence test"])
        for f in study.claims.flatMap(\.findings) {
            #expect(!f.comparisons.isEmpty && f.comparisons.allSatisfy { $0.emotion == f.emotion && $0.partition == f.partition })
        }
        let json = try JSONFiles.decode(ExperimentResults.self, from: Data(contentsOf: Self.run.appendingPathComponent("experiments.json")))
        #expect(json.models == study.models)
        #expect(json.claims == study.claims, "experiments.json holds the claims with their findings")
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

/// The whole system with `reOutOfFold = 2` on the `tiny` preset (one emotion, a short schedule):
/// both RE variants for every set and partition, train REs from the fold that did not see the
/// subject, devel/test REs the mean of the fold auto-encoders', and the report's comparison.
@Suite(.serialized) struct OutOfFoldRESystemTests {
    static let root: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("emofuse-oofre-system-\(getpid())")
        try? FileManager.default.removeItem(at: url)
        return url
    }()
    static var data: URL { root.appendingPathComponent("data") }
    static var run: URL { root.appendingPathComponent("run") }

    static func config() -> RunConfiguration {
        var c = EndToEndTests.config()
        c.emotions = ["arousal"]
        c.training.maxEpochs = 8
        c.training.patience = 4
        c.testKey = data.appendingPathComponent("test_key").path
        c.reOutOfFold = 2
        return c
    }

    static func context() -> RunContext {
        var o = LoadOptions()
        o.cacheDirectory = root.appendingPathComponent("cache")
        return RunContext(data: data, run: run, loadOptions: o)
    }

    static let result: Result<SystemResult, Error> = Result {
        _ = try generateSyntheticDataset(preset: .tiny, seed: 5, to: data, overwrite: false, threads: 2) { _ in }
        return try PaperSystem.run(config(), context: context())
    }

    @Test func systemWithOutOfFoldREsWritesBothVariantsAndComparesThem() throws {
        let result = try Self.result.get()
        let dataset = try Self.context().dataset()
        let checkpoints = Self.run.appendingPathComponent("checkpoints")
        func close(_ a: [Float], _ b: [Float]) -> Bool { a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) } }
        let sets = Self.config().featureSets
        #expect(result.autoencoders.count == sets.count && result.autoencoders.allSatisfy { $0.folds == 2 })
        for set in sets {
            let name = ModelName.autoencoder(set)
            let oof = try dataset.featureSet(name), inSample = try dataset.featureSet(ModelName.inSample(name))
            let (full, card) = try ModelStore.load(from: checkpoints.appendingPathComponent("\(name).safetensors"))
            let folds = try (0..<2).map { try ModelStore.load(from: checkpoints.appendingPathComponent(ModelName.foldCheckpoint(name, fold: $0))) }
            let seen = try folds.map { Set(try #require($0.card.trainedOn)) }
            let data = ModelData.autoencoder(try dataset.aligned(featureSets: [set], emotions: [], normalizer: card.normalizer))
            let foldRE = folds.map { ModelOutputs.compute($0.network, role: .autoencoder, data: data) }
            let fullRE = ModelOutputs.compute(full, role: .autoencoder, data: data)
            for partition in Partition.allCases {
                let subjects = dataset.subjects(in: partition)
                #expect(!subjects.isEmpty)
                for s in subjects {
                    let a = try #require(oof.sequences[s.id]?.values, "\(name) lacks \(partition) \(s.id)")
                    let b = try #require(inSample.sequences[s.id]?.values, "\(name)-insample lacks \(partition) \(s.id)")
                    let i = try #require(data.sequences.firstIndex { $0.id == s.id })
                    #expect(a.allSatisfy { $0.isFinite && $0 >= 0 } && b.allSatisfy { $0.isFinite && $0 >= 0 })
                    #expect(close(b, fullRE[i]), "\(name) \(s.id): in-sample RE is the full auto-encoder's")
                    #expect(a != b, "\(name) \(partition) \(s.id): the variants differ")
                    if partition == .train {
                        let unseen = seen.indices.filter { !seen[$0].contains(s.id) }
                        #expect(unseen.count == 1, "\(name) train \(s.id) unseen by exactly one fold")
                        if let k = unseen.first { #expect(close(a, foldRE[k][i]), "\(name) train \(s.id): RE of fold \(k), which did not see it") }
                    } else {
                        #expect(seen.allSatisfy { !$0.contains(s.id) })
                        let mean = zip(foldRE[0][i], foldRE[1][i]).map { ($0 + $1) / 2 }
                        #expect(close(a, mean), "\(name) \(partition) \(s.id): mean of the two fold auto-encoders' REs")
                    }
                }
            }
            // Downstream: the system's regressor reads the out-of-fold RE.
            let (_, regressor) = try ModelStore.load(from: checkpoints.appendingPathComponent("\(ModelName.regressor([set], "arousal")).safetensors"))
            #expect(regressor.inputs == [set, name])
        }
        // The fusion twin fed the in-sample REs was trained, and the report compares the variants.
        let study = try #require(result.experiments)
        #expect(study.reVariants.count == 3 * 2, "three comparisons on devel and test")
        #expect(Set(study.reVariants.map(\.partition)) == ["devel", "test"])
        let report = try String(contentsOf: Self.run.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(report.contains("## RE variants: does RE's effect on fusion survive?"))
        #expect(report.contains("out-of-fold RE − in-sample RE, arousal"))
        #expect(report.contains("out-of-fold (2 folds)"), "the auto-encoder table shows both variants")
        let json = try JSONFiles.decode(ExperimentResults.self, from: Data(contentsOf: Self.run.appendingPathComponent("experiments.json")))
        #expect(json.reVariants == study.reVariants)
    }
}
