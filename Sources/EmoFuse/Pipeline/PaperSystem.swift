import Foundation

/// The outcomes of one `emofuse run`.
public struct SystemResult: Sendable {
    public var plan = Plan()
    public var autoencoders: [ModelOutcome] = []
    public var regressors: [ModelOutcome] = []
    public var fusion: [ModelOutcome] = []
    public var experiments: ExperimentResults?
    public var robustness: [RobustnessRow] = []
    /// The corruptions `emofuse robustness` ran on this run folder.
    public var corruption: [CorruptionResult] = []
    /// Whether the data are shaped like MuSe-Stress (the paper's numbers are shown beside).
    public var paperShaped = false
}

/// The paper's whole system as a plan: auto-encoders → reconstruction errors → unimodal
/// regressors → late fusion → submission; optionally the robustness twins and the experiments.
public enum PaperSystem {
    /// The models of the paper's system for `config`, in dependency order. Trains nothing.
    /// With several `grid.seeds`, every model is repeated once per seed (`<name>-s<seed>`, each
    /// replicate reading the same seed's upstream sets); only the first seed writes the submission.
    public static func plan(_ config: RunConfiguration) throws -> Plan {
        try config.validate()
        let seeds = config.grid.seeds
        guard seeds.count > 1 else { return try singleSeedPlan(config) }
        var plan = Plan()
        plan.seeds = seeds
        for (k, seed) in seeds.enumerated() {
            var c = config
            c.grid.seeds = [seed]
            let one = try singleSeedPlan(c)
            for var model in one.renamedModels({ ModelName.replicate($0, seed: seed, of: seeds) }) {
                model.submission = model.submission && k == 0
                model.purpose += " (seed \(seed))"
                try plan.add(model)
            }
            if k == 0 {
                plan.final = one.final; plan.tables = one.tables; plan.robustness = one.robustness
                plan.notes = one.notes + ["every model repeated over seeds \(seeds.map(String.init).joined(separator: ", ")) "
                                          + "(named <model>-s<seed>); tables give mean ± sd over seeds; the submission is seed \(seed)'s"]
            }
        }
        return plan
    }

    /// The plan for one seed (`config.grid.seeds` has one value), with plain names.
    static func singleSeedPlan(_ config: RunConfiguration) throws -> Plan {
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
        if !config.reTransforms.isEmpty {
            plan.notes.append("RE transforms written beside each RE: \(config.reTransforms.map(\.rawValue).joined(separator: ", "))"
                + (compareFusion ? " (the fusion model is also trained on each, for the report's RE variants)" : " (robustness and experiments are off: no fusion model reads them)"))
        }
        if config.reOutOfFold > 1 {
            plan.notes.append("REs out-of-fold: \(config.reOutOfFold) fold auto-encoders per set (in-sample REs kept as re-<set>-insample)")
        }
        for set in needRE { try plan.add(autoencoder(config, set, purpose: "stage 1: RE of \(set)")) }
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
        if config.causal && config.causalReference { try causalReference(config, into: &plan) }
        return plan
    }

    /// With `causal`: the same system trained bidirectional (auto-encoders, regressors, fusion;
    /// same sets, settings and seed), each model renamed `exp-bidir-<name>` and reading the
    /// reference's own upstream sets, so that the report can state what causality costs.
    static func causalReference(_ config: RunConfiguration, into plan: inout Plan) throws {
        var offline = config
        offline.causal = false
        offline.grid.bidirectional = [true]
        offline.robustness = false
        offline.experiments = false
        for var model in try singleSeedPlan(offline).renamedModels(ModelName.bidirectionalReference) {
            model.submission = false
            model.purpose = "causal cost: the bidirectional reference of \(model.purpose)"
            try plan.add(model)
        }
        plan.notes.append("causal cost: the same system bidirectional (exp-bidir-<model>) for comparison (causalReference)")
    }

