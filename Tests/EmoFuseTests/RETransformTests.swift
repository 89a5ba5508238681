import Foundation
import Testing
@testable import EmoFuse

/// RE transforms (`reTransforms`): the arithmetic, the plan, and a trained run writing and
/// comparing them.
@Suite(.serialized) struct RETransformTests {
    @Test func transformsOfAKnownRecording() throws {
        let re: [Float] = [1, 2, 4, .nan, 8]
        #expect(RETransform.subjectMedian.apply(re).enumerated().allSatisfy { i, v in
            i == 3 ? v.isNaN : abs(v - re[i] / 3) < 1e-6 })                     // median of 1, 2, 4, 8 is 3
        let z = RETransform.subjectZ.apply(re).filter(\.isFinite)
        let mean = z.reduce(0, +) / 4, sd = (z.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4).squareRoot()
        #expect(abs(mean) < 1e-6 && abs(sd - 1) < 1e-5)
        #expect(abs(z[0] - Float((1 - 3.75) / (7.1875 as Double).squareRoot())) < 1e-5)   // mean 3.75, variance 7.1875
        #expect(abs(RETransform.log.apply([0])[0] - Float(log(1e-6))) < 1e-4)
        #expect(abs(RETransform.log.apply([2])[0] - Float(log(2.000001))) < 1e-6)
        // A constant recording (all frames missing) stays finite.
        #expect(RETransform.subjectZ.apply([0, 0, 0]) == [0, 0, 0])
        #expect(RETransform.subjectMedian.apply([0, 0]).allSatisfy { $0 == 0 })
        #expect(throws: ConfigurationError.self) { try RETransform.parseList("log,median") }
        #expect(try RETransform.parseList("log, subject-z") == [.log, .subjectZ])
    }

    @Test func planWritesTransformsAndTrainsTheFusionOnEach() throws {
        var config = RunConfiguration()
        config.reTransforms = [.log, .subjectMedian]
        config.grid.seeds = [1, 2]
        let plan = try PaperSystem.plan(config)
        let ae = try #require(plan.model("re-vggface-s2"))
        #expect(ae.outputs == ["re-vggface-s2", "re-vggface-s2-log", "re-vggface-s2-subject-median"])
        let twin = try #require(plan.model("exp-fusion-re-subject-median-egemaps+vggface+fau_intensity-arousal-s2"))
        #expect(twin.inputs.suffix(3) == ["re-egemaps-s2-subject-median", "re-vggface-s2-subject-median", "re-fau_intensity-s2-subject-median"])
        #expect(Set(twin.upstream).isSuperset(of: ["re-egemaps-s2", "pred-egemaps-arousal-s2"]))
        #expect(ModelName.producer(of: "re-vggface-s2-log") == "re-vggface-s2")
        #expect(ModelName.producer(of: "egemaps-log") == "egemaps-log", "only RE sets have transforms")
        config.reTransforms = [.log, .log]
        #expect(throws: ConfigurationError.self) { try PaperSystem.plan(config) }
    }

    /// A trained tiny run with out-of-fold REs and every transform: each transformed set is the
    /// transform of the (out-of-fold) RE the run wrote, recording by recording; the report and
    /// experiments.json compare the fusion model on each.
    @Test func trainedRunWritesAndComparesTheTransforms() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("emofuse-retransform-\(getpid())")
        try? FileManager.default.removeItem(at: root)
        let data = root.appendingPathComponent("data"), run = root.appendingPathComponent("run")
        _ = try generateSyntheticDataset(preset: .tiny, seed: 4, to: data, overwrite: false, threads: 2) { _ in }
        var c = RunConfiguration()
        c.featureSets = ["egemaps", "vggface"]
        c.fusion.sets = ["egemaps", "vggface"]
        c.emotions = ["arousal"]
        c.reOutOfFold = 2
        c.reTransforms = RETransform.allCases
        c.grid.learningRates = [0.005]
        c.training.maxEpochs = 4
        c.training.patience = 2
        c.training.windowLength = 60
        c.training.windowHop = 20
        c.training.batchSize = 16
        c.network = NetworkShape(hiddenSize: 8, layers: 1)
        var options = LoadOptions()
        options.cacheDirectory = root.appendingPathComponent("cache")
        let result = try PaperSystem.run(c, context: RunContext(data: data, run: run, loadOptions: options))

        let dataset = try MuseDataset(root: data, overlays: [run])
        for set in ["re-egemaps", "re-vggface"] {
            let re = try dataset.featureSet(set)
            for t in RETransform.allCases {
                let transformed = try dataset.featureSet(ModelName.transformedRE(set, t))
                #expect(Set(transformed.sequences.keys) == Set(re.sequences.keys))
                for (id, sequence) in re.sequences {
                    let expected = t.apply(sequence.values), got = try #require(transformed.sequences[id]).values
                    #expect(got.count == expected.count)
                    // Written as CSV text: equal to the printed precision.
                    #expect(zip(got, expected).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) }, "\(set) \(t) \(id)")
                }
            }
        }
        let study = try #require(result.experiments)
        let labels = Set(study.reVariants.map(\.label))
        for t in RETransform.allCases {
            #expect(labels.contains("\(t.rawValue) RE − out-of-fold RE, arousal"))
            #expect(labels.contains("\(t.rawValue) RE − no RE, arousal"))
        }
        #expect(labels.contains("out-of-fold RE − in-sample RE, arousal"))
        let ae = try #require(result.autoencoders.first { $0.name == "re-egemaps" })
        #expect(abs(try #require(ae.scores["devel-subject-z"])) < 1e-4, "z-scored within each recording: mean 0 per partition")
        let report = try String(contentsOf: run.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(report.contains("## RE variants: does RE's effect on fusion survive?"))
        #expect(report.contains("| egemaps | subject-median of out-of-fold |"))
    }
}
