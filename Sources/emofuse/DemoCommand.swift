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
        test, and writes report.md, figures, checkpoints and the submission to --run. The schedule is \
        sized for the demo's half-length sequences so that every model stops by early stopping: \
        windows of 100 (hop 25), batches of 32, learning rate 1e-4, at most 60 epochs (patience 10); \
        the auto-encoders train with batches of 8 at 3e-3, weight decay 1e-4, for at most 200 epochs \
        (RunConfiguration.demo); --config replaces it. A run folder that already holds finished, \
        current models reuses them.
        """)

    @Option(help: "Where the synthetic demo dataset is (or is written).") var data: String = "data/demo"
    @Option(name: .customLong("run"), help: "The run folder.") var runFolder: String = "runs/demo"
    @Option(help: "Seed of the synthetic data.") var seed: UInt64 = 1
    @Flag(help: "Also regenerate the paper's Tables 1–8 on the demo data (about 70 more models).") var experiments = false
    @Flag(help: "No progress output.") var quiet = false
    // The demo from sound (see AudioDemoCommand.swift).
    @Flag(help: "Demo from sound: espeak-ng speech with known prosody curves → dataset from-recordings → the system on egemaps (needs espeak-ng and openSMILE; uses data/demo-audio and runs/demo-audio unless --data/--run say otherwise).") var audio = false
    @Option(help: "--audio: number of recordings.") var audioRecordings: Int = 20
    @Option(help: "--audio: seconds per recording.") var audioSeconds: Double = 90
    @OptionGroup var execution: ExecutionOptions

    func run() throws {
        if audio { return try runAudioDemo() }
        let root = URL(fileURLWithPath: data)
        if !FileManager.default.fileExists(atPath: root.appendingPathComponent("metadata/partition.csv").path) {
            if !quiet { FileHandle.standardError.write(Data("synthesising the demo dataset in \(data)…\n".utf8)) }
            _ = try generateSyntheticDataset(preset: .demo, seed: seed, to: root, overwrite: false,
                                             threads: RunConfiguration.demo.training.threads) { _ in }
        }
        var config = try execution.configuration(base: .demo)
        if experiments { config.experiments = true }
        var options = try DataOptions.parse(["--data", data, "--run", runFolder])
        options.quiet = quiet
        try runSystem(config, data: options, execution: execution)
    }
}
