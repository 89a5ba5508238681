import Foundation
import Testing
import SeqNet
@testable import EmoFuse

/// Bootstrap intervals, seed replicates, fold plans and corruption: no training.
struct StudyTests {
    /// Per-subject sums of `predict(gold)` against `gold`, for `subjects` subjects of 50 frames.
    static func sums(subjects: Int, seed: UInt64, _ predict: (Float, inout RandomSource) -> Float) -> [PairSums] {
        var rng = RandomSource(seed: seed)
        return (0..<subjects).map { _ in
            var s = PairSums()
            for _ in 0..<50 {
                let y = Float(rng.normal())
                s.add(predict(y, &rng), y)
            }
            return s
        }
    }

    @Test func perfectPredictorHasIntervalAtOne() {
        let e = Bootstrap.estimate([Self.sums(subjects: 12, seed: 1) { y, _ in y }])
        #expect(abs(e.mean - 1) < 1e-9)
        #expect(abs(e.low! - 1) < 1e-9 && abs(e.high! - 1) < 1e-9)
        #expect(e.sd == nil, "one seed: no standard deviation")
    }

    @Test func constantPredictorHasIntervalAtZero() {
        let e = Bootstrap.estimate([Self.sums(subjects: 12, seed: 2) { _, _ in 0.3 }])
        #expect(e.mean == 0)
        #expect(e.low == 0 && e.high == 0)
        #expect(e.sign == 0)
    }

    @Test func noisyPredictorIntervalContainsItsEstimateAndNarrowsWithSubjects() {
        let noisy: (Float, inout RandomSource) -> Float = { y, rng in y + Float(rng.normal()) }
        let few = Bootstrap.estimate([Self.sums(subjects: 6, seed: 3, noisy)])
        let many = Bootstrap.estimate([Self.sums(subjects: 60, seed: 3, noisy)])
        for e in [few, many] {
            #expect(e.low! < e.mean && e.mean < e.high!)
            #expect(e.sign == 1, "CCC near 0.67 is clearly above 0")
        }
        #expect(many.high! - many.low! < few.high! - few.low!)
        // Deterministic for a given seed.
        #expect(Bootstrap.estimate([Self.sums(subjects: 6, seed: 3, noisy)]) == few)
    }

    @Test func pairSumsGiveTheSameCCCAsTheFrameFormula() {
        var rng = RandomSource(seed: 9)
        var p: [Float] = [], y: [Float] = [], s = PairSums()
        for _ in 0..<500 {
            let a = Float(rng.normal()), b = 0.5 * a + Float(rng.normal()) + 0.2
            p.append(b); y.append(a); s.add(b, a)
        }
        #expect(abs(s.ccc - concordanceCorrelation(p, y)) < 1e-9)
    }

