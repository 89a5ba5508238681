import Foundation
import Testing
@testable import EmoFuse

/// The plans of the paper's system, its experiments and the robustness comparison, as data:
/// asserted without training anything.
@Suite struct PlanTests {
    @Test func paperSystemPlan() throws {
        let plan = try PaperSystem.plan(RunConfiguration())
        let sets = ["egemaps", "deepspectrum", "vggface", "fau_intensity", "bert-4"]
        // 5 auto-encoders, 5 × 2 regressors, 2 fusion models, 2 robustness twins (fusion without RE).
        #expect(plan.models.filter { $0.role == .autoencoder }.map(\.name) == sets.map { "re-\($0)" })
        #expect(plan.models.filter { $0.role == .regressor }.count == 10)
        #expect(plan.models.count == 19)
        #expect(plan.final == ["pred-fusion-arousal", "pred-fusion-valence"])
        let reg = try #require(plan.model("pred-deepspectrum-valence"))
        #expect(reg.inputs == ["deepspectrum", "re-deepspectrum"])
        #expect(reg.upstream == ["re-deepspectrum"])
        let fusion = try #require(plan.model("pred-fusion-arousal"))
        #expect(fusion.submission)
        #expect(fusion.inputs == ["pred-egemaps-arousal", "pred-vggface-arousal", "pred-fau_intensity-arousal",
                                  "re-egemaps", "re-vggface", "re-fau_intensity"])
        #expect(Set(fusion.upstream) == Set(fusion.inputs))
        let twin = try #require(plan.model("exp-fusion-egemaps+vggface+fau_intensity-arousal"))
        #expect(!twin.submission && twin.inputs == Array(fusion.inputs.prefix(3)))
        #expect(plan.robustness.map(\.withoutRE) == ["exp-fusion-egemaps+vggface+fau_intensity-arousal",
                                                     "exp-fusion-egemaps+vggface+fau_intensity-valence"])
        // Dependency order: every upstream model comes earlier in the list.
        for (i, m) in plan.models.enumerated() {
            for up in m.upstream { #expect(plan.models.prefix(i).contains { $0.name == up }, "\(up) before \(m.name)") }
        }
        // Budget: one candidate per model, 100 epochs each.
        #expect(plan.epochBudget == 19 * 100)
    }

    @Test func experimentsPlan() throws {
        var config = RunConfiguration()
        config.experiments = true
        let plan = try PaperSystem.plan(config)
        let ablations = plan.models.filter { $0.name.hasPrefix("exp-") && $0.role == .regressor }
        // Tables 1–2: 4 cells × 5 sets × 2 emotions; Tables 3–4 add MSE and L1 (CCC is Table 1's
        // BiGRU); Tables 5–6 add the BiGRU with RE.
        #expect(ablations.count == 40 + 20 + 10)
        #expect(Set(ablations.map(\.name)).count == ablations.count)
        // Table 7: 4 combinations × 2 emotions, one of them the robustness twin.
        let fusions = plan.models.filter { $0.role == .fusion }
        #expect(fusions.count == 2 + 4 * 2)
        #expect(plan.models.count == 19 + 70 + 6)
        #expect(plan.tables.map(\.id) == ["1", "2", "3", "4", "5", "6", "7", "8"])
        let lstm = try #require(plan.model("exp-lstm-ccc-egemaps-arousal"))
        #expect(lstm.settings.grid.cells == [.lstm])
        #expect(lstm.settings.grid.bidirectional == [false] && lstm.upstream.isEmpty)
        #expect(try #require(plan.model("exp-bigru-l1-vggface-valence")).settings.training.loss == .l1)
        #expect(try #require(plan.model("exp-bigru-ccc-re-bert-4-arousal")).upstream == ["re-bert-4"])
        // Every table cell names a planned model.
        for t in plan.tables { for r in t.rows { for m in r.models.compactMap({ $0 }) { #expect(plan.model(m) != nil, "\(m)") } } }
    }

    @Test func withoutREThePlanStillComputesTheREsTheComparisonNeeds() throws {
        var config = RunConfiguration()
        config.withRE = false
        config.fusion.withRE = false
        let plan = try PaperSystem.plan(config)
        // The system uses no RE; the robustness twin (fusion with RE) needs the fused sets' REs.
        #expect(plan.models.filter { $0.role == .autoencoder }.map(\.name) == ["re-egemaps", "re-vggface", "re-fau_intensity"])
        #expect(try #require(plan.model("pred-egemaps-arousal")).inputs == ["egemaps"])
        let pair = try #require(plan.robustness.first)
        #expect(pair.withoutRE == "pred-fusion-arousal")
        #expect(pair.withRE == "exp-fusion-re-egemaps+vggface+fau_intensity-arousal")
        #expect(try #require(plan.model(pair.withRE)).upstream.contains("re-vggface"))
        config.robustness = false
        #expect(try PaperSystem.plan(config).models.allSatisfy { $0.role != .autoencoder })
    }

    @Test func fusionSetsFollowTheFeatureSets() throws {
        var config = RunConfiguration()
        config.featureSets = ["egemaps"]
        #expect(config.fusionSets.sets == ["egemaps"])
        var plan = try PaperSystem.plan(config)
        #expect(plan.models.filter { $0.role == .regressor }.map(\.name) == ["pred-egemaps-arousal", "pred-egemaps-valence"])
        #expect(plan.notes.contains { $0.contains("the paper's fusion sets present in featureSets") })
        config.featureSets = ["bert-4"]
        #expect(config.fusionSets.sets == ["bert-4"])
        config.fusion.sets = ["egemaps"]   // fused but not a feature set: trained, and the plan says why
        plan = try PaperSystem.plan(config)
        #expect(plan.model("pred-egemaps-arousal") != nil)
        #expect(plan.notes.contains { $0.contains("fused but not in featureSets") })
    }

    @Test func outOfFoldAndCausalPlans() throws {
        var config = RunConfiguration()
        config.fusion.outOfFold = 5
        config.causal = true
        let plan = try PaperSystem.plan(config)
        #expect(try #require(plan.model("pred-vggface-arousal")).folds == 5)
        #expect(try #require(plan.model("pred-bert-4-arousal")).folds == 0)
        let fusion = try #require(plan.model("pred-fusion-valence"))
        #expect(fusion.inputs.prefix(3).allSatisfy { $0.hasSuffix("-oof") })
        #expect(fusion.upstream.contains("pred-vggface-valence"))
        // The system's models are causal; its bidirectional reference (exp-bidir-…) is not.
        #expect(plan.models.filter { !$0.name.hasPrefix("exp-bidir-") }.allSatisfy { $0.candidates.allSatisfy { !$0.spec.bidirectional } })
        #expect(try #require(plan.model("pred-vggface-arousal")).epochBudget == 100 * 6)
    }

    @Test func autoencodersTrainWithTheAutoencoderScheduleRegressorsWithTheirs() throws {
        var config = RunConfiguration.demo
        config.autoencoderTraining = TrainingOverride()
        config.autoencoderTraining.maxEpochs = 250
        config.autoencoderTraining.batchSize = 8
        config.autoencoderTraining.learningRate = 0.005
        config.grid.learningRates = [0.0002, 0.001]
        config.training.maxEpochs = 40
        let plan = try PaperSystem.plan(config)
        let load = LoadOptions()
        for model in plan.models {
            let recorded = ProvenanceSettings(model, load: load).training
            if model.role == .autoencoder {
                #expect(model.training.maxEpochs == 250 && model.training.batchSize == 8 && model.training.loss == .mse, "\(model.name)")
                #expect(recorded.maxEpochs == 250 && recorded.batchSize == 8, "\(model.name)")
                #expect(model.candidates.map(\.learningRate) == [0.005], "\(model.name)")
                #expect(ProvenanceSettings(model, load: load).candidates.map(\.learningRate) == [0.005])
                #expect(model.epochBudget == 250)
            } else {
                #expect(model.training.maxEpochs == 40 && model.training.batchSize == config.training.batchSize, "\(model.name)")
                #expect(recorded.maxEpochs == 40 && recorded.loss == .ccc, "\(model.name)")
                #expect(model.candidates.map(\.learningRate) == [0.0002, 0.001], "\(model.name)")
            }
        }
        #expect(plan.models.filter { $0.role == .autoencoder }.count == 5)
        // The demo's defaults (RunConfiguration.demo): auto-encoders batches of 8 at 3e-3, weight
        // decay 1e-4, ≤ 200 epochs; regressors and fusion 1e-4, batches of 32, ≤ 60 epochs.
        let demo = try PaperSystem.plan(RunConfiguration.demo)
        let ae = try #require(demo.model("re-egemaps")), reg = try #require(demo.model("pred-fusion-arousal"))
        #expect(ae.training.batchSize == 8 && ae.training.maxEpochs == 200 && ae.candidates.map(\.learningRate) == [3e-3])
        #expect(reg.training.batchSize == 32 && reg.training.maxEpochs == 60 && reg.candidates.map(\.learningRate) == [1e-4])
        #expect(ae.training.patience == 10 && reg.training.patience == 10)
        #expect(ae.training.weightDecay == 1e-4 && reg.training.weightDecay == 0)
        #expect(ae.training.windowLength == 100 && reg.training.windowHop == 25)
        // `demo --audio` keeps one schedule at the paper's learning rate (its regressors at 1e-4 hit the cap).
        var audio = RunConfiguration.demo
        audio.grid.learningRates = [1e-3]
        audio.autoencoderTraining = TrainingOverride()
        #expect(RunConfiguration.audioDemo == audio && RunConfiguration.audioDemo.modelSettings.autoencoderTraining == nil)
        // Without the override every model keeps the one schedule (the paper's system is unchanged).
        for model in try PaperSystem.plan(RunConfiguration()).models {
            #expect(model.settings.autoencoderTraining == nil && model.training.maxEpochs == 100, "\(model.name)")
        }
    }
}
