import Foundation

/// Something worth telling a person while models train.
public enum ProgressEvent: Sendable {
    /// A model's grid search begins: `candidates` trainings follow.
    case modelStarted(model: String, candidates: Int)
    /// One epoch of candidate `candidate` (0-based) of `model` finished.
    case epoch(model: String, candidate: Int, candidates: Int, record: EpochRecord, maxEpochs: Int)
    /// A model was found finished in the run folder and not retrained.
    case modelSkipped(model: String)
    case modelFinished(ModelOutcome)
    case message(String)
}

/// Where a stage reads and writes, and how it trains.
///
/// Every stage reads the user's dataset (`data`, only ever read) and writes into the run folder
/// (`run`) in the same MuSe layout; feature sets are looked up in the run folder first, so stages
/// chain without copying data.
public struct RunContext: Sendable {
    public var data: URL
    public var run: URL
    public var loadOptions: LoadOptions
    public var training: TrainingOptions
    public var grid: HyperparameterGrid
    public var network: NetworkShape = NetworkShape()
    /// Withheld test labels (a folder holding `label_segments/<emotion>/<ID>.csv`), to score test predictions.
    public var testKey: URL?
    public var progress: (@Sendable (ProgressEvent) -> Void)?

    public init(data: URL, run: URL, loadOptions: LoadOptions = LoadOptions(),
                training: TrainingOptions = TrainingOptions(), grid: HyperparameterGrid = HyperparameterGrid(),
                testKey: URL? = nil, progress: (@Sendable (ProgressEvent) -> Void)? = nil) {
        self.data = data; self.run = run; self.loadOptions = loadOptions; self.training = training
        self.grid = grid; self.testKey = testKey; self.progress = progress
    }

    /// The dataset as seen from the run folder (run-folder feature sets first).
    public func dataset() throws -> MuseDataset {
        try MuseDataset(root: data, overlays: [run], options: loadOptions)
    }

    var checkpoints: URL { run.appendingPathComponent("checkpoints") }
    var logs: URL { run.appendingPathComponent("logs") }
    var metrics: URL { run.appendingPathComponent("metrics") }

    func checkpointURL(_ model: String) -> URL { checkpoints.appendingPathComponent("\(model).safetensors") }
    func metricsURL(_ model: String) -> URL { metrics.appendingPathComponent("\(model).json") }
    func logURL(_ model: String) -> URL { logs.appendingPathComponent("\(model).jsonl") }
}