    @Test func pairedDifferenceOfAModelWithItselfIsExactlyZeroAndSeedsGiveSD() {
        let a1 = Self.sums(subjects: 10, seed: 4) { y, rng in y + Float(rng.normal()) }
        let a2 = Self.sums(subjects: 10, seed: 5) { y, rng in y + 2 * Float(rng.normal()) }
        let d = Bootstrap.estimate(groups: [[a1, a2], [a1, a2]]) { Bootstrap.mean($0[0]) - Bootstrap.mean($0[1]) }
        #expect(d.mean == 0 && d.low == 0 && d.high == 0 && d.sd == 0)
        let two = Bootstrap.estimate([a1, a2])
        #expect(two.seeds.count == 2 && two.sd! > 0)
        #expect(abs(two.mean - (a1.reduce(into: PairSums()) { $0.add($1, weight: 1) }.ccc
                                + a2.reduce(into: PairSums()) { $0.add($1, weight: 1) }.ccc) / 2) < 1e-12)
    }

    /// A paired difference with the interval [low, high] of `emotion` on `partition`.
    static func comparison(_ low: Double, _ high: Double, _ emotion: String = "arousal", _ partition: String = "devel") -> Comparison {
        Comparison(label: "x, \(emotion)", partition: partition, a: "a", b: "b",
                   difference: Estimate(mean: (low + high) / 2, sd: nil, seeds: [], low: low, high: high, subjects: 10),
                   emotion: emotion)
    }

    @Test func claimVerdictsFollowTheIntervalsWithinOneEmotionAndPartition() {
        func c(_ low: Double, _ high: Double, _ emotion: String = "arousal", _ partition: String = "devel") -> Comparison {
            Self.comparison(low, high, emotion, partition)
        }
        #expect(Claim.judge([c(0.01, 0.1), c(-0.1, 0.1)]).verdict == .supported, "one above, none below")
        #expect(Claim.judge([c(-0.2, -0.01)]).verdict == .contradicted)
        #expect(Claim.judge([c(0.01, 0.1), c(-0.2, -0.01)]).verdict == .mixed, "intervals on both sides")
        #expect(Claim.judge([c(-0.1, 0.1), c(-0.01, 0.3)]).verdict == .undecided, "every interval contains 0")
        #expect(Claim.judge([c(0, 0.1)]).verdict == .undecided, "an interval touching 0 contains it")
        let one = Claim("c", [c(0.01, 0.1)], missing: "")
        #expect(one.verdict == .supported && one.findings.count == 1)
        #expect(one.reason.hasPrefix("arousal devel:"), "\(one.reason)")
        let none = Claim("c", [], missing: "why")
        #expect(none.verdict == .notMeasured && none.reason == "why" && none.findings.isEmpty)
    }

    @Test func claimIsJudgedPerEmotionAndPartitionAndMixedWhenTheyDisagree() throws {
        func c(_ low: Double, _ high: Double, _ emotion: String = "arousal", _ partition: String = "devel") -> Comparison {
            Self.comparison(low, high, emotion, partition)
        }
        // Arousal supported, valence contradicted: never "supported" overall.
        let split = Claim("c", [c(0.02, 0.2, "arousal"), c(-0.1, 0.1, "arousal"), c(-0.3, -0.05, "valence")], missing: "")
        #expect(split.verdict == .mixed)
        #expect(split.findings.map(\.emotion) == ["arousal", "valence"])
        #expect(split.findings.map(\.partition) == ["devel", "devel"])
        #expect(split.findings.map(\.verdict) == [.supported, .contradicted])
        #expect(split.findings[0].comparisons.count == 2 && split.findings[1].comparisons.count == 1)
        #expect(split.reason.contains("supported for arousal devel") && split.reason.contains("contradicted for valence devel"),
                "\(split.reason)")
        #expect(split.comparisons.count == 3)

        // Devel and test disagree for one emotion: two findings, mixed.
        let partitions = Claim("c", [c(-0.2, -0.01, "valence", "test"), c(0.01, 0.2, "valence", "devel")], missing: "")
        #expect(partitions.verdict == .mixed)
        #expect(partitions.findings.map(\.partition) == ["devel", "test"], "devel before test, whatever the input order")
        #expect(partitions.findings.map(\.verdict) == [.supported, .contradicted])

        // Supported for one emotion, undecided for the other: mixed too (it does not hold for both).
        #expect(Claim("c", [c(0.02, 0.2, "arousal"), c(-0.1, 0.1, "valence")], missing: "").verdict == .mixed)

        // Every finding agrees: that verdict.
        let agree = Claim("c", [c(0.02, 0.2, "arousal"), c(0.01, 0.1, "arousal", "test"), c(0.05, 0.3, "valence")], missing: "")
        #expect(agree.verdict == .supported && agree.findings.count == 3)
        #expect(Claim("c", [c(-0.1, 0.1, "arousal"), c(-0.1, 0.2, "valence", "test")], missing: "").verdict == .undecided)

        // The report shows one row per finding beside the overall row, and the JSON keeps the findings.
        let md = Report.claimsTable([split, Claim("d", [], missing: "run more")], seeds: 3)
        #expect(md.contains(Claim.rule))
        #expect(md.contains("| c | all | all | **mixed** |"), "\(md)")
        #expect(md.contains("| ↳ | arousal | devel | supported | "))
        #expect(md.contains("| ↳ | valence | devel | contradicted | "))
        #expect(md.contains("| d | – | – | **not measured** | run more |"))
        #expect(!md.contains("| **supported** |"), "the overall verdict of a split claim is not supported")
        var results = ExperimentResults(tables: [])
        results.claims = [split]
        let decoded = try JSONDecoder().decode(ExperimentResults.self, from: JSONEncoder().encode(results))
        #expect(decoded == results)
        #expect(decoded.claims[0].findings[1].verdict == .contradicted && decoded.claims[0].findings[1].emotion == "valence")
    }

    // MARK: Plans

    static func config(seeds: [UInt64], reFolds: Int = 0) -> RunConfiguration {
        var c = RunConfiguration()
        c.featureSets = ["egemaps", "vggface", "fau_intensity"]
        c.grid.seeds = seeds
        c.reOutOfFold = reFolds
        return c
    }

    @Test func seedsRepeatEveryModelWithItsOwnUpstream() throws {
        let one = try PaperSystem.plan(Self.config(seeds: [1]))
        let three = try PaperSystem.plan(Self.config(seeds: [1, 2, 3]))
        #expect(one.models.contains { $0.name == "pred-fusion-arousal" }, "one seed keeps the plain names")
        #expect(three.models.count == 3 * one.models.count)
        #expect(three.replicates("pred-fusion-arousal") == ["pred-fusion-arousal-s1", "pred-fusion-arousal-s2", "pred-fusion-arousal-s3"])
        for seed in [1, 2, 3] {
            let fusion = try #require(three.model("pred-fusion-arousal-s\(seed)"))
            #expect(fusion.inputs.allSatisfy { $0.hasSuffix("-s\(seed)") }, "\(fusion.inputs)")
            #expect(fusion.upstream.allSatisfy { $0.hasSuffix("-s\(seed)") })
            #expect(fusion.settings.grid.seeds == [UInt64(seed)], "a replicate trains with its seed only")
            #expect(fusion.submission == (seed == 1), "only the first seed writes the submission")
            let regressor = try #require(three.model("pred-egemaps-arousal-s\(seed)"))
            #expect(regressor.inputs == ["egemaps", "re-egemaps-s\(seed)"], "dataset sets keep their names")
        }
        // Tables and robustness pairs name the replicate-free models.
        #expect(three.robustness.map(\.withRE) == one.robustness.map(\.withRE))
        var duplicate = Self.config(seeds: [1, 1])
        duplicate.grid.seeds = [1, 1]
        #expect(throws: ConfigurationError.self) { try PaperSystem.plan(duplicate) }
    }

    @Test func outOfFoldREPlansFoldAutoencodersWithAnInSampleTwin() throws {
        let plan = try PaperSystem.plan(Self.config(seeds: [1], reFolds: 3))
        let ae = try #require(plan.model("re-egemaps"))
        #expect(ae.folds == 3)
        #expect(ae.outputs == ["re-egemaps", "re-egemaps-insample"])
        #expect(ModelName.producer(of: "re-egemaps-insample") == "re-egemaps")
        #expect(ae.epochBudget == 4 * ae.settings.training.maxEpochs, "the full auto-encoder and 3 fold auto-encoders")
        #expect(try #require(plan.model("pred-egemaps-arousal")).inputs == ["egemaps", "re-egemaps"], "downstream reads the out-of-fold RE")
        var bad = Self.config(seeds: [1], reFolds: 1)
        bad.reOutOfFold = 1
        #expect(throws: ConfigurationError.self) { try PaperSystem.plan(bad) }
    }

    @Test func foldPlanHoldsEachTrainSubjectOutExactlyOnce() {
        let ids = (1...11).map { "s\($0)" }
        let folds = ModelTraining.foldPlan(trainIDs: ids, folds: 3, seed: 7)
        #expect(folds.count == 3)
        for id in ids {
            #expect(folds.filter { $0.contains(id) }.count == 1, "\(id) is held out by exactly one fold")
        }
        #expect(folds.map(\.count).sorted() == [3, 4, 4])
        #expect(ModelTraining.foldPlan(trainIDs: ids, folds: 3, seed: 7) == folds)
        #expect(ModelTraining.foldPlan(trainIDs: ids, folds: 3, seed: 8) != folds)
    }

    // MARK: Corruption

    @Test func corruptionSpecsParseAndRefuseBadItems() throws {
        let specs = try CorruptionSpec.parseList("face:missing:0.3, egemaps:noise:0.2:-5,vggface:frozen:1")
        #expect(specs.map(\.kind) == [.missing, .noise, .frozen])
        #expect(specs[1].snr == -5)
        #expect(specs[0].tag == "face-missing-0.3")
        for bad in ["face:missing", "face:blur:0.3", "face:missing:0", "face:missing:1.5", "face:missing:0.3:5", ""] {
            #expect(throws: ConfigurationError.self, "\(bad)") { try CorruptionSpec.parseList(bad) }
        }
    }

    static func featureSet(subjects: [Subject], rows: Int = 400, dim: Int = 3) -> FeatureSet {
        var rng = RandomSource(seed: 42)
        var sequences: [String: FeatureSequence] = [:]
        for s in subjects {
            sequences[s.id] = FeatureSequence(id: s.id, timestamps: (0..<rows).map { Int64($0) * 250 },
                                              segmentIDs: Array(repeating: 1, count: rows), dim: dim,
                                              values: (0..<rows * dim).map { _ in Float(rng.normal()) })
        }
        return FeatureSet(name: "egemaps", directory: URL(fileURLWithPath: "/nonexistent"),
                          columnNames: (0..<dim).map { "c\($0)" }, sequences: sequences)
    }

    @Test func corruptionIsSeededAndTouchesOnlyDevelAndTest() throws {
        let subjects = [Subject(id: "1", partition: .train), Subject(id: "2", partition: .devel), Subject(id: "3", partition: .test)]
        let set = Self.featureSet(subjects: subjects)
        for kind in CorruptionSpec.Kind.allCases {
            let spec = CorruptionSpec(target: "egemaps", kind: kind, fraction: 0.3)
            let a = Corruption.apply(spec, to: set, subjects: subjects, seed: 5)
            let b = Corruption.apply(spec, to: set, subjects: subjects, seed: 5)
            let c = Corruption.apply(spec, to: set, subjects: subjects, seed: 6)
            func bits(_ x: [FeatureSequence]) -> [[UInt32]] { x.map { $0.values.map(\.bitPattern) } }
            #expect(bits(a.sequences) == bits(b.sequences), "\(kind): same seed, same bytes")
            #expect(bits(a.sequences) != bits(c.sequences), "\(kind): another seed, other stretches")
            #expect(a.stretches["1"] == nil, "train is never corrupted")
            #expect(bits([a.sequences[0]]) == bits([set.sequences["1"]!]))
            for (k, id) in ["2", "3"].enumerated() {
                let ranges = try #require(a.stretches[id])
                let covered = ranges.reduce(0) { $0 + $1.count }
                #expect(covered == 120, "\(kind): 30% of 400 rows")
                let original = set.sequences[id]!.values, corrupted = a.sequences[k + 1].values
                let inside = Set(ranges.flatMap { Array($0) })
                for t in 0..<400 where !inside.contains(t) {
                    #expect(corrupted[t * 3..<t * 3 + 3].map(\.bitPattern) == original[t * 3..<t * 3 + 3].map(\.bitPattern))
                }
                let r = ranges[0]
                switch kind {
                case .missing: #expect(corrupted[r.lowerBound * 3].isNaN)
                case .frozen: #expect(corrupted[(r.upperBound - 1) * 3] == original[r.lowerBound * 3])
                case .noise: #expect(corrupted[r.lowerBound * 3] != original[r.lowerBound * 3])
                }
            }
        }
        // The stretches of a subject do not depend on the other subjects.
        let alone = Corruption.apply(CorruptionSpec(target: "egemaps", kind: .missing, fraction: 0.3), to: set,
                                     subjects: [subjects[2]], seed: 5)
        let together = Corruption.apply(CorruptionSpec(target: "egemaps", kind: .missing, fraction: 0.3), to: set,
                                        subjects: subjects, seed: 5)
        #expect(alone.stretches["3"] == together.stretches["3"])
    }
}
