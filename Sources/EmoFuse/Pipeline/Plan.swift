import Foundation

/// One model of a plan, as data: what it reads, how it trains, what it writes. The ``Runner``
/// executes it; nothing here trains.
public struct PlannedModel: Codable, Sendable, Equatable {
    /// Also the feature set it writes (and its checkpoint, log and marker names); see ``ModelName``.
    public var name: String
    public var role: ModelRole
    /// Feature sets read, in column order (dataset sets, or sets written by upstream models).
    public var inputs: [String]
    public var emotion: String?
    public var settings: ModelSettings
    /// > 1: also write `<name>-oof`, train rows predicted by k models that did not see them.
    public var folds: Int = 0
    /// Write the test predictions as the challenge submission (the system's fusion models only).
    public var submission = false
    /// The planned models whose outputs it reads.
    public var upstream: [String] = []
    /// Why the plan holds this model (for `--dry-run`).
    public var purpose: String
    /// Auto-encoders: transforms of the RE also written, as `<name>-<transform>` (nil: none).
    public var reTransforms: [RETransform]? = nil

    /// The grid candidates it trains (auto-encoders: the first only).
    public var candidates: [Candidate] { settings.candidates(for: role) }

    /// The feature sets it writes: with folds, a regressor also writes its out-of-fold twin
    /// `<name>-oof`; an auto-encoder writes its out-of-fold RE as `<name>` and the in-sample RE as
    /// `<name>-insample`.
    public var outputs: [String] {
        let transformed = (reTransforms ?? []).map { ModelName.transformedRE(name, $0) }
        guard folds > 1 else { return [name] + transformed }
        return [name, role == .autoencoder ? ModelName.inSample(name) : ModelName.outOfFold(name)] + transformed
    }

    /// The most epochs it can train: every candidate, plus every fold model, to the epoch cap.
    public var epochBudget: Int { candidates.count * training.maxEpochs * (1 + (folds > 1 ? folds : 0)) }

    /// The training options as this model uses them: its role's (``ModelSettings/training(for:)``;
    /// auto-encoders always use MSE).
    public var training: TrainingOptions {
        var t = settings.training(for: role)
        if role == .autoencoder { t.loss = .mse }
        return t
    }
}

/// A table computed from finished models: each cell is a model's devel score.
public struct TablePlan: Codable, Sendable, Equatable {
    public struct Row: Codable, Sendable, Equatable {
        public var label: String
        /// The model whose devel score fills each column (nil: not run).
        public var models: [String?]
        /// The paper's value per column (nil: the paper has none).
        public var paper: [Double?]
    }
    public var id: String
    public var title: String
    public var columns: [String]
    public var rows: [Row]
}

/// The robustness comparison of one emotion: the same fusion with and without the sets' REs.
public struct RobustnessPair: Codable, Sendable, Equatable {
    public var emotion: String
    public var withRE: String
    public var withoutRE: String
    /// The fused feature sets (their corruption flags and `re-` sets split the frames).
    public var sets: [String]
}

/// Everything a run does, as data: the models in dependency order and what is computed from them.
public struct Plan: Codable, Sendable, Equatable {
    public var models: [PlannedModel] = []
    /// The system's final models (one fusion model per emotion; they write the submission).
    public var final: [String] = []
    public var tables: [TablePlan] = []
    public var robustness: [RobustnessPair] = []
    /// Decisions worth telling (which sets are trained and why).
    public var notes: [String] = []
    /// The seeds each model is repeated over (`grid.seeds`); tables and robustness pairs name the
    /// replicate-free model, see ``ModelName/replicate(_:seed:of:)``. Nil: one seed, plain names.
    public var seeds: [UInt64]?

    /// The planned replicates of model `name` (one per seed).
    public func replicates(_ name: String) -> [String] {
        guard let seeds, seeds.count > 1 else { return [name] }
        return seeds.map { ModelName.replicate(name, seed: $0, of: seeds) }
    }

    public init() {}

    public func model(_ name: String) -> PlannedModel? { models.first { $0.name == name } }

    public var epochBudget: Int { models.reduce(0) { $0 + $1.epochBudget } }

    /// Adds a model, filling in its upstream models from the plan so far. A model already
    /// planned under the same name must be the same model (several tables share one ablation).
    /// Its models with every model renamed by `rename` (given the model's name): each model's name
    /// and every input one of them writes, derived sets (`-oof`, `-insample`, RE transforms)
    /// following their producer; inputs read from the data stay as they are. How seed replicates
    /// and the causal system's bidirectional reference are made from a plan of plain names.
    func renamedModels(_ rename: (String) -> String) -> [PlannedModel] {
        let planned = Set(models.map(\.name))
        func renamed(_ set: String) -> String {
            let producer = ModelName.producer(of: set)
            return planned.contains(producer) ? rename(producer) + set.dropFirst(producer.count) : set
        }
        return models.map { model in
            var m = model
            m.name = renamed(m.name)
            m.inputs = m.inputs.map(renamed)
            return m
        }
    }

    mutating func add(_ model: PlannedModel) throws {
        var model = model
        model.upstream = model.inputs.map(ModelName.producer(of:)).filter { producer in
            models.contains { $0.name == producer }
        }
        model.upstream = model.upstream.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
        if let existing = models.first(where: { $0.name == model.name }) {
            var a = existing, b = model
            a.purpose = ""; b.purpose = ""; a.submission = a.submission || b.submission; b.submission = a.submission
            guard a == b else {
                throw ConfigurationError(file: "plan", message: "two different models would be named '\(model.name)'")
            }
            if let i = models.firstIndex(where: { $0.name == model.name }), model.submission {
                models[i].submission = true
            }
            return
        }
        models.append(model)
    }

    /// Fails before any training when the plan cannot run on `dataset`: an emotion without labels,
    /// or an input set that neither the dataset, nor the run folder, nor an earlier model provides.
    public func validate(on dataset: MuseDataset, run: URL) throws {
        let emotions = dataset.emotionNames
        var produced = Set<String>()
        for model in models {
            if let emotion = model.emotion, !emotions.contains(emotion) {
                throw ConfigurationError(file: dataset.root.appendingPathComponent("label_segments").path,
                                         message: "no labels for emotion '\(emotion)' (needed by \(model.name))\(didYouMean(emotion, emotions)); have: \(emotions.joined(separator: ", "))")
            }
            for input in model.inputs where !produced.contains(input) && dataset.featureSetDirectory(input) == nil {
                throw ConfigurationError(file: dataset.root.appendingPathComponent("feature_segments").path,
                                         message: Self.missingSet(input, neededBy: model.name, dataset: dataset, run: run))
            }
            produced.formUnion(model.outputs)
        }
    }

    /// Says where a missing set was looked for, the closest existing name, and what makes it.
    static func missingSet(_ set: String, neededBy model: String, dataset: MuseDataset, run: URL) -> String {
        var text = "feature set '\(set)' (read by \(model)) is in neither \(dataset.root.path)/feature_segments "
            + "nor \(run.path)/feature_segments"
        let known = dataset.featureSetNames
        if let near = closestName(to: set, in: known) {
            text += "; did you mean '\(near)'?"
        } else if let base = ModelName.reconstructed(set) {
            text += "; it is written by the auto-encoder of '\(base)': emofuse autoencode --features \(base) (same --data and --run)"
        } else if set.hasPrefix("pred-") {
            text += "; it is written by a regressor: emofuse train --features <set> --emotion <emotion> (same --data and --run)"
        }
        return text + " (have: \(known.isEmpty ? "none" : known.joined(separator: ", ")))"
    }
}
