import ArgumentParser
import EmoFuse
import Foundation

/// `--data`, `--run`, loading and output options shared by the commands that run models.
struct DataOptions: ParsableArguments {
    @Option(help: "The dataset root in the MuSe layout (only ever read).")
    var data: String

    @OptionGroup var folder: RunFolderOptions

    var run: String { folder.runFolder }
    var quiet: Bool {
        get { folder.quiet }
        set { folder.quiet = newValue }
    }
    var loadOptions: LoadOptions { folder.loadOptions }
    var dataURL: URL { URL(fileURLWithPath: data) }
    var runURL: URL { URL(fileURLWithPath: run) }

    /// The context models run in; the test key (if given) is checked here.
    func context(jobs: Int = 1) throws -> RunContext { try folder.context(data: dataURL, jobs: jobs) }
}

/// `--run`, loading and output options: what a command that runs models on a dataset needs
/// besides `--data` (kept apart so that `predict`, whose `--data` is optional with `--audio`, shares them).
struct RunFolderOptions: ParsableArguments {
    static let defaultRun = "runs/latest"

    @Option(help: "The run folder: outputs go here in the MuSe layout; feature sets are looked up here first (default \(defaultRun)).")
    var run: String?

    @Option(help: "Accept up to this many rows of difference between a feature file and its label file (trim to the shorter).")
    var rowTolerance: Int = 0

    @Flag(help: "The baseline's policy: drop train/devel rows with any missing feature or target cell from training (default: keep them, fill 0 after z-scoring). Outputs still cover every row.")
    var dropNanRows = false

    @Flag(help: "Do not read or write the binary parse cache.")
    var noCache = false

    @Option(help: "Withheld test labels: a folder with label_segments/<emotion>/<ID>.csv or <emotion>/<ID>.csv.")
    var testKey: String?

    @Flag(help: "No progress output.")
    var quiet = false

    func validate() throws {
        guard rowTolerance >= 0 else { throw ValidationError("--row-tolerance must not be negative") }
    }

    var runFolder: String { run ?? Self.defaultRun }

    var loadOptions: LoadOptions {
        LoadOptions(rowTolerance: rowTolerance, dropNaNRows: dropNanRows, useCache: !noCache)
    }

    /// The options given that concern reading a dataset and writing a run folder (all but `--quiet`).
    var datasetOptionsGiven: [String] {
        var given: [String] = []
        if run != nil { given.append("--run") }
        if rowTolerance != 0 { given.append("--row-tolerance") }
        if dropNanRows { given.append("--drop-nan-rows") }
        if noCache { given.append("--no-cache") }
        if testKey != nil { given.append("--test-key") }
        return given
    }

    /// The context models run in; the test key (if given) is checked here.
    func context(data: URL, jobs: Int = 1) throws -> RunContext {
        var context = RunContext(data: data, run: URL(fileURLWithPath: runFolder), loadOptions: loadOptions, jobs: jobs,
                                 progress: ProgressPrinter.make(quiet: quiet))
        if let testKey {
            context.testKey = try TestKey(root: URL(fileURLWithPath: testKey), emotions: try context.dataset().emotionNames)
        }
        return context
    }
}

/// Training and grid options of the stage commands. Every option is optional: what is not given
/// keeps the default of ``ModelSettings`` (the paper's), shown in each help text.
struct TrainingFlags: ParsableArguments {
    private static let d = ModelSettings()

    @Option(help: "Maximum epochs per model (default \(d.training.maxEpochs)).") var epochs: Int?
    @Option(help: "Early stopping: epochs without devel improvement (default \(d.training.patience)).") var patience: Int?
    @Option(help: "Windows per batch (default \(d.training.batchSize)).") var batchSize: Int?
    @Option(help: "Training window length in steps (default \(d.training.windowLength)).") var window: Int?
    @Option(help: "Training window hop in steps (default \(d.training.windowHop)).") var hop: Int?
    @Option(help: "Loss of regressors (default \(d.training.loss.rawValue)).") var loss: LossKind?
    @Option(help: "Comma-separated cells to try: gru, lstm (default \(d.grid.cells.map(\.rawValue).joined(separator: ","))).") var cells: String?
    @Flag(help: "Unidirectional networks (default: bidirectional).") var unidirectional = false
    @Option(help: "Comma-separated learning rates to try (default \(d.grid.learningRates.map { "\($0)" }.joined(separator: ",")); the paper: 0.001,0.005,0.0005).") var lr: String?
    @Option(help: "Comma-separated dropout rates to try (default \(d.grid.dropouts.map { "\($0)" }.joined(separator: ",")); the paper: 0.1,0.2,0.5).") var dropout: String?
    @Option(help: "Comma-separated seeds to try (default \(d.grid.seeds.map { "\($0)" }.joined(separator: ","))).") var seeds: String?
    @Option(help: "Units per direction (default \(d.network.hiddenSize)).") var hiddenSize: Int?
    @Option(help: "Recurrent layers (default \(d.network.layers)).") var layers: Int?
    @Option(help: "Clip the gradient norm to this value (default: no clipping).") var clipNorm: Float?
    @Flag(help: "Halve the learning rate after 5 epochs without improvement.") var reduceOnPlateau = false
    @Option(help: "Threads (default \(d.training.threads); results are the same for any thread count).") var threads: Int?

    /// The default settings with the given options applied, validated.
    func settings() throws -> ModelSettings {
        var s = ModelSettings()
        if let epochs { s.training.maxEpochs = epochs }
        if let patience { s.training.patience = patience }
        if let batchSize { s.training.batchSize = batchSize }
        if let window { s.training.windowLength = window }
        if let hop { s.training.windowHop = hop }
        if let loss { s.training.loss = loss }
        if let threads { s.training.threads = threads }
        if let clipNorm { s.training.clipNorm = clipNorm }
        if reduceOnPlateau { s.training.reduceOnPlateau = true }
        if let hiddenSize { s.network.hiddenSize = hiddenSize }
        if let layers { s.network.layers = layers }
        if let cells { s.grid.cells = try list(cells, "cells") { CellType(rawValue: $0) } }
        if unidirectional { s.grid.bidirectional = [false] }
        if let lr { s.grid.learningRates = try list(lr, "lr") { Float($0) } }
        if let dropout { s.grid.dropouts = try list(dropout, "dropout") { Float($0) } }
        if let seeds { s.grid.seeds = try list(seeds, "seeds") { UInt64($0) } }
        do { try s.validate() } catch { throw ValidationError("\(error)") }
        return s
    }

    private func list<T>(_ s: String, _ name: String, _ parse: (String) -> T?) throws -> [T] {
        let items = s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let values = items.compactMap(parse)
        guard !items.isEmpty, values.count == items.count else { throw ValidationError("--\(name): cannot read '\(s)'") }
        return values
    }
}

extension LossKind: ExpressibleByArgument {}

func splitList(_ s: String) -> [String] {
    s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}
