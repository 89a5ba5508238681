import ArgumentParser
import EmoFuse
import Foundation

/// `emofuse synth`: writes a synthetic MuSe-Stress-like dataset (see docs/synthetic-data.md).
struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a synthetic dataset in the MuSe-Stress layout (not a substitute for the real data).",
        discussion: """
        Presets: tiny (tests: 6/3/3 subjects of ~100 steps, narrow sets), demo (12/5/5 subjects \
        of ~300 steps; deepspectrum 256, vggface 64, bert-4 96 wide), full (41/14/14 subjects of \
        ~600 steps, the real dimensions; ~1.5 GB). Test labels are withheld in label_segments and \
        written to DIR/test_key/label_segments; DIR/synth.json records the preset, the seed and \
        the corrupted stretches. The same seed gives byte-identical files.
        """
    )

    @Option(name: .long, help: "Output folder (created; must be empty unless --force).")
    var out: String

    @Option(name: .long, help: "Preset: tiny, demo or full.")
    var preset: String = "demo"

    @Option(name: .long, help: "Random seed.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Worker threads (the output does not depend on it).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(name: .long, help: "Replace a synthetic dataset already in the output folder.")
    var force = false

    func validate() throws {
        if SynthPreset.named(preset) == nil { throw ValidationError(SynthError.unknownPreset(preset).description) }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        guard let chosen = SynthPreset.named(preset) else { throw ValidationError(SynthError.unknownPreset(preset).description) }
        let root = URL(fileURLWithPath: out, isDirectory: true)
        let start = Date()
        let interactive = isatty(STDERR_FILENO) != 0   // progress line only on a terminal
        let manifest = try generateSyntheticDataset(preset: chosen, seed: seed, to: root, overwrite: force,
                                                    threads: threads) { p in
            guard interactive else { return }
            let line = "\r\(p.subjectsDone)/\(p.subjectsTotal) subjects, \(p.bytesWritten / 1_000_000) MB"
            FileHandle.standardError.write(Data(line.utf8))
        }
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
        let seconds = Date().timeIntervalSince(start)
        let counts = ["train", "devel", "test"].map { p in manifest.subjects.filter { $0.partition == p }.count }
        print("wrote \(chosen.name) preset (seed \(seed)) to \(root.path): \(counts[0])/\(counts[1])/\(counts[2]) "
              + "train/devel/test subjects, \(chosen.featureSets.count) feature sets, in "
              + String(format: "%.1f s", seconds))
        print("withheld test labels: \(root.appendingPathComponent(manifest.layout.testKey).path)")
    }
}