    /// The auto-encoder of `set` (out-of-fold with `reOutOfFold` folds).
    static func autoencoder(_ config: RunConfiguration, _ set: String, purpose: String) -> PlannedModel {
        PlannedModel(name: ModelName.autoencoder(set), role: .autoencoder, inputs: [set], emotion: nil,
                     settings: config.modelSettings, folds: config.reOutOfFold, purpose: purpose,
                     reTransforms: config.reTransforms.isEmpty ? nil : config.reTransforms)
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
        let finalSet = Set(plan.final.flatMap(plan.replicates))
        for model in plan.models {
            guard let o = outcomes[model.name] else { continue }
            switch model.role {
            case .autoencoder where !model.name.hasPrefix("exp-"): result.autoencoders.append(o)
            case .regressor where !model.name.hasPrefix("exp-"): result.regressors.append(o)
            case .fusion where finalSet.contains(model.name): result.fusion.append(o)
            default: break
            }
        }
        try study(&result, config: config, context: context)
        try Report.write(result, config: config, context: context)
        return result
    }
}

extension PaperSystem {
    /// The statistics of a finished run, from its prediction files: the system's models with
    /// mean ± sd over seeds and bootstrap intervals, the robustness comparison, the experiment
    /// tables and the paper's claims; writes `robustness.json` and `experiments.json`.
    static func study(_ result: inout SystemResult, config: RunConfiguration, context: RunContext) throws {
        let plan = result.plan
        let scorer = try Scorer(context: context)
        result.paperShaped = PaperNumbers.applies(to: scorer.dataset)
        if !plan.robustness.isEmpty {
            result.robustness = try Robustness.analyse(plan.robustness, plan: plan, context: context)
        }
        var study = try Study.tables(plan.tables, plan: plan, scorer: scorer)
        var system: [String] = plan.final
        for emotion in config.emotions {
            for set in config.featureSets + config.fusionSets.sets {
                let name = ModelName.regressor([set], emotion)
                if plan.model(plan.replicates(name)[0]) != nil, !system.contains(name) { system.append(name) }
            }
        }
        let references = system.map(ModelName.bidirectionalReference).filter { plan.model(plan.replicates($0)[0]) != nil }
        for name in system + references {
            for partition in [Partition.devel, .test] {
                if let e = try Study.estimate(name, partition, plan: plan, scorer: scorer) {
                    study.models[name, default: [:]][partition.rawValue] = e
                }
            }
        }
        study.seeds = plan.seeds ?? config.grid.seeds
        study.reVariants = try Study.reVariants(plan: plan, config: config, scorer: scorer)
        study.causalCost = try Study.causalCost(system, plan: plan, scorer: scorer)
        result.corruption = CorruptionRun.results(run: context.run)
        study.claims = try Study.claims(plan: plan, config: config, robustness: result.robustness,
                                        corruption: result.corruption, scorer: scorer)
        result.experiments = study
        try JSONFiles.write(study, to: context.run.appendingPathComponent("experiments.json"))
    }
}

extension PaperSystem {
    /// Recomputes the statistics and rewrites `report.md` of finished run folder `run` from its
    /// plan, configuration and models' markers (after `emofuse robustness` added corruptions).
    /// Trains nothing; fails naming the first planned model that is not finished.
    @discardableResult
    public static func report(run: URL) throws -> SystemResult {
        let (plan, recorded) = try RunRecord.load(run: run)
        let config = try RunConfiguration.load(from: run.appendingPathComponent("config.json"))
        let context = try recorded.resolvingTestKey(config.testKey)
        var result = SystemResult(plan: plan)
        let finalSet = Set(plan.final.flatMap(plan.replicates))
        for model in plan.models {
            guard let data = try? Data(contentsOf: context.metricsURL(model.name)),
                  let o = try? JSONFiles.decode(ModelOutcome.self, from: data) else {
                throw ConfigurationError(file: context.metricsURL(model.name).path, message: "\(model.name) is not finished: run `emofuse run` first")
            }
            switch model.role {
            case .autoencoder where !model.name.hasPrefix("exp-"): result.autoencoders.append(o)
            case .regressor where !model.name.hasPrefix("exp-"): result.regressors.append(o)
            case .fusion where finalSet.contains(model.name): result.fusion.append(o)
            default: break
            }
        }
        try study(&result, config: config, context: context)
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
