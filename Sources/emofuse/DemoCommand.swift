import ArgumentParser
import EmoFuse
import Foundation

/// `emofuse demo`: the README's main command.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Synthesise the demo dataset (unless present) and run the paper's full system on it.",
        discussion: """
        Writes the synthetic `demo` dataset to --data (skipped when it already holds one), then runs \
        5 auto-encoders, 10 unimodal regressors (features + RE) and 2 fusion models (egemaps + vggface \
        + fau_intensity predictions + REs), scores devel and, with the generator's withheld labels, \
        test, and writes report.md, figures, checkpoints and the submission to --run. A run folder \
        that already holds finished models resumes.
        """)

    @Option(help: "Where the synthetic demo dataset is (or is written).") var data: String = "data/demo"
    @Option(name: .customLong("run"), help: "The run folder.") var runFolder: String = "runs/demo"
    @Option(help: "Seed of the synthetic data.") var seed: UInt64 = 1
    @Option(help: "Threads (results are reproducible for a given thread count).") var threads: Int = 2
    @Option(help: "Maximum epochs per model.") var epochs: Int = 60
    @Option(help: "Early stopping patience.") var patience: Int = 10
    @Option(help: "Training window length (the demo's sequences are ~300 steps, half the real ones).") var window: Int = 100
    @Option(help: "Training window hop.") var hop: Int = 25
    @Option(help: "Windows per batch.") var batchSize: Int = 32
    @Flag(help: "Also regenerate the paper's Tables 1–8 on the demo data (about 70 more models).") var experiments = false
    @Flag(help: "No progress output.") var quiet = false
    // Issue 10: the demo from sound (see AudioDemoCommand.swift).
    @Flag(help: "Demo from sound: espeak-ng speech with known prosody curves → dataset from-recordings → the system on egemaps (needs espeak-ng and openSMILE; use with --data data/demo-audio --run runs/demo-audio).") var audio = false
    @Option(help: "--audio: number of recordings.") var audioRecordings: Int = 20
    @Option(help: "--audio: seconds per recording.") var audioSeconds: Double = 90

    func run() throws {
        if audio { return try runAudioDemo() }
        let root = URL(fileURLWithPath: data)
        if !FileManager.default.fileExists(atPath: root.appendingPathComponent("metadata/partition.csv").path) {
            if !quiet { FileHandle.standardError.write(Data("synthesising the demo dataset in \(data)…\n".utf8)) }
            _ = try generateSyntheticDataset(preset: .demo, seed: seed, to: root, overwrite: false,
                                             threads: max(1, threads)) { _ in }
        }
        var config = RunConfiguration()
        config.training.maxEpochs = epochs
        config.training.patience = patience
        config.training.windowLength = window
        config.training.windowHop = hop
        config.training.batchSize = batchSize
        config.training.threads = max(1, threads)
        config.experiments = experiments
        var options = try DataOptions.parse(["--data", data, "--run", runFolder])
        options.quiet = quiet
        try runAndPrint(config, data: options)
    }
}
