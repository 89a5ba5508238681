import Foundation
import Testing
@testable import EmoFuse

/// Runs the `emofuse` executable built beside this test bundle (`swift test` builds it).
enum EmofuseCLI {
    static var executable: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("emofuse")
    }

    static func run(_ args: [String], cache: URL) throws -> (status: Int32, stdout: String, stderr: String) {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw DatasetError(file: executable.path, message: "no emofuse executable beside the tests: run `swift build` first")
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = args
        var environment = ProcessInfo.processInfo.environment
        environment["EMOFUSE_CACHE"] = cache.path
        process.environment = environment
        // stderr goes to a file, as under a scheduler or `nohup` (not a terminal).
        let errFile = FileManager.default.temporaryDirectory.appendingPathComponent("emofuse-stderr-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: errFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errFile) }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: errFile)
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errData = (try? Data(contentsOf: errFile)) ?? Data()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}

/// The CLI as a scheduler or `nohup` sees it: progress lines in a log file, logs per epoch,
/// `--dry-run`, `status` exit codes, `--quiet`.
@Suite(.serialized) struct CLITests {
    static let root: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("emofuse-cli-\(getpid())")
        try? FileManager.default.removeItem(at: url)
        return url
    }()

    @Test func progressInALogFileStatusAndDryRun() throws {
        let cache = Self.root.appendingPathComponent("cache")
        let data = Self.root.appendingPathComponent("data"), run = Self.root.appendingPathComponent("run")
        _ = try EmofuseCLI.run(["synth", "--out", data.path, "--preset", "tiny", "--seed", "8"], cache: cache)
        let config = Self.root.appendingPathComponent("c.json")
        try #"{"featureSets": ["egemaps"], "emotions": ["arousal"], "network": {"hiddenSize": 8, "layers": 1}, "robustness": false, "training": {"maxEpochs": 4, "patience": 4, "windowLength": 60, "windowHop": 20, "batchSize": 16}}"#
            .write(to: config, atomically: true, encoding: .utf8)
        let base = ["--data", data.path, "--run", run.path, "--config", config.path]

        let plan = try EmofuseCLI.run(["run", "--dry-run", "--json"] + base, cache: cache)
        #expect(plan.status == 0)
        let statuses = try JSONDecoder().decode([ModelStatus].self, from: Data(plan.stdout.utf8))
        #expect(statuses.map(\.name) == ["re-egemaps", "pred-egemaps-arousal", "pred-fusion-arousal"])
        #expect(statuses.allSatisfy { $0.state == "to run" })
        #expect(try EmofuseCLI.run(["status", "--run", run.path], cache: cache).status != 0, "no run folder yet")

        // stderr is a pipe here, not a terminal: plain timestamped lines, one per start and end.
        let first = try EmofuseCLI.run(["run"] + base, cache: cache)
        #expect(first.status == 0, "\(first.stderr)")
        let lines = first.stderr.split(separator: "\n")
        #expect(lines.count == 6, "\(first.stderr)")
        #expect(lines.allSatisfy { $0.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ "#, options: .regularExpression) != nil })
        #expect(!first.stderr.contains("\u{1B}["), "no terminal escapes in a log file")
        #expect(lines.filter { $0.contains(": training ") }.count == 3 && lines.filter { $0.contains(": done in ") }.count == 3)
        // The training log has one line per epoch trained.
        let outcome = try JSONFiles.decode(ModelOutcome.self, from: Data(contentsOf: run.appendingPathComponent("metrics/pred-egemaps-arousal.json")))
        let log = try String(contentsOf: run.appendingPathComponent("logs/pred-egemaps-arousal.jsonl"), encoding: .utf8)
        #expect(log.split(separator: "\n").count == outcome.candidates.reduce(0) { $0 + $1.epochs })

        let status = try EmofuseCLI.run(["status", "--run", run.path], cache: cache)
        #expect(status.status == 0 && status.stdout.contains("3 done"), "\(status.stdout)")
        let again = try EmofuseCLI.run(["run", "--quiet"] + base, cache: cache)
        #expect(again.status == 0 && again.stderr.isEmpty)
        let resumed = try EmofuseCLI.run(["run"] + base, cache: cache)
        #expect(resumed.stderr.split(separator: "\n").filter { $0.contains("reused") }.count == 3, "says what it reused")
    }

    @Test func badConfigurationsFailBeforeTrainingNamingTheProblem() throws {
        let cache = Self.root.appendingPathComponent("cache")
        let data = Self.root.appendingPathComponent("data2")
        _ = try EmofuseCLI.run(["synth", "--out", data.path, "--preset", "tiny", "--seed", "8"], cache: cache)
        let config = Self.root.appendingPathComponent("bad.json")
        try "{\n  \"featureSets\": [\"egemap\"],\n}".write(to: config, atomically: true, encoding: .utf8)
        let r1 = try EmofuseCLI.run(["run", "--data", data.path, "--run", Self.root.appendingPathComponent("r1").path, "--config", config.path], cache: cache)
        #expect(r1.status != 0 && r1.stderr.contains("bad.json:3:1"), "\(r1.stderr)")
        try "{\"featureSets\": [\"egemap\"]}".write(to: config, atomically: true, encoding: .utf8)
        let r2 = try EmofuseCLI.run(["run", "--data", data.path, "--run", Self.root.appendingPathComponent("r2").path, "--config", config.path], cache: cache)
        #expect(r2.status != 0 && r2.stderr.contains("did you mean 'egemaps'"), "\(r2.stderr)")
        #expect(!FileManager.default.fileExists(atPath: Self.root.appendingPathComponent("r2/metrics").path), "nothing trained")
        let r3 = try EmofuseCLI.run(["run", "--data", data.path, "--run", data.appendingPathComponent("out").path], cache: cache)
        #expect(r3.status != 0 && r3.stderr.contains("inside the dataset"), "\(r3.stderr)")
    }

    /// `predict` on a dataset or, with `--audio`, on recordings: options of the other mode, and
    /// `--audio` without `--out`, are refused before anything is loaded, saying what to give.
    @Test func predictRefusesOptionsOfTheOtherMode() throws {
        let cache = Self.root.appendingPathComponent("cache")
        let checkpoint = Self.root.appendingPathComponent("none/checkpoints/pred-egemaps-arousal.safetensors").path
        func fails(_ args: [String], saying text: String) throws {
            let r = try EmofuseCLI.run(["predict", "--checkpoint", checkpoint] + args, cache: cache)
            #expect(r.status != 0 && r.stderr.contains(text), "\(args): \(r.stderr)")
            #expect(!r.stderr.contains("no checkpoint") && !r.stderr.contains("not found"), "fails in validation, before loading: \(r.stderr)")
        }
        try fails(["--audio", "new.wav"], saying: "--audio needs --out DIR")
        try fails(["--audio", "a.wav", "b.wav", "--out", "preds", "--name", "x", "--run", "r", "--test-key", "k"],
                  saying: "--name, --run, --test-key cannot be used with --audio")
        try fails(["--audio", "a.wav", "--out", "preds", "--set", "egemap"], saying: "--set must be one of egemaps, egemaps-lld, compare")
        try fails(["--audio", "a.wav", "--out", "preds", "--mode", "frames"], saying: "--mode must be stream or segments")
        try fails(["--data", "d", "--hop", "0.25", "--out", "preds"], saying: "--out, --hop apply only to predictions on recordings")
        try fails([], saying: "give --data DATASET to predict on a dataset, or --audio FILE… --out DIR")
        let old = try EmofuseCLI.run(["predict-audio", "--checkpoint", checkpoint, "--audio", "a.wav", "--out", "preds"], cache: cache)
        #expect(old.status != 0, "one command: predict-audio is gone")
    }
}
