import ArgumentParser
import EmoFuse
import Foundation

/// `emofuse robustness`: corrupt a finished run's devel/test inputs and measure fusion with vs without RE.
struct RobustnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "robustness",
        abstract: "Corrupt the devel/test inputs of a finished run (seeded) and compare fusion with vs without RE on corrupted vs clean frames.",
        discussion: """
        Each corruption is <set>:<kind>:<fraction>[:<snr dB>], with <set> a feature set or a modality \
        (audio, face, text), <kind> missing (cells empty, filled with the train mean), noise (Gaussian \
        bursts at the SNR, default 0 dB) or frozen (each stretch repeats its first frame), and <fraction> \
        the share of each devel/test sequence in corrupted stretches. The trained chain (auto-encoders, \
        regressors, fusion twins) is rerun from its checkpoints on the corrupted inputs; nothing is \
        trained. Each corruption writes robustness/<tag>-seed<seed>/ in the run folder; report.md \
        gains a robustness curve and the claims are updated. Example: \
        --corrupt face:missing:0.1,face:missing:0.3,egemaps:noise:0.2,egemaps:frozen:0.3
        """)

    @Option(name: .customLong("run"), help: "A finished run folder (of `emofuse run` / `demo`, with robustness on).") var runFolder: String
    @Option(help: "Comma-separated corruptions, e.g. face:missing:0.3,egemaps:noise:0.2.") var corrupt: String
    @Option(help: "Seed of the corrupted stretches and noise.") var seed: UInt64 = 1
    @Option(help: "Threads for inference.") var threads: Int = TrainingOptions().threads
    @Flag(help: "No progress output.") var quiet = false

    func run() throws {
        let run = URL(fileURLWithPath: runFolder)
        let specs = try CorruptionSpec.parseList(corrupt)
        let results = try CorruptionRun.run(run: run, specs: specs, seed: seed, threads: threads) { line in
            if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        }
        for r in results {
            for row in r.rows where row.subset == "corrupted" {
                print("\(r.spec.tag) \(row.emotion) \(row.partition): corrupted frames \(row.frames), with RE \(Report.fmt(row.withRE)), without RE \(Report.fmt(row.withoutRE)), difference \(row.difference?.signedText ?? "–")")
            }
        }
        try PaperSystem.report(run: run)
        print("report: \(run.appendingPathComponent("report.md").path)")
    }
}
