import Foundation

/// The outcomes of one `emofuse run`.
public struct SystemResult: Sendable {
    public var autoencoders: [ModelOutcome] = []
    public var regressors: [ModelOutcome] = []
    public var fusion: [ModelOutcome] = []
    public var experiments: ExperimentResults?
    public var robustness: [RobustnessRow] = []
}

/// The paper's whole system from one configuration: auto-encoders → reconstruction errors →
/// unimodal regressors → late fusion → submission, then (optionally) the experiment tables, then the report.
/// Models already finished in the run folder are reused, so an interrupted run resumes.
public enum PaperSystem {
    public static func run(_ config: RunConfiguration, context: RunContext) throws -> SystemResult {
        var context = context
        context.training = config.training
        context.grid = config.grid
        context.network = config.network
        if context.testKey == nil, let key = config.testKey { context.testKey = URL(fileURLWithPath: key) }
        // A synthetic dataset carries its withheld test labels: score against them unless told otherwise.
        let syntheticKey = context.data.appendingPathComponent("test_key")
        if context.testKey == nil,
           FileManager.default.fileExists(atPath: context.data.appendingPathComponent("synth.json").path),
           FileManager.default.fileExists(atPath: syntheticKey.path) {
            context.testKey = syntheticKey
        }
        try validate(config, context: context)
        try JSONFiles.write(config, to: context.run.appendingPathComponent("config.json"))

        var result = SystemResult()
        // Stage 1: one auto-encoder per feature set whose RE is used anywhere.
        var needRE: [String] = config.withRE ? config.featureSets : []
        if config.fusion.withRE { needRE += config.fusion.sets.filter { !needRE.contains($0) } }
        for set in needRE { result.autoencoders.append(try Stages.autoencode(set: set, context: context)) }

        // Stage 2: one regressor per feature set and emotion (fusion inputs also out-of-fold if asked).
        var unimodal = config.featureSets
        unimodal += config.fusion.sets.filter { !unimodal.contains($0) }
        for emotion in config.emotions {
            for set in unimodal {
                let features = config.withRE ? [set, "re-\(set)"] : [set]
                let folds = config.fusion.sets.contains(set) ? config.fusion.outOfFold : 0
                result.regressors.append(try Stages.regress(features: features, emotion: emotion,
                                                            name: "pred-\(set)-\(emotion)", folds: folds,
                                                            context: context))
            }
        }
        // Stage 3: late fusion per emotion; its test predictions are the submission.
        for emotion in config.emotions {
            let predictions = config.fusion.sets.map { "pred-\($0)-\(emotion)" }
            let extra = config.fusion.withRE ? config.fusion.sets.map { "re-\($0)" } : []
            result.fusion.append(try Stages.fuse(predictions: predictions, with: extra, emotion: emotion,
                                                 outOfFold: config.fusion.outOfFold > 1, submission: true,
                                                 context: context))
        }
        if config.robustness {
            result.robustness = try Robustness.analyse(config, context: context)
        }
        if config.experiments {
            result.experiments = try Experiments.run(config, context: context)
        }
        try Report.write(result, config: config, context: context)
        return result
    }

    /// Fails early, before any training, when the configuration names what the data lack.
    static func validate(_ config: RunConfiguration, context: RunContext) throws {
        let dataset = try context.dataset()
        let sets = Set(dataset.featureSetNames)
        let missing = (config.featureSets + config.fusion.sets).filter { !sets.contains($0) }
        if !missing.isEmpty {
            throw ConfigurationError(file: context.data.path,
                                     message: "feature sets not found: \(missing.joined(separator: ", ")) (have: \(dataset.featureSetNames.joined(separator: ", ")))")
        }
        let emotions = Set(dataset.emotionNames)
        let missingE = config.emotions.filter { !emotions.contains($0) }
        if !missingE.isEmpty {
            throw ConfigurationError(file: context.data.path,
                                     message: "emotions not found: \(missingE.joined(separator: ", ")) (have: \(dataset.emotionNames.joined(separator: ", ")))")
        }
        if config.fusion.sets.isEmpty { throw ConfigurationError(file: "configuration", message: "fusion.sets is empty") }
        if config.network.hiddenSize < 1 || config.network.layers < 1 {
            throw ConfigurationError(file: "configuration", message: "network.hiddenSize and network.layers must be positive")
        }
        if config.grid.candidates().isEmpty { throw ConfigurationError(file: "configuration", message: "the grid has no candidate") }
    }
}
