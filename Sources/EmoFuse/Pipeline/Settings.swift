import Foundation

// The settings of every model: their defaults (the paper's) and their validation live here and
// nowhere else. The CLI, `demo` and the JSON configuration only override them.

/// How a model is trained (the paper's: Adam, ≤ 100 epochs, early stopping after 15 without improvement).
public struct TrainingOptions: Codable, Sendable, Equatable {
    public var maxEpochs: Int = 100
    public var patience: Int = 15
    /// An epoch counts as an improvement (for early stopping and best weights) only when the devel
    /// metric beats the best so far by more than this fraction of it (0.1%): an auto-encoder's
    /// loss otherwise creeps down by negligible amounts for all `maxEpochs`.
    public var minRelativeImprovement: Double = 1e-3
    public var batchSize: Int = 64
    public var windowLength: Int = 300
    public var windowHop: Int = 50
    /// Set from each grid candidate (`grid.learningRates`); not a configuration key.
    public var learningRate: Float = 1e-3
    public var weightDecay: Float = 0
    /// Clip the global gradient norm to this value (none when nil).
    public var clipNorm: Float? = nil
    /// Multiply the learning rate by `plateauFactor` after `plateauPatience` epochs without improvement.
    public var reduceOnPlateau: Bool = false
    public var plateauPatience: Int = 5
    public var plateauFactor: Float = 0.5
    /// Loss for regressors (auto-encoders always use MSE).
    public var loss: LossKind = .ccc
    /// Worker threads of training (results do not depend on it; see ``Runner`` for `--jobs`).
    public var threads: Int = 2

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case maxEpochs, patience, minRelativeImprovement, batchSize, windowLength, windowHop, weightDecay
        case clipNorm, reduceOnPlateau, plateauPatience, plateauFactor, loss, threads
    }

    /// Rejects settings that would hang or trap the trainer, naming the setting.
    public func validate() throws {
        func check(_ ok: Bool, _ what: String) throws { if !ok { throw TrainingError.invalid(what) } }
        try check(maxEpochs > 0, "maxEpochs must be positive (is \(maxEpochs))")
        try check(patience > 0, "patience must be positive (is \(patience))")
        try check(minRelativeImprovement >= 0 && minRelativeImprovement < 1, "minRelativeImprovement must be in [0, 1)")
        try check(batchSize > 0, "batchSize must be positive (is \(batchSize))")
        try check(windowLength > 0, "windowLength must be positive (is \(windowLength))")
        try check(windowHop > 0, "windowHop must be positive (is \(windowHop))")
        try check(windowHop <= windowLength, "windowHop (\(windowHop)) must not exceed windowLength (\(windowLength)): steps between windows would never be trained on")
        try check(learningRate > 0 && learningRate.isFinite, "learningRate must be positive (is \(learningRate))")
        try check(weightDecay >= 0, "weightDecay must not be negative")
        try check(clipNorm.map { $0 > 0 } ?? true, "clipNorm must be positive")
        try check(plateauPatience > 0 && plateauFactor > 0 && plateauFactor < 1, "plateauPatience > 0 and 0 < plateauFactor < 1")
        try check(threads > 0, "threads must be positive")
    }

    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        maxEpochs = try c.decodeIfPresent(Int.self, forKey: .maxEpochs) ?? maxEpochs
        patience = try c.decodeIfPresent(Int.self, forKey: .patience) ?? patience
        minRelativeImprovement = try c.decodeIfPresent(Double.self, forKey: .minRelativeImprovement) ?? minRelativeImprovement
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? batchSize
        windowLength = try c.decodeIfPresent(Int.self, forKey: .windowLength) ?? windowLength
        windowHop = try c.decodeIfPresent(Int.self, forKey: .windowHop) ?? windowHop
        weightDecay = try c.decodeIfPresent(Float.self, forKey: .weightDecay) ?? weightDecay
        clipNorm = try c.decodeIfPresent(Float.self, forKey: .clipNorm) ?? clipNorm
        reduceOnPlateau = try c.decodeIfPresent(Bool.self, forKey: .reduceOnPlateau) ?? reduceOnPlateau
        plateauPatience = try c.decodeIfPresent(Int.self, forKey: .plateauPatience) ?? plateauPatience
        plateauFactor = try c.decodeIfPresent(Float.self, forKey: .plateauFactor) ?? plateauFactor
        loss = try c.decodeIfPresent(LossKind.self, forKey: .loss) ?? loss
        threads = try c.decodeIfPresent(Int.self, forKey: .threads) ?? threads
    }
}

