import ArgumentParser
import EmoFuse
import Foundation

/// `emofuse predict`: run a saved model on a dataset.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Run a saved model on every subject of a dataset and write its output feature set (and, for a fusion model, the submission).",
        discussion: "Input sets are looked up in --run, then in the checkpoint's own run folder, then in --data. A run folder's own trained outputs are never overwritten.")

    @Option(help: "A checkpoint written by autoencode/train/fuse/run (checkpoints/<name>.safetensors).") var checkpoint: String
    @OptionGroup var data: DataOptions
    @Option(help: "Output feature-set name (default: the model's own).") var name: String?
    @Option(help: "Threads (default \(TrainingOptions().threads)).") var threads: Int = TrainingOptions().threads

    func run() throws {
        let result = try Stages.predict(checkpoint: URL(fileURLWithPath: checkpoint), name: name, threads: threads,
                                        context: try data.context())
        print("wrote \(result.featureSet.path)" + (result.submission.map { " and \($0.path)" } ?? ""))
        if let note = result.note { print(note) }
    }
}

/// `emofuse evaluate`: score predictions against the dataset's labels.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score predictions (a folder with label_segments/<emotion>/<ID>.csv, e.g. a submission) against a dataset's labels: CCC per emotion and partition.")

    @Option(help: "Folder holding label_segments/<emotion>/<ID>.csv with predictions.") var predictions: String
    @Option(help: "The dataset root (labels and partitions).") var data: String
    @Option(help: "Withheld test labels: a folder with label_segments/<emotion>/<ID>.csv or <emotion>/<ID>.csv.") var testKey: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let scores = try Evaluation.score(predictions: URL(fileURLWithPath: predictions), data: URL(fileURLWithPath: data),
                                          testKey: testKey.map { URL(fileURLWithPath: $0) })
        if scores.isEmpty {
            throw CommandFailure(testKey == nil
                ? "nothing to score: no prediction file belongs to a subject with labels (withheld test labels? give --test-key)"
                : "nothing to score: neither the dataset nor the test key \(testKey!) has labels for the predicted subjects")
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

/// An error reported as `Error: <message>` with a non-zero exit, without the usage text.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
