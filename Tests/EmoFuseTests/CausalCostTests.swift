import Foundation
import Testing
@testable import EmoFuse

/// What causality costs: the causal system's bidirectional reference, planned and reported.
@Suite(.serialized) struct CausalCostTests {
    /// The reference is the same system, bidirectional, reading only its own upstream sets, and
    /// writes no submission; `causalReference: false` (or a non-causal run) plans none.
    @Test func referenceIsTheSameSystemBidirectional() throws {
        var config = RunConfiguration()
        config.causal = true
        config.fusion.outOfFold = 3
        config.grid.seeds = [1, 2]
        let plan = try PaperSystem.plan(config)
        let references = plan.models.filter { $0.name.hasPrefix("exp-bidir-") }
        let causal = plan.models.filter { !$0.name.hasPrefix("exp-") }
        // One reference per model of the system (robustness twins excepted), per seed.
        #expect(references.count == causal.count)
        #expect(references.allSatisfy { $0.candidates.allSatisfy { $0.spec.bidirectional } && !$0.submission })
        #expect(causal.allSatisfy { $0.candidates.allSatisfy { !$0.spec.bidirectional } })
        let fusion = try #require(plan.model("exp-bidir-pred-fusion-valence-s2"))
        #expect(fusion.inputs == ["exp-bidir-pred-egemaps-valence-s2-oof", "exp-bidir-pred-vggface-valence-s2-oof",
                                  "exp-bidir-pred-fau_intensity-valence-s2-oof", "exp-bidir-re-egemaps-s2",
                                  "exp-bidir-re-vggface-s2", "exp-bidir-re-fau_intensity-s2"])
        #expect(try #require(plan.model("exp-bidir-pred-bert-4-arousal-s1")).inputs == ["bert-4", "exp-bidir-re-bert-4-s1"])
        #expect(try #require(plan.model("exp-bidir-pred-vggface-arousal-s1")).folds == 3)
        // Every input of a reference is raw data or another reference of the same seed.
        for model in references {
            #expect(model.inputs.allSatisfy { !$0.hasPrefix("re-") && !$0.hasPrefix("pred-") })
        }
        config.causalReference = false
        #expect(try PaperSystem.plan(config).models.allSatisfy { !$0.name.hasPrefix("exp-bidir-") })
        config.causalReference = true
        config.causal = false
        #expect(try PaperSystem.plan(config).models.allSatisfy { !$0.name.hasPrefix("exp-bidir-") })
    }

    /// The trained causal run: the reference's checkpoints are bidirectional, the system's chain
    /// stays causal, and report and experiments.json state the paired cost of each model.
    @Test func reportStatesTheCostAgainstTheBidirectionalSystem() throws {
        try CausalRun.ready()
        #expect(try LiveSystem(run: CausalRun.run, emotion: "arousal").isCausal)
        let reference = try LiveSystem(run: CausalRun.run, emotion: "arousal", model: "exp-bidir-pred-fusion-arousal")
        #expect(!reference.isCausal)
        #expect(reference.modelNames.allSatisfy { $0.hasPrefix("exp-bidir-") })

        let data = try Data(contentsOf: CausalRun.run.appendingPathComponent("experiments.json"))
        let study = try JSONFiles.decode(ExperimentResults.self, from: data)
        let names = ["pred-fusion-arousal", "pred-egemaps-arousal", "pred-vggface-arousal", "pred-fau_intensity-arousal"]
        #expect(Set(study.causalCost.map(\.a)) == Set(names))
        for c in study.causalCost {
            #expect(c.b == ModelName.bidirectionalReference(c.a))
            // One seed: the paired difference is the difference of the two models' global CCCs.
            let a = try #require(study.models[c.a]?[c.partition]), b = try #require(study.models[c.b]?[c.partition])
            #expect(abs(c.difference.mean - (a.mean - b.mean)) < 1e-9)
            #expect(a.mean != b.mean)
        }
        #expect(study.causalCost.contains { $0.partition == "devel" } && study.causalCost.contains { $0.partition == "test" })
        let report = try String(contentsOf: CausalRun.run.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(report.contains("## What causality costs"))
        let fusionRow = try #require(report.split(separator: "\n").first { $0.hasPrefix("| pred-fusion-arousal | devel |") })
        #expect(fusionRow.contains(study.models["exp-bidir-pred-fusion-arousal"]!["devel"]!.text))
    }

    /// `--causal` and `--no-causal-reference` reach the plan; the latter alone is refused.
    @Test func causalFlagsReachThePlan() throws {
        try CausalRun.ready()
        let cache = CausalRun.root.appendingPathComponent("cli-cache"), run = CausalRun.root.appendingPathComponent("cli-run")
        let config = CausalRun.root.appendingPathComponent("cli.json")
        try #"{"featureSets": ["egemaps"], "emotions": ["arousal"], "robustness": false}"#.write(to: config, atomically: true, encoding: .utf8)
        let base = ["run", "--dry-run", "--json", "--data", CausalRun.data.path, "--run", run.path, "--config", config.path]
        func names(_ extra: [String]) throws -> [String] {
            let r = try EmofuseCLI.run(base + extra, cache: cache)
            #expect(r.status == 0, "\(r.stderr)")
            return try JSONDecoder().decode([ModelStatus].self, from: Data(r.stdout.utf8)).map(\.name)
        }
        let system = ["re-egemaps", "pred-egemaps-arousal", "pred-fusion-arousal"]
        #expect(try names([]) == system)
        #expect(try names(["--causal"]) == system + system.map(ModelName.bidirectionalReference))
        #expect(try names(["--causal", "--no-causal-reference"]) == system)
        let refused = try EmofuseCLI.run(base + ["--no-causal-reference"], cache: cache)
        #expect(refused.status != 0 && refused.stderr.contains("--no-causal-reference goes with --causal"), "\(refused.stderr)")
    }

    /// Over two seeds: the cost is paired seed by seed, and the library loads the first seed's
    /// fusion model (the one that wrote the submission) when given the run folder.
    @Test func costOverSeedsAndTheLibraryFindsTheFirstSeed() throws {
        try CausalRun.ready()
        let run = CausalRun.root.appendingPathComponent("seeds-run")
        var c = CausalRun.config()
        c.featureSets = ["egemaps"]
        c.grid.seeds = [1, 2]
        c.training.maxEpochs = 3
        var options = LoadOptions()
        options.cacheDirectory = CausalRun.root.appendingPathComponent("cache")
        let result = try PaperSystem.run(c, context: RunContext(data: CausalRun.data, run: run, loadOptions: options))
        let cost = try #require(result.experiments?.causalCost.first { $0.a == "pred-fusion-arousal" && $0.partition == "devel" })
        #expect(cost.b == "exp-bidir-pred-fusion-arousal" && cost.difference.seeds.count == 2)
        let system = try LiveSystem(run: run, emotion: "arousal")
        #expect(system.output == "pred-fusion-arousal-s1" && system.isCausal)
        #expect(system.modelNames.allSatisfy { $0.hasSuffix("-s1") })
    }
}
