import Foundation
import Testing
@testable import EmoFuse

/// `emofuse stream` as a process: a whole devel recording through a pipe equals `predict`, and
/// every kind of bad input has its message and defined behaviour.
@Suite(.serialized) struct StreamCommandTests {
    /// The `emofuse` executable SwiftPM built beside the test bundle.
    static func binary() throws -> URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("emofuse")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        throw TestFailure("no emofuse executable near \(CommandLine.arguments[0]); `swift build` builds it")
    }

    struct TestFailure: Error, CustomStringConvertible { let description: String; init(_ d: String) { description = d } }

    struct Outcome { var status: Int32; var stdout: String; var stderr: String }

    /// Runs `emofuse stream` with `input` on stdin (written whole, then closed).
    static func stream(_ arguments: [String], input: String) throws -> Outcome {
        let p = Process()
        p.executableURL = try binary()
        p.arguments = ["stream"] + arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        p.standardInput = stdin; p.standardOutput = stdout; p.standardError = stderr
        try p.run()
        let writer = Thread { stdin.fileHandleForWriting.write(Data(input.utf8)); try? stdin.fileHandleForWriting.close() }
        writer.start()
        let errData = ThreadedRead(stderr.fileHandleForReading)
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Outcome(status: p.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                       stderr: String(decoding: errData.wait(), as: UTF8.self))
    }

    /// Reads a handle to its end on another thread (so neither pipe fills up and blocks).
    final class ThreadedRead: @unchecked Sendable {
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)
        init(_ handle: FileHandle) {
            Thread { self.data = handle.readDataToEndOfFile(); self.done.signal() }.start()
        }
        func wait() -> Data { done.wait(); return data }
    }

    /// The data lines of a feature file, without their line breaks.
    static func lines(set: String, subject: String) throws -> [String] {
        let url = CausalRun.data.appendingPathComponent("feature_segments/\(set)/\(subject).csv")
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").dropFirst().map(String.init)
    }

    /// Every set's rows interleaved by row, each prefixed by its set: what `stream` reads on stdin.
    static func interleaved(_ system: LiveSystem, subject: String, skip: (String, Int) -> Bool = { _, _ in false }) throws -> [String] {
        let perSet = try system.featureSets.map { (set: $0, lines: try lines(set: $0, subject: subject)) }
        var result: [String] = []
        for t in 0..<perSet[0].lines.count {
            for (set, lines) in perSet where !skip(set, t) { result.append("\(set),\(lines[t])") }
        }
        return result
    }

    /// `timestamp,value` rows of the output (header dropped).
    static func values(_ output: String) -> [(Int64, Float)] {
        output.split(separator: "\n").dropFirst().map { line in
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            return (Int64(cells[0])!, Float(String(cells[1]))!)
        }
    }

    static func system() throws -> LiveSystem {
        try CausalRun.ready()
        return try LiveSystem(run: CausalRun.run, emotion: "arousal")
    }

    /// The synthetic video sets start one step (500 ms) after audio and labels, like MuSe's;
    /// offline they are aligned by row, so the stream moves their grid back by a step. A long
    /// `--max-wait` keeps a stalled test machine from turning a slow row into a missing one
    /// (the wall-clock rule is tested in LiveTests with a controlled clock).
    static var baseArguments: [String] {
        ["--run", CausalRun.run.path, "--emotion", "arousal", "--shift", "vggface=-500", "--shift", "fau_intensity=-500",
         "--max-wait", "30"]
    }

    /// The acceptance test: a whole devel recording streamed line by line through a pipe gives
    /// `predict`'s values on the same causal checkpoints, bit for bit, at the recording's timestamps.
    @Test func wholeDevelRecordingEqualsPredict() throws {
        let system = try Self.system()
        let subject = try CausalRun.develSubjects()[0]
        let recording = try Recording.load(data: CausalRun.data, subject: subject, sets: system.featureSets)
        let trace = try system.predict(recording)
        let input = try Self.interleaved(system, subject: subject).joined(separator: "\n") + "\n"
        let out = try Self.stream(Self.baseArguments + ["--with-re"], input: input)
        #expect(out.status == 0, "\(out.stderr)")
        let rows = Self.values(out.stdout)
        #expect(rows.map(\.0) == recording.timestamps!)
        #expect(rows.map(\.1) == trace.values)
        #expect(out.stdout.hasPrefix("timestamp,value,re-"))
        let firstRE = out.stdout.split(separator: "\n")[1].split(separator: ",").dropFirst(2).map { Float(String($0))! }
        #expect(firstRE == system.reconstructionErrorNames.map { trace.reconstructionErrors[$0]![0] })
        #expect(out.stderr.contains("\(trace.values.count) steps (0 with a set missing)"))
    }

    /// Named files (FIFOs work the same way: `poll`), one set each, with their header lines.
    @Test func namedInputsEqualPredict() throws {
        let system = try Self.system()
        let subject = try CausalRun.develSubjects()[1]
        let trace = try system.predict(try Recording.load(data: CausalRun.data, subject: subject, sets: system.featureSets))
        let inputs = system.featureSets.flatMap {
            ["--input", "\($0)=" + CausalRun.data.appendingPathComponent("feature_segments/\($0)/\(subject).csv").path]
        }
        let out = try Self.stream(Self.baseArguments + inputs, input: "")
        #expect(out.status == 0, "\(out.stderr)")
        #expect(Self.values(out.stdout).map(\.1) == trace.values)
    }

    /// FIFOs, one per set, fed by a live writer a step at a time.
    @Test func fifosEqualPredict() throws {
        let system = try Self.system()
        let subject = try CausalRun.develSubjects()[2]
        let trace = try system.predict(try Recording.load(data: CausalRun.data, subject: subject, sets: system.featureSets))
        let dir = CausalRun.root.appendingPathComponent("fifos-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let paths = system.featureSets.map { dir.appendingPathComponent("\($0).fifo").path }
        for path in paths { #expect(mkfifo(path, 0o600) == 0) }
        let p = Process()
        p.executableURL = try Self.binary()
        p.arguments = ["stream"] + Self.baseArguments + zip(system.featureSets, paths).flatMap { ["--input", "\($0)=\($1)"] }
        let stdout = Pipe(), stderr = Pipe()
        p.standardOutput = stdout; p.standardError = stderr
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let out = ThreadedRead(stdout.fileHandleForReading), errors = ThreadedRead(stderr.fileHandleForReading)
        // The stream opens the FIFOs in order; each open returns once both ends are there.
        let writers = paths.map { FileHandle(forWritingAtPath: $0)! }
        let lines = try system.featureSets.map { try Self.lines(set: $0, subject: subject) }
        for t in 0..<lines[0].count {
            for (k, w) in writers.enumerated() { w.write(Data((lines[k][t] + "\n").utf8)) }
        }
        for w in writers { try w.close() }
        p.waitUntilExit()
        let text = String(decoding: out.wait(), as: UTF8.self)
        #expect(p.terminationStatus == 0, "\(String(decoding: errors.wait(), as: UTF8.self))")
        #expect(Self.values(text).map(\.1) == trace.values)
    }

    @Test func malformedAndUnknownLinesAreSkippedWithTheirPosition() throws {
        let system = try Self.system()
        let subject = try CausalRun.develSubjects()[0]
        var lines = try Self.interleaved(system, subject: subject)
        let steps = lines.count / 3
        lines.insert("egemaps,notatime,1,1,2,3,4,5,6,7,8", at: 3)                 // line 4
        lines.insert("egemaps,99,1,1,2,3", at: 5)                                 // line 6: too few
        lines.insert("bert-4,500,1,0.5", at: 7)                                   // line 8: unknown set
        lines.insert("vggface,77,1,1,2,3,4,5,6,7,8,9,10,11,x", at: 9)             // line 10: not a number
        lines.insert("garbage", at: 11)                                           // line 12
        let out = try Self.stream(Self.baseArguments, input: lines.joined(separator: "\n") + "\n")
        #expect(out.status == 0)
        #expect(out.stderr.contains("stdin:4:2: timestamp 'notatime' is not an integer; line skipped"), "\(out.stderr)")
        #expect(out.stderr.contains("stdin:6:7: 3 features, the set has 8"))
        #expect(out.stderr.contains("stdin:8:1: set 'bert-4' is not an input of pred-fusion-arousal"))
        #expect(out.stderr.contains("stdin:10:15: 'x' is not a number"))
        #expect(out.stderr.contains("stdin:12:1: a single cell 'garbage'"))
        #expect(out.stderr.contains("skipped: 4 malformed, 1 unknown-set"))
        let trace = try system.predict(try Recording.load(data: CausalRun.data, subject: subject, sets: system.featureSets))
        #expect(Self.values(out.stdout).map(\.1) == trace.values)
        #expect(Self.values(out.stdout).count == steps)
    }

    @Test func backwardsAndJumpingTimestampsAreSkipped() throws {
        let system = try Self.system()
        let subject = try CausalRun.develSubjects()[0]
        var lines = try Self.interleaved(system, subject: subject)
        // After step 3 ran (line 12), a row for step 1 again (late), and a far-future row (a glitch).
        let stale = lines[3]
        lines.insert(stale, at: 12)
        lines.insert("egemaps,999999999,1,1,2,3,4,5,6,7,8", at: 13)
        let out = try Self.stream(Self.baseArguments, input: lines.joined(separator: "\n") + "\n")
        #expect(out.status == 0)
        let recording = try Recording.load(data: CausalRun.data, subject: subject, sets: system.featureSets)
        let ts = recording.timestamps!
        #expect(out.stderr.contains("egemaps: row for \(ts[1]) arrived after step \(ts[3]) ran; skipped"), "\(out.stderr)")
        #expect(out.stderr.contains("egemaps: timestamp 999999999 jumps more than 60000 ms past step \(ts[3])"))
        let trace = try system.predict(recording)
        #expect(Self.values(out.stdout).map(\.1) == trace.values)
    }

    /// vggface sends nothing for 20 steps: those steps run with it missing (as a lost face in
    /// training), are reported, and give the library stream's values for the same frames.
    @Test func silentModalityIsFedAsMissing() throws {
        let system = try Self.system()
        let subject = try CausalRun.develSubjects()[0]
        let silent = 10..<30
        let lines = try Self.interleaved(system, subject: subject) { set, t in set == "vggface" && silent.contains(t) }
        let out = try Self.stream(Self.baseArguments, input: lines.joined(separator: "\n") + "\n")
        #expect(out.status == 0)
        let recording = try Recording.load(data: CausalRun.data, subject: subject, sets: system.featureSets)
        let ts = recording.timestamps!
        #expect(out.stderr.contains("vggface: no rows from \(ts[10]) until \(ts[30]): 20 steps ran with it missing"), "\(out.stderr)")
        let stream = try system.makeStream()
        var expected: [Float] = []
        for t in 0..<recording.timestamps!.count {
            var frame: [String: [Float]] = [:]
            for set in system.featureSets where !(set == "vggface" && silent.contains(t)) {
                let w = system.width(of: set)!
                frame[set] = Array(recording.features[set]![(t * w)..<((t + 1) * w)])
            }
            expected.append(try stream.push(frame))
        }
        #expect(Self.values(out.stdout).map(\.1) == expected)
    }

    @Test func inputEndingMidLineIsReportedAndTheRestFlushed() throws {
        let system = try Self.system()
        let subject = try CausalRun.develSubjects()[0]
        let lines = Array(try Self.interleaved(system, subject: subject).prefix(30))
        let cut = String(lines[29].prefix(12))
        let out = try Self.stream(Self.baseArguments, input: lines.prefix(29).joined(separator: "\n") + "\n" + cut)
        #expect(out.status == 0)
        #expect(out.stderr.contains("stdin:30: input ended mid-line (12 bytes without a line break); partial line discarded"), "\(out.stderr)")
        // Steps 0–8 complete; step 9 lacks the discarded row and runs at the end with it missing.
        let rows = Self.values(out.stdout)
        #expect(rows.count == 10)
        #expect(out.stderr.contains("10 steps (1 with a set missing)"))
    }

    /// The reader of the output goes away: the stream stops with a message and status 1.
    @Test func closedOutputStopsWithAMessage() throws {
        signal(SIGPIPE, SIG_IGN)      // our own writes to its stdin after it stopped must not kill the tests
        let system = try Self.system()
        let subject = try CausalRun.develSubjects()[0]
        let lines = try Self.interleaved(system, subject: subject)
        let p = Process()
        p.executableURL = try Self.binary()
        p.arguments = ["stream"] + Self.baseArguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        p.standardInput = stdin; p.standardOutput = stdout; p.standardError = stderr
        try p.run()
        let errors = ThreadedRead(stderr.fileHandleForReading)
        // Read the header, then close our end of the output and keep feeding input.
        var header = Data()
        while !header.contains(10) { header.append(stdout.fileHandleForReading.availableData) }
        try stdout.fileHandleForReading.close()
        for line in lines {
            do { try stdin.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8)) } catch { break }
        }
        try? stdin.fileHandleForWriting.close()
        p.waitUntilExit()
        let message = String(decoding: errors.wait(), as: UTF8.self)
        #expect(p.terminationStatus == 1)
        #expect(message.contains("the output was closed by its reader after"), "\(message)")
        #expect(p.terminationReason == .exit)
    }

    @Test func unknownRunIsAClearError() throws {
        try CausalRun.ready()
        let out = try Self.stream(["--run", CausalRun.root.appendingPathComponent("nope").path, "--emotion", "arousal"], input: "")
        #expect(out.status != 0)
        #expect(out.stderr.contains("pred-fusion-arousal.safetensors"), "\(out.stderr)")
    }
}
