import Foundation
@testable import EmoFuse

/// A causal system (every model unidirectional, auto-encoders included) trained once on the
/// `tiny` synthetic preset for the live tests; the one place such a system is made.
enum CausalRun {
    static let root: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("emofuse-live-\(getpid())")
        try? FileManager.default.removeItem(at: url)
        return url
    }()
    static var data: URL { root.appendingPathComponent("data") }
    static var run: URL { root.appendingPathComponent("run") }

    static func config() -> RunConfiguration {
        var c = RunConfiguration()
        c.featureSets = ["egemaps", "vggface", "fau_intensity"]
        c.emotions = ["arousal"]
        c.causal = true          // every model unidirectional, auto-encoders included
        c.grid.seeds = [3]
        c.grid.learningRates = [0.005]
        c.training.maxEpochs = 8
        c.training.patience = 4
        c.training.windowLength = 60
        c.training.windowHop = 20
        c.training.batchSize = 16
        c.training.threads = 2
        c.network = NetworkShape(hiddenSize: 16, layers: 2)
        c.robustness = false
        return c
    }

    /// Generates the data and trains the system once per test process.
    static let made: Result<Void, Error> = Result {
        _ = try generateSyntheticDataset(preset: .tiny, seed: 5, to: data, overwrite: false, threads: 2) { _ in }
        var options = LoadOptions()
        options.cacheDirectory = root.appendingPathComponent("cache")
        _ = try PaperSystem.run(config(), context: RunContext(data: data, run: run, loadOptions: options))
    }

    static func ready() throws { try made.get() }

    /// Devel subject IDs of the data.
    static func develSubjects() throws -> [String] {
        try MuseDataset(root: data).subjects(in: .devel).map(\.id)
    }
}
