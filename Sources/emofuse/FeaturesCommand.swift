import ArgumentParser
import EmoFuse
import Foundation

/// `emofuse features --audio DIR|FILE… --out DATASET [--set egemaps] [--window S --hop S]`.
struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Extract openSMILE features from recordings into a MuSe-layout dataset (feature_segments/<set>/<ID>.csv).",
        discussion: """
        Sets: egemaps (eGeMAPSv02 functionals, 88), egemaps-lld (its 25 low-level descriptors averaged \
        per hop), compare (ComParE 2016 functionals, 6373). Row k has timestamp k·hop and summarises the \
        window centred on it. Defaults: MuSe-Stress's 0.5 s hop and the MuSe 2021 package's 2 s window. \
        WAV is read directly; other formats need sox or ffmpeg. openSMILE comes from the opensmile \
        Python package (pip install opensmile==2.6.0) or EMOFUSE_OPENSMILE=/path/to/libSMILEapi.so; \
        no Python runs. The extraction is recorded in feature_segments/<set>/extraction.json.
        """
    )

    @Option(name: .long, parsing: .upToNextOption, help: "Recordings: files or folders of audio files (the file name is the recording ID).")
    var audio: [String]

    @Option(name: .long, help: "Dataset root to write into (feature_segments/<set>/ is created or updated).")
    var out: String

    @Option(name: .long, help: "Feature set: egemaps, egemaps-lld or compare.")
    var set: String = AudioFeatureKind.egemaps.rawValue

    @Option(name: .long, help: "Window in seconds.")
    var window: Double = FeatureExtraction.museWindow

    @Option(name: .long, help: "Hop (time step) in seconds.")
    var hop: Double = FeatureExtraction.museHop

    @Option(name: .long, help: "stream (one openSMILE pass per recording) or segments (each window analysed on its own, as the Python package does for a list of segments; slower).")
    var mode: String = SegmentMode.stream.rawValue

    @Option(name: .long, help: "Recordings processed in parallel.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(name: .long, help: "No progress output.")
    var quiet = false

    func validate() throws {
        if AudioFeatureKind(rawValue: set) == nil {
            throw ValidationError("--set must be one of \(AudioFeatureKind.allCases.map(\.rawValue).joined(separator: ", ")), not '\(set)'")
        }
        if SegmentMode(rawValue: mode) == nil { throw ValidationError("--mode must be stream or segments, not '\(mode)'") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if audio.isEmpty { throw ValidationError("--audio needs at least one file or folder") }
    }

    func run() throws {
        let library = try OpenSmileLibrary.load()
        let extractor = try FeatureExtractor(library: library, set: AudioFeatureKind(rawValue: set)!, window: window, hop: hop,
                                             mode: SegmentMode(rawValue: mode)!)
        let recordings = try AudioFiles.list(audio)
        let log = AudioProgress(quiet: quiet)
        log.line("openSMILE \(library.libraryPath); \(extractor.description.config) (digest \(extractor.description.configDigest)); "
                 + "\(recordings.count) recording(s), window \(window) s, hop \(hop) s, \(mode) mode, \(threads) thread(s)")
        let summary = try AudioFeatureWriter.run(recordings: recordings, extractor: extractor, out: URL(fileURLWithPath: out),
                                                 threads: threads, progress: log.handler)
        log.finish()
        let folder = URL(fileURLWithPath: out).appendingPathComponent("feature_segments/\(set)").path
        print("wrote \(summary.files) file(s), \(summary.rows) rows to \(folder): "
              + String(format: "%.1f min of audio in %.1f s wall, %.1f s CPU (%.0f× real time per CPU-second)",
                       summary.audioSeconds / 60, summary.wallSeconds, summary.cpuSeconds,
                       summary.audioSeconds / max(summary.cpuSeconds, 1e-9)))
    }
}

/// Progress for the audio commands: a line per file on a terminal (rewritten in place), nothing with --quiet.
final class AudioProgress: @unchecked Sendable {
    private let quiet: Bool
    private let tty = isatty(STDERR_FILENO) != 0
    private let lock = NSLock()

    init(quiet: Bool) { self.quiet = quiet }

    func line(_ s: String) {
        guard !quiet else { return }
        FileHandle.standardError.write(Data((s + "\n").utf8))
    }

    var handler: (@Sendable (AudioFeatureWriter.Event) -> Void)? {
        guard !quiet else { return nil }
        return { [self] event in
            guard case .file(let done, let total, let id, let seconds, let audioSeconds) = event else { return }
            let text = "[\(done)/\(total)] \(id): \(String(format: "%.1f s of audio in %.2f s", audioSeconds, seconds))"
            lock.withLock { FileHandle.standardError.write(Data((tty ? "\r\u{1B}[K" + text : text + "\n").utf8)) }
        }
    }

    func finish() { if !quiet && tty { FileHandle.standardError.write(Data("\n".utf8)) } }
}
