import ArgumentParser
import EmoFuse
import Foundation

/// `--data`, `--run`, loading and output options shared by the stage commands.
struct DataOptions: ParsableArguments {
    @Option(help: "The dataset root in the MuSe layout (only ever read).")
    var data: String

    @Option(help: "The run folder: outputs go here in the MuSe layout; feature sets are looked up here first.")
    var run: String = "runs/latest"

    @Option(help: "Accept up to this many rows of difference between a feature file and its label file (trim to the shorter).")
    var rowTolerance: Int = 0

    @Flag(help: "The baseline's policy: drop train/devel rows with any missing feature or target cell from training (default: keep them, fill 0 after z-scoring). Outputs still cover every row.")
    var dropNanRows = false

    @Flag(help: "Do not read or write the binary parse cache.")
    var noCache = false

    @Option(help: "Withheld test labels (a folder with label_segments/<emotion>/<ID>.csv) to score test predictions.")
    var testKey: String?

    @Flag(help: "No progress output.")
    var quiet = false

    var loadOptions: LoadOptions {
        var o = LoadOptions()
        o.rowTolerance = rowTolerance
        o.dropNaNRows = dropNanRows
        o.useCache = !noCache
        return o
    }

    var dataURL: URL { URL(fileURLWithPath: data) }
    var runURL: URL { URL(fileURLWithPath: run) }
}

/// Training and grid options shared by the stage commands.
struct TrainingFlags: ParsableArguments {
    @Option(help: "Maximum epochs per model.") var epochs: Int = 100
    @Option(help: "Early stopping: epochs without devel improvement.") var patience: Int = 15
    @Option(help: "Windows per batch.") var batchSize: Int = 64
    @Option(help: "Training window length in steps.") var window: Int = 300
    @Option(help: "Training window hop in steps.") var hop: Int = 50
    @Option(help: "Loss of regressors: ccc, mse or l1.") var loss: String = "ccc"
    @Option(help: "Comma-separated cells to try: gru, lstm.") var cells: String = "gru"
    @Flag(help: "Unidirectional networks (default: bidirectional).") var unidirectional = false
    @Option(help: "Comma-separated learning rates to try (the paper: 0.001,0.005,0.0005).") var lr: String = "0.001"
    @Option(help: "Comma-separated dropout rates to try (the paper: 0.1,0.2,0.5).") var dropout: String = "0.2"
    @Option(help: "Comma-separated seeds to try.") var seeds: String = "1"
    @Option(help: "Clip the gradient norm to this value.") var clipNorm: Float?
    @Flag(help: "Halve the learning rate after 5 epochs without improvement.") var reduceOnPlateau = false
    @Option(help: "Threads (results are reproducible for a given thread count).") var threads: Int = 2

    func training() throws -> TrainingOptions {
        var o = TrainingOptions()
        o.maxEpochs = epochs; o.patience = patience; o.batchSize = batchSize
        o.windowLength = window; o.windowHop = hop; o.threads = max(1, threads)
        o.clipNorm = clipNorm; o.reduceOnPlateau = reduceOnPlateau
        guard let l = LossKind(rawValue: loss) else { throw ValidationError("--loss must be ccc, mse or l1, not '\(loss)'") }
        o.loss = l
        guard epochs > 0, patience > 0, batchSize > 0, window > 0, hop > 0 else {
            throw ValidationError("--epochs, --patience, --batch-size, --window and --hop must be positive")
        }
        return o
    }

    func grid() throws -> HyperparameterGrid {
        func list<T>(_ s: String, _ name: String, _ parse: (String) -> T?) throws -> [T] {
            let items = s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let values = items.compactMap(parse)
            guard !items.isEmpty, values.count == items.count else { throw ValidationError("--\(name): cannot read '\(s)'") }
            return values
        }
        return HyperparameterGrid(cells: try list(cells, "cells") { CellType(rawValue: $0) },
                                  bidirectional: [!unidirectional],
                                  learningRates: try list(lr, "lr") { Float($0) },
                                  dropouts: try list(dropout, "dropout") { Float($0) },
                                  seeds: try list(seeds, "seeds") { UInt64($0) })
    }
}

func makeContext(_ data: DataOptions, _ flags: TrainingFlags?) throws -> RunContext {
    RunContext(data: data.dataURL, run: data.runURL, loadOptions: data.loadOptions,
               training: try flags?.training() ?? TrainingOptions(), grid: try flags?.grid() ?? HyperparameterGrid(),
               testKey: data.testKey.map { URL(fileURLWithPath: $0) },
               progress: ProgressPrinter.make(quiet: data.quiet))
}

func splitList(_ s: String) -> [String] {
    s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}
