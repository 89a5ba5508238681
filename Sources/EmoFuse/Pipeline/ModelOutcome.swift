/// The role of a model in the system.
public enum ModelRole: String, Codable, Sendable {
    case autoencoder
    case regressor
    case fusion
}

/// How one grid candidate did.
public struct CandidateOutcome: Codable, Sendable, Equatable {
    public var candidate: Candidate
    public var develMetric: Double
    public var bestEpoch: Int
    public var epochs: Int
    public var seconds: Double
}

/// Everything a finished model leaves in `metrics/<name>.json`: what it read, what was chosen,
/// and how it scores per partition, and the ``Provenance`` that proves it current. It is the model's
/// marker: removed before the model retrains, written last, after every output is in place.
public struct ModelOutcome: Codable, Sendable, Equatable {
    /// The feature set the model writes (`re-egemaps`, `pred-egemaps-arousal`, `pred-fusion-arousal`).
    public var name: String
    public var role: ModelRole
    /// Feature sets read, in column order.
    public var inputs: [String]
    public var emotion: String?
    public var loss: LossKind
    public var chosen: Candidate
    /// Devel CCC (regressor, fusion) or devel reconstruction MSE (auto-encoder) of the chosen candidate.
    public var develMetric: Double
    public var candidates: [CandidateOutcome]
    /// CCC per partition for regressors (`train`, `devel`, `test` where labels exist);
    /// reconstruction MSE per partition for auto-encoders.
    public var scores: [String: Double]
    /// Out-of-fold folds used to write `<name>-oof` (0: none).
    public var folds: Int
    public var seconds: Double
    /// Counted work of all its training (every candidate and fold model, every epoch) in GFLOP:
    /// the sum of the epochs' ``EpochRecord/gflop``. nil in markers of earlier versions.
    public var gflop: Double? = nil
    /// What it read and wrote, with which settings and build (nil until the runner commits it).
    public var provenance: Provenance?
}
