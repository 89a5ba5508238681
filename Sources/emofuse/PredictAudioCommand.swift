import ArgumentParser
import EmoFuse
import Foundation

/// `emofuse predict-audio --checkpoint C --audio FILE… --out DIR`: a trained model on new recordings.
struct PredictAudioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict-audio",
        abstract: "Run a saved model on new recordings: extract features as the model's training data were made, run it (and the auto-encoders/regressors it takes input from), write <out>/<ID>.csv (timestamp,prediction) and <out>/<ID>.svg.",
        discussion: """
        The checkpoint records how its audio features were made (set, window, hop, mode, openSMILE \
        configuration digest); models it takes input from (re-<set>, pred-…) are loaded from the same \
        checkpoints folder. --set/--window/--hop/--mode, if given, must agree with the checkpoint: \
        a difference is an error. --data names the training dataset for checkpoints written before \
        extraction records existed.
        """
    )

    @Option(help: "A checkpoint written by train/fuse/run (<run>/checkpoints/<name>.safetensors).") var checkpoint: String
    @Option(parsing: .upToNextOption, help: "Recordings: files or folders of audio files.") var audio: [String]
    @Option(help: "Output folder for <ID>.csv and <ID>.svg.") var out: String
    @Option(help: "Expected feature set (must match the checkpoint).") var set: String?
    @Option(help: "Expected window in seconds (must match the checkpoint).") var window: Double?
    @Option(help: "Expected hop in seconds (must match the checkpoint).") var hop: Double?
    @Option(help: "Expected segment mode (must match the checkpoint).") var mode: String?
    @Option(help: "The training dataset, if the checkpoint has no extraction record.") var data: String?
    @Option(help: "Threads.") var threads: Int = 2
    @Flag(help: "No progress output.") var quiet = false

    func validate() throws {
        if let set, AudioFeatureKind(rawValue: set) == nil { throw ValidationError("--set must be one of \(AudioFeatureKind.allCases.map(\.rawValue).joined(separator: ", "))") }
        if let mode, SegmentMode(rawValue: mode) == nil { throw ValidationError("--mode must be stream or segments") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let log = AudioProgress(quiet: quiet)
        let request = AudioPrediction.Request(set: set.flatMap(AudioFeatureKind.init(rawValue:)), window: window, hop: hop,
                                              mode: mode.flatMap(SegmentMode.init(rawValue:)))
        let s = try AudioPrediction.run(checkpoint: URL(fileURLWithPath: checkpoint), audio: audio, out: URL(fileURLWithPath: out),
                                        request: request, threads: threads, fallbackData: data.map { URL(fileURLWithPath: $0) },
                                        progress: log.handler)
        log.finish()
        print("\(s.model) on \(s.files.count) recording(s) (\(s.extraction.set.rawValue), window \(s.extraction.window) s, hop \(s.extraction.hop) s): wrote \(out)/<ID>.csv and .svg")
    }
}