/// ``TrainingOptions`` keys that replace `training`'s for the auto-encoders only (the
/// configuration's `autoencoderTraining`); an absent key keeps `training`'s value, so the empty
/// override (the default) trains auto-encoders exactly as regressors. Auto-encoders learn a
/// smooth reconstruction objective over many more steps than a CCC regressor needs before it
/// overfits, so one schedule rarely fits both. `learningRate` replaces the grid's for the
/// auto-encoders (they train once, with the first of `grid.learningRates`, and search no grid).
/// `loss` (auto-encoders always use MSE) and `threads` (shared) are not overridable.
public struct TrainingOverride: Codable, Sendable, Equatable {
    public var learningRate: Float?
    public var maxEpochs: Int?
    public var patience: Int?
    public var minRelativeImprovement: Double?
    public var batchSize: Int?
    public var windowLength: Int?
    public var windowHop: Int?
    public var weightDecay: Float?
    public var clipNorm: Float?
    public var reduceOnPlateau: Bool?
    public var plateauPatience: Int?
    public var plateauFactor: Float?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case learningRate, maxEpochs, patience, minRelativeImprovement, batchSize, windowLength, windowHop, weightDecay
        case clipNorm, reduceOnPlateau, plateauPatience, plateauFactor
    }

    /// No key set: the auto-encoders train with `training` as it is.
    public var isEmpty: Bool { self == TrainingOverride() }

    /// `base` with every key set here replaced.
    public func applied(to base: TrainingOptions) -> TrainingOptions {
        var t = base
        if let learningRate { t.learningRate = learningRate }
        if let maxEpochs { t.maxEpochs = maxEpochs }
        if let patience { t.patience = patience }
        if let minRelativeImprovement { t.minRelativeImprovement = minRelativeImprovement }
        if let batchSize { t.batchSize = batchSize }
        if let windowLength { t.windowLength = windowLength }
        if let windowHop { t.windowHop = windowHop }
        if let weightDecay { t.weightDecay = weightDecay }
        if let clipNorm { t.clipNorm = clipNorm }
        if let reduceOnPlateau { t.reduceOnPlateau = reduceOnPlateau }
        if let plateauPatience { t.plateauPatience = plateauPatience }
        if let plateauFactor { t.plateauFactor = plateauFactor }
        return t
    }
}

/// Units per direction and recurrent layers of every model.
public struct NetworkShape: Codable, Sendable, Equatable {
    public var hiddenSize: Int = 64
    public var layers: Int = 4

    public init(hiddenSize: Int = 64, layers: Int = 4) { self.hiddenSize = hiddenSize; self.layers = layers }

    enum CodingKeys: String, CodingKey, CaseIterable { case hiddenSize, layers }

    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? hiddenSize
        layers = try c.decodeIfPresent(Int.self, forKey: .layers) ?? layers
    }

    public func validate() throws {
        guard hiddenSize > 0, layers > 0 else {
            throw TrainingError.invalid("network.hiddenSize and network.layers must be positive (are \(hiddenSize), \(layers))")
        }
    }
}

/// Everything that decides how one model trains: the network shape, the grid searched, and the
/// training options. Each planned model carries its own (an ablation changes its copy only).
public struct ModelSettings: Codable, Sendable, Equatable {
    public var network = NetworkShape()
    public var grid = HyperparameterGrid()
    public var training = TrainingOptions()
    /// What the auto-encoders train with instead of `training`'s values (the configuration's
    /// `autoencoderTraining`); nil: exactly `training`.
    public var autoencoderTraining: TrainingOverride? = nil

    public init(network: NetworkShape = NetworkShape(), grid: HyperparameterGrid = HyperparameterGrid(),
                training: TrainingOptions = TrainingOptions(), autoencoderTraining: TrainingOverride? = nil) {
        self.network = network; self.grid = grid; self.training = training
        self.autoencoderTraining = autoencoderTraining
    }

    /// The training options a model of `role` starts from (auto-encoders: `autoencoderTraining`
    /// when set; the loss is decided by ``PlannedModel/training``).
    public func training(for role: ModelRole) -> TrainingOptions {
        guard role == .autoencoder, let override = autoencoderTraining else { return training }
        return override.applied(to: training)
    }

    public func validate() throws {
        try network.validate()
        try grid.validate()
        var t = training
        t.learningRate = grid.learningRates.first ?? t.learningRate
        try t.validate()
        if let override = autoencoderTraining {
            var a = override.applied(to: training)
            a.learningRate = override.learningRate ?? grid.learningRates.first ?? a.learningRate
            do { try a.validate() } catch TrainingError.invalid(let what) {
                throw TrainingError.invalid("autoencoderTraining.\(what)")
            }
        }
    }

    /// The candidates a model of `role` tries: auto-encoders train once, with the grid's first
    /// candidate (at `autoencoderTraining.learningRate` when set); regressors and fusion models
    /// search the whole grid.
    func candidates(for role: ModelRole) -> [Candidate] {
        let all = grid.candidates(base: ModelSpec(hiddenSize: network.hiddenSize, layers: network.layers))
        guard role == .autoencoder else { return all }
        var first = Array(all.prefix(1))
        if let rate = autoencoderTraining?.learningRate { first = first.map { var c = $0; c.learningRate = rate; return c } }
        return first
    }
}
