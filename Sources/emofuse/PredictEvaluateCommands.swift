import ArgumentParser
import EmoFuse
import Foundation

/// `emofuse predict`: run a saved model on a dataset.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Run a saved model on every subject of a dataset and write its output feature set (and, for a fusion model, the submission).")

    @Option(help: "A checkpoint written by autoencode/train/fuse/run (checkpoints/<name>.safetensors).") var checkpoint: String
    @OptionGroup var data: DataOptions
    @Option(help: "Output feature-set name (default: the model's own).") var name: String?
    @Option(help: "Threads.") var threads: Int = 2

    func run() throws {
        var context = try makeContext(data, nil)
        context.training.threads = threads
        let card = try Stages.predict(checkpoint: URL(fileURLWithPath: checkpoint), name: name, context: context)
        print("wrote \(data.run)/feature_segments/\(name ?? card.name)"
              + (card.role == .fusion ? " and \(data.run)/submission/label_segments/\(card.emotion ?? "")" : ""))
    }
}

/// `emofuse evaluate`: score predictions against the dataset's labels.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score predictions (a folder with label_segments/<emotion>/<ID>.csv, e.g. a submission) against a dataset's labels: CCC per emotion and partition.")

    @Option(help: "Folder holding label_segments/<emotion>/<ID>.csv with predictions.") var predictions: String
    @Option(help: "The dataset root (labels and partitions).") var data: String
    @Option(help: "Withheld test labels (a folder with label_segments/<emotion>/<ID>.csv).") var testKey: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let scores = try Evaluation.score(predictions: URL(fileURLWithPath: predictions), data: URL(fileURLWithPath: data),
                                          testKey: testKey.map { URL(fileURLWithPath: $0) })
        if scores.isEmpty {
            throw ValidationError("nothing to score: no prediction file belongs to a subject with labels (withheld test labels? give --test-key)")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(scores), as: UTF8.self))
        } else {
            print("| emotion | partition | CCC | frames |\n|---|---|---|---|")
            for s in scores { print("| \(s.emotion) | \(s.partition) | \(Report.fmt(s.ccc)) | \(s.frames) |") }
        }
    }
}
