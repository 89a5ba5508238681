import Foundation

/// The outcomes of one `emofuse run`.
public struct SystemResult: Sendable {
    public var plan = Plan()
    public var autoencoders: [ModelOutcome] = []
    public var regressors: [ModelOutcome] = []
    public var fusion: [ModelOutcome] = []
    public var experiments: ExperimentResults?
    public var robustness: [RobustnessRow] = []
}

/// The paper's whole system as a plan: auto-encoders → reconstruction errors → unimodal
/// regressors → late fusion → submission; optionally the robustness twins and the experiments.
public enum PaperSystem {
    /// The models of the paper's system for `config`, in dependency order. Trains nothing.
    public static func plan(_ config: RunConfiguration) throws -> Plan {
        try config.validate()
        var plan = Plan()
        let settings = config.modelSettings
        let (fusionSets, fusionReason) = config.fusionSets
        let unimodal = config.featureSets + fusionSets.filter { !config.featureSets.contains($0) }
        plan.notes.append("unimodal regressors: \(config.featureSets.joined(separator: ", ")) (featureSets)"
            + (unimodal.count > config.featureSets.count
               ? "; also \(unimodal.dropFirst(config.featureSets.count).joined(separator: ", ")) (fused but not in featureSets)" : ""))
        plan.notes.append("fusion of \(fusionSets.joined(separator: " + ")) (\(fusionReason))"
            + (config.fusion.withRE ? " with their REs" : "")
            + (config.fusion.outOfFold > 1 ? ", trained on \(config.fusion.outOfFold)-fold out-of-fold predictions" : ""))
        if config.causal { plan.notes.append("causal: every model unidirectional, auto-encoders included") }

        // Stage 1: one auto-encoder per feature set whose RE is read anywhere.
        var needRE = config.withRE ? unimodal : []
        let compareFusion = config.robustness || config.experiments   // fusion with vs without RE
        if config.fusion.withRE || compareFusion { needRE += fusionSets.filter { !needRE.contains($0) } }
        for set in needRE {
            try plan.add(PlannedModel(name: ModelName.autoencoder(set), role: .autoencoder, inputs: [set], emotion: nil,
                                      settings: settings, purpose: "stage 1: RE of \(set)"))
        }
        // Stage 2: one regressor per feature set and emotion (fused sets also out-of-fold if asked).
        for emotion in config.emotions {
            for set in unimodal {
                try plan.add(PlannedModel(name: ModelName.regressor([set], emotion), role: .regressor,
                                          inputs: config.withRE ? [set, ModelName.autoencoder(set)] : [set],
                                          emotion: emotion, settings: settings,
                                          folds: fusionSets.contains(set) ? config.fusion.outOfFold : 0,
                                          purpose: "stage 2: unimodal \(set)"))
            }
        }
        // Stage 3: late fusion per emotion; its test predictions are the submission.
        for emotion in config.emotions {
            let model = fusionModel(config, emotion: emotion, withRE: config.fusion.withRE,
                                    name: ModelName.fusion(emotion), purpose: "stage 3: the system's fusion")
            var final = model
            final.submission = true
            try plan.add(final)
            plan.final.append(final.name)
        }
        if compareFusion { try Robustness.plan(config, into: &plan) }
        if config.experiments { try Experiments.plan(config, into: &plan) }
        return plan
    }

    /// The late-fusion model over the unimodal predictions of the fusion sets (their out-of-fold
    /// twins when `fusion.outOfFold` > 1), with or without their REs.
    static func fusionModel(_ config: RunConfiguration, emotion: String, withRE: Bool, sets: [String]? = nil,
                            name: String, purpose: String) -> PlannedModel {
        let sets = sets ?? config.fusionSets.sets
        let predictions = sets.map { ModelName.regressor([$0], emotion) }
        let oof = config.fusion.outOfFold > 1
        let inputs = (oof ? predictions.map(ModelName.outOfFold) : predictions)
            + (withRE ? sets.map(ModelName.autoencoder) : [])
        return PlannedModel(name: name, role: .fusion, inputs: inputs, emotion: emotion,
                            settings: config.modelSettings, purpose: purpose)
    }

