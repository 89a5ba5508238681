import Foundation

/// Something worth telling a person while a plan runs.
public enum ProgressEvent: Sendable {
    /// A model starts training: `candidates` grid candidates (and fold models) follow.
    case modelStarted(model: String, candidates: Int, maxEpochs: Int)
    /// One epoch of candidate `candidate` (0-based) of `model` finished.
    case epoch(model: String, candidate: Int, candidates: Int, record: EpochRecord, maxEpochs: Int)
    /// A model was found finished and current in the run folder, and not retrained.
    case modelSkipped(model: String)
    /// A model was found in the run folder but is stale, and retrains (why).
    case modelStale(model: String, reason: String)
    case modelFinished(ModelOutcome)
    case modelFailed(model: String, error: String)
    case message(String)
}

/// Where a run reads and writes, and how it executes (not how models train: that is each
/// planned model's ``ModelSettings``).
///
/// Every model reads the user's dataset (`data`, only ever read) and writes into the run folder
/// (`run`) in the same MuSe layout; feature sets are looked up in the run folder first, so models
/// chain without copying data.
public struct RunContext: Sendable {
    public var data: URL
    public var run: URL
    public var loadOptions: LoadOptions
    /// Withheld test labels, to score test predictions.
    public var testKey: TestKey?
    /// Models trained at the same time (each with training.threads / jobs threads).
    public var jobs: Int = 1
    public var progress: (@Sendable (ProgressEvent) -> Void)?

    public init(data: URL, run: URL, loadOptions: LoadOptions = LoadOptions(), testKey: TestKey? = nil,
                jobs: Int = 1, progress: (@Sendable (ProgressEvent) -> Void)? = nil) {
        self.data = data.standardizedFileURL; self.run = run.standardizedFileURL; self.loadOptions = loadOptions
        self.testKey = testKey; self.jobs = jobs; self.progress = progress
    }

    /// The dataset as seen from the run folder (run-folder feature sets first).
    public func dataset() throws -> MuseDataset {
        try MuseDataset(root: data, overlays: [run], options: loadOptions)
    }

    /// With a test key: the one given, else `configured` (from a run configuration), else the
    /// synthetic generator's key beside synthetic data.
    public func resolvingTestKey(_ configured: String?) throws -> RunContext {
        guard testKey == nil else { return self }
        var context = self
        if let url = configured.map({ URL(fileURLWithPath: $0) }) ?? TestKey.synthetic(data: data) {
            context.testKey = try TestKey(root: url, emotions: try dataset().emotionNames)
        }
        return context
    }

    /// Refuses a run folder that is the dataset or lies inside it (the dataset is only ever read).
    public func checkRunFolder() throws {
        let data = self.data.resolvingSymlinksInPath().path, run = self.run.resolvingSymlinksInPath().path
        if run == data || run.hasPrefix(data.hasSuffix("/") ? data : data + "/") {
            throw ConfigurationError(file: self.run.path, message: "the run folder lies inside the dataset \(self.data.path), which is only ever read: choose a run folder outside it")
        }
    }

    var checkpoints: URL { run.appendingPathComponent("checkpoints") }
    var logs: URL { run.appendingPathComponent("logs") }
    var metrics: URL { run.appendingPathComponent("metrics") }
    /// Run bookkeeping: content digests, running and failed models, staging folders.
    var state: URL { run.appendingPathComponent(".state") }

    func checkpointURL(_ model: String) -> URL { checkpoints.appendingPathComponent("\(model).safetensors") }
    func metricsURL(_ model: String) -> URL { metrics.appendingPathComponent("\(model).json") }
    func logURL(_ model: String) -> URL { logs.appendingPathComponent("\(model).jsonl") }
}
