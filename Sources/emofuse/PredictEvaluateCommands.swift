import ArgumentParser
import EmoFuse
import Foundation

/// `emofuse predict`: run a saved model on a dataset, or (`--audio`) on new recordings.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Run a saved model on every subject of a dataset and write its output feature set (and, for a fusion model, the submission); with --audio, on new recordings.",
        discussion: """
        On a dataset (--data): input sets are looked up in --run, then in the checkpoint's own run \
        folder, then in --data. A run folder's own trained outputs are never overwritten.

        On recordings (--audio FILE… --out DIR): features are extracted with openSMILE as the \
        model's training data were made, the model runs (with the auto-encoders/regressors it takes \
        input from, loaded from the checkpoint's folder), and each recording gets <out>/<ID>.csv \
        (timestamp,prediction) and <out>/<ID>.svg. The checkpoint records how its audio features \
        were made (set, window, hop, mode, openSMILE configuration digest); --set/--window/--hop/--mode, \
        if given, must agree with it: a difference is an error. --data is then optional: the \
        training dataset, for checkpoints written before extraction records existed.
        """)

    @Option(help: "A checkpoint written by autoencode/train/fuse/run (checkpoints/<name>.safetensors).") var checkpoint: String
    @Option(help: "The dataset root in the MuSe layout (only ever read). Required without --audio; with --audio, the training dataset, needed only if the checkpoint has no extraction record.")
    var data: String?
    @OptionGroup var folder: RunFolderOptions
    @Option(help: "Output feature-set name (default: the model's own).") var name: String?
    @Option(help: "Threads.") var threads: Int = TrainingOptions().threads

    @Option(parsing: .upToNextOption, help: "Predict on these recordings (audio files or folders of them) instead of a dataset.")
    var audio: [String] = []
    @Option(help: "With --audio: the output folder for <ID>.csv and <ID>.svg.") var out: String?
    @Option(help: "With --audio: the expected feature set (must match the checkpoint).") var set: String?
    @Option(help: "With --audio: the expected window in seconds (must match the checkpoint).") var window: Double?
    @Option(help: "With --audio: the expected hop in seconds (must match the checkpoint).") var hop: Double?
    @Option(help: "With --audio: the expected segment mode, stream or segments (must match the checkpoint).") var mode: String?

    func validate() throws {
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if audio.isEmpty {
            let audioOnly = [("--out", out != nil), ("--set", set != nil), ("--window", window != nil),
                             ("--hop", hop != nil), ("--mode", mode != nil)].filter(\.1).map(\.0)
            if !audioOnly.isEmpty {
                throw ValidationError("\(audioOnly.joined(separator: ", ")) apply only to predictions on recordings: give --audio FILE…")
            }
            if data == nil { throw ValidationError("give --data DATASET to predict on a dataset, or --audio FILE… --out DIR to predict on recordings") }
            return
        }
        if out == nil { throw ValidationError("--audio needs --out DIR: the folder where <ID>.csv and <ID>.svg are written") }
        var unused = folder.datasetOptionsGiven
        if name != nil { unused.insert("--name", at: 0) }
        if !unused.isEmpty {
            throw ValidationError("\(unused.joined(separator: ", ")) cannot be used with --audio: the recordings are read into a temporary dataset and run folder (the models the checkpoint takes input from are found beside it), and the outputs are <out>/<ID>.csv")
        }
        if let set, AudioFeatureKind(rawValue: set) == nil {
            throw ValidationError("--set must be one of \(AudioFeatureKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let mode, SegmentMode(rawValue: mode) == nil { throw ValidationError("--mode must be stream or segments") }
    }

    func run() throws {
        if !audio.isEmpty { return try predictRecordings() }
        guard let data else { throw CommandFailure("no --data given") }
        let result = try Stages.predict(checkpoint: URL(fileURLWithPath: checkpoint), name: name, threads: threads,
                                        context: try folder.context(data: URL(fileURLWithPath: data)))
        print("wrote \(result.featureSet.path)" + (result.submission.map { " and \($0.path)" } ?? ""))
        if let note = result.note { print(note) }
    }

    private func predictRecordings() throws {
        guard let out else { throw CommandFailure("--audio needs --out DIR") }
        let log = AudioProgress(quiet: folder.quiet)
        let request = AudioPrediction.Request(set: set.flatMap(AudioFeatureKind.init(rawValue:)), window: window, hop: hop,
                                              mode: mode.flatMap(SegmentMode.init(rawValue:)))
        let s = try AudioPrediction.run(checkpoint: URL(fileURLWithPath: checkpoint), audio: audio, out: URL(fileURLWithPath: out),
                                        request: request, threads: threads, fallbackData: data.map { URL(fileURLWithPath: $0) },
                                        progress: log.handler)
        log.finish()
        print("\(s.model) on \(s.files.count) recording(s) (\(s.extraction.set.rawValue), window \(s.extraction.window) s, hop \(s.extraction.hop) s): wrote \(out)/<ID>.csv and .svg")
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