    /// Runs the system: plans it, runs the plan (reusing finished models), computes the robustness
    /// comparison and experiment tables from the outputs, writes the report.
    public static func run(_ config: RunConfiguration, context: RunContext) throws -> SystemResult {
        let runner = try prepare(config, context: context)
        let (plan, context) = (runner.plan, runner.context)
        let outcomes = try runner.run()

        var result = SystemResult(plan: plan)
        let finalSet = Set(plan.final)
        for model in plan.models {
            guard let o = outcomes[model.name] else { continue }
            switch model.role {
            case .autoencoder where !model.name.hasPrefix("exp-"): result.autoencoders.append(o)
            case .regressor where !model.name.hasPrefix("exp-"): result.regressors.append(o)
            case .fusion where finalSet.contains(model.name): result.fusion.append(o)
            default: break
            }
        }
        if !plan.robustness.isEmpty {
            result.robustness = try Robustness.analyse(plan.robustness, context: context)
        }
        if !plan.tables.isEmpty {
            result.experiments = Experiments.tables(plan.tables, outcomes: outcomes)
            try JSONFiles.write(result.experiments!, to: context.run.appendingPathComponent("experiments.json"))
        }
        try Report.write(result, config: config, context: context)
        return result
    }
}

/// Where a run folder's data are, so that `emofuse status --run R` (and a cluster task) can rebuild
/// the context: written as `run.json` by every system run.
public struct RunRecord: Codable, Sendable, Equatable {
    public var data: String
    public var rowTolerance: Int
    public var dropNaNRows: Bool
    public var useCache: Bool
    public var testKey: String?

    public init(_ context: RunContext) {
        data = context.data.path; rowTolerance = context.loadOptions.rowTolerance
        dropNaNRows = context.loadOptions.dropNaNRows; useCache = context.loadOptions.useCache
        testKey = context.testKey?.root.path
    }

    /// The plan and context recorded in run folder `run`; errors name the file missing.
    public static func load(run: URL) throws -> (plan: Plan, context: RunContext) {
        func read<T: Decodable>(_ name: String, _ type: T.Type) throws -> T {
            let url = run.appendingPathComponent(name)
            guard let data = try? Data(contentsOf: url) else {
                throw ConfigurationError(file: url.path, message: "not found: is \(run.path) a run folder of `emofuse run`?")
            }
            do { return try JSONFiles.decode(type, from: data) } catch {
                throw ConfigurationError(file: url.path, message: "unreadable: \(error)")
            }
        }
        let plan = try read("plan.json", Plan.self), record = try read("run.json", RunRecord.self)
        var context = RunContext(data: URL(fileURLWithPath: record.data), run: run,
                                 loadOptions: LoadOptions(rowTolerance: record.rowTolerance, dropNaNRows: record.dropNaNRows,
                                                          useCache: record.useCache))
        if let key = record.testKey {
            context.testKey = try TestKey(root: URL(fileURLWithPath: key), emotions: try context.dataset().emotionNames)
        }
        return (plan, context)
    }
}

extension PaperSystem {
    /// The runner of the system's plan in `context`, validated against the data (for `--dry-run`
    /// and `status`): nothing is trained or written.
    public static func runner(_ config: RunConfiguration, context: RunContext) throws -> Runner {
        try Runner(plan: try plan(config), context: try context.resolvingTestKey(config.testKey))
    }

    /// The runner, after writing the configuration, the plan and where the data are into the run
    /// folder (`config.json`, `plan.json`, `run.json`): what `status` and cluster tasks read.
    public static func prepare(_ config: RunConfiguration, context: RunContext) throws -> Runner {
        let runner = try self.runner(config, context: context)
        let run = runner.context.run
        try JSONFiles.write(config, to: run.appendingPathComponent("config.json"))
        try JSONFiles.write(runner.plan, to: run.appendingPathComponent("plan.json"))
        try JSONFiles.write(RunRecord(runner.context), to: run.appendingPathComponent("run.json"))
        return runner
    }
}
