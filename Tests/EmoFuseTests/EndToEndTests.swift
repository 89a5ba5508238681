import Foundation
import Testing
@testable import EmoFuse

/// The whole system on the `tiny` synthetic preset: every stage, with assertions on results.
@Suite(.serialized) struct EndToEndTests {
    static let root: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("emofuse-e2e-\(getpid())")
        try? FileManager.default.removeItem(at: url)
        return url
    }()
    static var data: URL { root.appendingPathComponent("data") }
    static var run: URL { root.appendingPathComponent("run") }

    static func config() -> RunConfiguration {
        var c = RunConfiguration()
        c.featureSets = ["egemaps", "vggface", "fau_intensity"]
        c.training.maxEpochs = 25
        c.training.patience = 8
        c.training.windowLength = 60
        c.training.windowHop = 20
        c.training.batchSize = 16
        c.training.threads = 2
        c.grid.seeds = [3]
        c.grid.learningRates = [0.005]
        c.network = NetworkShape(hiddenSize: 16, layers: 2)
        c.testKey = data.appendingPathComponent("test_key").path
        return c
    }

    static func context() -> RunContext {
        var o = LoadOptions()
        o.cacheDirectory = root.appendingPathComponent("cache")
        return RunContext(data: data, run: run, loadOptions: o)
    }

    /// Generates the data and runs the system once for all tests of the suite.
    static let result: Result<SystemResult, Error> = {
        Result {
            _ = try generateSyntheticDataset(preset: .tiny, seed: 5, to: data,
                                             overwrite: false, threads: 2) { _ in }
            return try PaperSystem.run(config(), context: context())
        }
    }()

    @Test func fusedPredictionBeatsConstantAndShuffled() throws {
        let result = try Self.result.get()
        let dataset = try Self.context().dataset()
        for fusion in result.fusion {
            let emotion = try #require(fusion.emotion)
            let devel = try #require(fusion.scores["devel"])
            // A constant prediction has CCC 0; a prediction shuffled across subjects keeps the
            // marginal distribution but loses the alignment with the labels.
            let predicted = try dataset.featureSet(fusion.name)
            let gold = try dataset.labels(emotion)
            var p: [Float] = [], y: [Float] = []
            for s in dataset.subjects(in: .devel) {
                let ps = try #require(predicted.sequences[s.id]), gs = try #require(gold.sequences[s.id])
                for (a, b) in zip(ps.values, gs.values) where !b.isNaN { p.append(a); y.append(b) }
            }
            #expect(abs(concordanceCorrelation(p, y) - devel) < 1e-4, "stored devel CCC matches the written predictions")
            var rng = RandomSource(seed: 11)
            var shuffledP = p
            rng.shuffle(&shuffledP)
            let shuffled = concordanceCorrelation(shuffledP, y)
            #expect(devel > 0.3, "devel CCC of \(fusion.name) is \(devel)")
            #expect(devel > abs(shuffled) + 0.2, "devel \(devel) vs shuffled \(shuffled)")
            #expect(fusion.scores["test"] != nil, "test scored against the key")
        }
    }

    @Test func reconstructionErrorSetsCoverEverySubject() throws {
        _ = try Self.result.get()
        let dataset = try Self.context().dataset()
        let labels = try dataset.labels("arousal")
        for set in Self.config().featureSets {
            let re = try dataset.featureSet("re-\(set)")
            #expect(re.dim == 1)
            for subject in dataset.subjects {
                let seq = try #require(re.sequences[subject.id], "re-\(set) lacks \(subject.id)")
                #expect(seq.rows == labels.sequences[subject.id]?.timestamps.count)
                #expect(seq.values.allSatisfy { $0.isFinite && $0 >= 0 })
            }
        }
    }

    @Test func submissionIsCompleteAndParseable() throws {
        _ = try Self.result.get()
        let dataset = try Self.context().dataset()
        let submission = Self.run.appendingPathComponent("submission")
        for emotion in ["arousal", "valence"] {
            let key = try LabelFolder.read(root: Self.data.appendingPathComponent("test_key"), emotion: emotion)
            let predicted = try LabelFolder.read(root: submission, emotion: emotion)
            for subject in dataset.subjects(in: .test) {
                let p = try #require(predicted[subject.id], "submission lacks \(emotion)/\(subject.id)")
                let k = try #require(key[subject.id])
                #expect(p.timestamps == k.timestamps)
                #expect(p.values.allSatisfy { $0.isFinite })
            }
            #expect(predicted.count == dataset.subjects(in: .test).count)
        }
    }

    @Test func submissionIsTheSystemsFusionModel() throws {
        let result = try Self.result.get()
        let dataset = try Self.context().dataset()
        for fusion in result.fusion {
            let emotion = try #require(fusion.emotion)
            #expect(fusion.name == "pred-fusion-\(emotion)")
            let submitted = try LabelFolder.read(root: Self.run.appendingPathComponent("submission"), emotion: emotion)
            let predicted = try dataset.featureSet(fusion.name)
            for subject in dataset.subjects(in: .test) {
                #expect(submitted[subject.id]?.values == predicted.sequences[subject.id]?.values)
            }
        }
    }

    @Test func bestWeightsAreRestoredAndNormalisationIsTrainOnly() throws {
        let result = try Self.result.get()
        for o in result.regressors + result.fusion {
            // The devel metric of the best epoch is what the restored weights score on devel.
            #expect(abs(o.develMetric - (o.scores["devel"] ?? .nan)) < 1e-4, "\(o.name)")
        }
        let (_, card) = try ModelStore.load(from: Self.run.appendingPathComponent("checkpoints/pred-egemaps-arousal.safetensors"))
        let dataset = try Self.context().dataset()
        let aligned = try dataset.aligned(featureSets: ["egemaps", "re-egemaps"], emotions: [])
        let train = aligned.subjects.filter { $0.partition == .train }
        let raw = try ["egemaps", "re-egemaps"].map { try dataset.featureSet($0) }
        // Mean of the first egemaps column over train rows only, from the raw files.
        var sum = 0.0, n = 0
        for s in train { for v in raw[0].sequences[s.id]!.values.enumerated() where v.offset % raw[0].dim == 0 && !v.element.isNaN { sum += Double(v.element); n += 1 } }
        #expect(abs(Double(card.normalizer.mean[0]) - sum / Double(n)) < 1e-4)
        #expect(card.normalizer.mean.count == raw[0].dim + 1)
    }

    @Test func checkpointReloadReproducesPredictions() throws {
        _ = try Self.result.get()
        var context = Self.context()
        context.run = Self.root.appendingPathComponent("predict")
        let checkpoint = Self.run.appendingPathComponent("checkpoints/pred-egemaps-arousal.safetensors")
        // Predict into a separate folder: the RE set it reads is found in the checkpoint's own run folder.
        _ = try Stages.predict(checkpoint: checkpoint, name: "again", context: context)
        // Into the run folder itself, the trained model's outputs are never overwritten.
        #expect(throws: ConfigurationError.self) { try Stages.predict(checkpoint: checkpoint, context: Self.context()) }
        let original = try Self.context().dataset().featureSet("pred-egemaps-arousal")
        let again = try context.dataset().featureSet("again")
        for (id, seq) in original.sequences {
            #expect(again.sequences[id]?.values == seq.values, "subject \(id)")
        }
    }

    @Test func outOfFoldPredictionsReplaceOnlyTrainRows() throws {
        _ = try Self.result.get()
        let context = Self.context()
        let settings = Self.config().modelSettings
        let o = try Stages.regress(features: ["egemaps", "re-egemaps"], emotion: "arousal", name: "oof-check",
                                   folds: 3, settings: settings, context: context)
        #expect(o.scores["train-oof"] != nil)
        let dataset = try context.dataset()
        let inSample = try dataset.featureSet("oof-check"), oof = try dataset.featureSet("oof-check-oof")
        for subject in dataset.subjects {
            let a = try #require(inSample.sequences[subject.id]?.values), b = try #require(oof.sequences[subject.id]?.values)
            if subject.partition == .train {
                #expect(a != b, "train subject \(subject.id) predicted by a model that did not see it")
            } else {
                #expect(a == b, "\(subject.partition) subject \(subject.id) keeps the full model's predictions")
            }
        }
        // In-sample train predictions fit the labels better than out-of-fold ones: the reason to cross-fit.
        #expect(try #require(o.scores["train"]) > (try #require(o.scores["train-oof"])))
        let fused = try Stages.fuse(predictions: ["oof-check"], emotion: "arousal", outOfFold: true,
                                    name: "fusion-oof-check", settings: settings, context: context)
        #expect(fused.inputs == ["oof-check-oof"])
        #expect(FileManager.default.fileExists(atPath: Self.run.appendingPathComponent("feature_segments/fusion-oof-check").path))
    }

    @Test func baselineRowDroppingStillPredictsEveryLabelRow() throws {
        _ = try Self.result.get()
        var context = Self.context()
        context.loadOptions.dropNaNRows = true   // vggface has face-lost (empty) rows
        _ = try Stages.regress(features: ["vggface"], emotion: "valence", name: "dropnan-check",
                               settings: Self.config().modelSettings, context: context)
        let dataset = try Self.context().dataset()
        let labels = try dataset.labels("valence"), predicted = try dataset.featureSet("dropnan-check")
        for subject in dataset.subjects {
            #expect(predicted.sequences[subject.id]?.timestamps == labels.sequences[subject.id]?.timestamps)
        }
    }

    @Test func resumedRunDoesNotRetrain() throws {
        let first = try Self.result.get()
        let metrics = Self.run.appendingPathComponent("metrics/pred-fusion-arousal.json")
        let before = try FileManager.default.attributesOfItem(atPath: metrics.path)[.modificationDate] as? Date
        let events = EventLog()
        var context = Self.context()
        context.progress = { events.append($0) }
        let second = try PaperSystem.run(Self.config(), context: context)
        let after = try FileManager.default.attributesOfItem(atPath: metrics.path)[.modificationDate] as? Date
        #expect(before == after)
        #expect(events.trained == 0, "no model retrained")
        // Every planned model is found finished and current, once.
        #expect(events.skipped == first.plan.models.count)
        #expect(second.robustness == first.robustness)
        #expect(second.fusion.map(\.scores) == first.fusion.map(\.scores))

        // A changed setting retrains what it affects, and only that.
        let changed = EventLog()
        var context2 = Self.context()
        context2.progress = { changed.append($0) }
        var config = Self.config()
        config.fusion.sets = ["egemaps", "vggface"]
        _ = try PaperSystem.run(config, context: context2)
        #expect(changed.trained == 2 * 2, "two fusion models per emotion (with and without RE) retrained")
        // Restore the run folder's state for any test that reads it afterwards.
        _ = try PaperSystem.run(Self.config(), context: Self.context())
    }
}

final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var trained = 0
    private(set) var skipped = 0
    func append(_ e: ProgressEvent) {
        lock.lock(); defer { lock.unlock() }
        switch e {
        case .modelStarted: trained += 1
        case .modelSkipped: skipped += 1
        default: break
        }
    }
}
