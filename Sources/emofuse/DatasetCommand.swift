import ArgumentParser
import EmoFuse
import Foundation

/// `emofuse dataset from-recordings …`: build a MuSe-layout dataset from your own recordings.
struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Build datasets in the MuSe layout.",
        subcommands: [FromRecordings.self]
    )

    struct FromRecordings: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "from-recordings",
            abstract: "A MuSe-layout dataset from recordings, continuous annotations and a partition file.",
            discussion: """
            --annotations holds one folder per emotion with one CSV per recording: <emotion>/<ID>.csv, \
            columns time,value (time in seconds; 'timestamp' or a name with 'ms' is milliseconds; any \
            rate; common header spellings accepted). Annotations are resampled onto the feature grid: \
            the mean of the samples within each hop, else linear interpolation; gaps longer than \
            --max-gap and rows outside the annotation are left empty (with a warning). --partition is \
            an Id,Proposal CSV (train/devel/test). Recordings without annotations go to the test \
            partition with empty labels. The result is read by inspect and every other command.
            """
        )

        @Option(help: "Folder of recordings (<ID>.wav, or other formats with sox/ffmpeg).") var audio: String
        @Option(help: "Folder with <emotion>/<ID>.csv annotation files.") var annotations: String
        @Option(help: "Partition file (header Id,Proposal).") var partition: String
        @Option(help: "Dataset root to write.") var out: String
        @Option(help: "Feature set: egemaps, egemaps-lld or compare.") var set: String = AudioFeatureKind.egemaps.rawValue
        @Option(help: "Window in seconds.") var window: Double = FeatureExtraction.museWindow
        @Option(help: "Hop (time step) in seconds.") var hop: Double = FeatureExtraction.museHop
        @Option(help: "stream or segments (see `emofuse features --help`).") var mode: String = SegmentMode.stream.rawValue
        @Option(help: "Longest stretch (seconds) without an annotation sample that is interpolated across.") var maxGap: Double = 2.0
        @Option(help: "Largest difference (seconds) between an annotation's span and its recording's before it is an error.") var durationTolerance: Double = 2.0
        @Option(help: "Recordings processed in parallel.") var threads: Int = ProcessInfo.processInfo.activeProcessorCount
        @Flag(help: "No progress output.") var quiet = false

        func validate() throws {
            if AudioFeatureKind(rawValue: set) == nil {
                throw ValidationError("--set must be one of \(AudioFeatureKind.allCases.map(\.rawValue).joined(separator: ", ")), not '\(set)'")
            }
            if SegmentMode(rawValue: mode) == nil { throw ValidationError("--mode must be stream or segments, not '\(mode)'") }
            if threads < 1 { throw ValidationError("--threads must be at least 1") }
            if !(maxGap >= 0) || !(durationTolerance >= 0) { throw ValidationError("--max-gap and --duration-tolerance must be ≥ 0") }
        }

        func run() throws {
            let library = try OpenSmileLibrary.load()
            let extractor = try FeatureExtractor(library: library, set: AudioFeatureKind(rawValue: set)!, window: window, hop: hop,
                                                 mode: SegmentMode(rawValue: mode)!)
            let log = AudioProgress(quiet: quiet)
            let s = try RecordingsDataset.build(audio: URL(fileURLWithPath: audio), annotations: URL(fileURLWithPath: annotations),
                                                partition: URL(fileURLWithPath: partition), out: URL(fileURLWithPath: out),
                                                extractor: extractor, threads: threads, maxGap: maxGap,
                                                durationTolerance: durationTolerance, progress: log.handler)
            log.finish()
            for w in s.warnings { FileHandle.standardError.write(Data("warning: \(w)\n".utf8)) }
            let parts = Partition.allCases.map { "\($0.rawValue) \(s.partitionCounts[$0] ?? 0)" }.joined(separator: ", ")
            print("wrote \(out): \(s.features.files) recordings (\(parts)), feature set \(set), labels \(s.emotions.joined(separator: ", ")); "
                  + String(format: "%.1f min of audio in %.1f s", s.features.audioSeconds / 60, s.features.wallSeconds))
        }
    }
}
