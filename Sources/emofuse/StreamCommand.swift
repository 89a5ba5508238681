import ArgumentParser
import EmoFuse
import Foundation

/// `emofuse stream`: live prediction with a causal system, one output line per step.
struct StreamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream",
        abstract: "Predict live: read feature rows as they arrive, write timestamp,value for every step the moment its rows are in.",
        discussion: """
        Input lines are MuSe feature rows. On stdin (default) each line starts with its set's name: \
        `egemaps,1500,1,0.12,…`; with --input SET=PATH a file or FIFO carries one set's rows as in \
        its feature file (`1500,1,0.12,…`; a header line is skipped). Rows are aligned by timestamp. \
        A step runs when every set has its row, when a lacking set has sent a later row, or after \
        --max-wait seconds (the set is then missing, as an empty row in training); --shift moves a \
        set's grid. Bad lines, \
        unknown sets, late, backward and jumping timestamps are skipped and reported on stderr; \
        a partial last line is discarded and reported. Exit status 1 when the output's reader \
        goes away (EPIPE) or the system cannot be loaded; 0 otherwise.
        """)

    @Option(name: .customLong("run"), help: "The run folder of a causal system (its checkpoints/ folder).") var runFolder: String?
    @Option(help: "The emotion (streams checkpoints/pred-fusion-<emotion>).") var emotion: String?
    @Option(help: "Stream this model of the run instead of the fusion model (e.g. pred-egemaps-arousal).") var model: String?
    @Option(help: "Or: a checkpoint; its inputs' checkpoints are looked up beside it.") var checkpoint: String?
    @Option(name: .customLong("input"), help: "SET=PATH: read SET's rows from a file or FIFO (repeatable; FIFOs are opened in the order given, each open waiting for its writer). Default: all sets on stdin, each line prefixed by its set.")
    var inputs: [String] = []
    @Option(help: "SET=MS: add MS milliseconds to SET's timestamps before aligning (repeatable), for grids offset by a step: MuSe's video sets start one step after audio and labels (offline, rows are aligned by position).")
    var shift: [String] = []
    @Flag(help: "Also write each auto-encoder's reconstruction error.") var withRe = false
    @Option(help: "Seconds a step waits for a silent set before it runs without it.") var maxWait: Double = 1.0
    @Option(help: "Milliseconds a timestamp may jump ahead of the last step before the row counts as a glitch.")
    var maxJump: Int64 = 60_000
    @Flag(help: "At the end, report per-step compute time on stderr.") var timing = false
    @Flag(help: "Only errors on stderr (no per-line warnings, no summary).") var quiet = false

    func run() throws {
        signal(SIGPIPE, SIG_IGN)     // a closed output becomes EPIPE, reported below
        let system: LiveSystem
        switch (runFolder, emotion, checkpoint) {
        case (let run?, let emotion?, nil):
            system = try LiveSystem(run: URL(fileURLWithPath: run), emotion: emotion, model: model)
        case (let run?, nil, nil) where model != nil:
            system = try LiveSystem(run: URL(fileURLWithPath: run), emotion: "", model: model)
        case (nil, nil, let checkpoint?):
            system = try LiveSystem(checkpoint: URL(fileURLWithPath: checkpoint))
        default:
            throw ValidationError("give --run R --emotion E (or --run R --model M), or --checkpoint F")
        }
        var sources: [LiveRunner.Source] = []
        for spec in inputs {
            guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex, spec.index(after: eq) != spec.endIndex else {
                throw ValidationError("--input \(spec): expected SET=PATH")
            }
            let set = String(spec[..<eq]), path = String(spec[spec.index(after: eq)...])
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { throw ValidationError("\(path): cannot open: \(String(cString: strerror(errno)))") }
            sources.append(.init(name: path, fd: fd, set: set))
        }
        if sources.isEmpty { sources = [.init(name: "stdin", fd: 0, set: nil)] }
        var shifts: [String: Int64] = [:]
        for spec in shift {
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let ms = Int64(parts[1]) else { throw ValidationError("--shift \(spec): expected SET=MILLISECONDS") }
            shifts[parts[0]] = ms
        }

        let quiet = self.quiet
        var runner = LiveRunner(sources: sources, output: 1) { message in
            if !quiet { FileHandle.standardError.write(Data(("emofuse stream: " + message + "\n").utf8)) }
        }
        runner.withRE = withRe
        runner.shifts = shifts
        runner.policy.maxWait = maxWait
        runner.policy.maxJump = maxJump
        let times = StepTimes()
        if timing { runner.onStepTime = { times.add($0) } }
        if !quiet {
            runner.report("\(system.output): inputs \(system.featureSets.map { "\($0) (\(system.width(of: $0)!))" }.joined(separator: ", ")); \(system.modelNames.count) models")
        }
        do {
            let s = try runner.run(system)
            if !quiet {
                runner.report("\(s.steps) steps (\(s.stepsWithMissing) with a set missing); skipped: \(s.malformed) malformed, \(s.unknownSet) unknown-set, \(s.late) late or backward, \(s.jumps) jumping lines; \(s.partialLines) partial last lines")
            }
        } catch let e as LiveRunError {
            FileHandle.standardError.write(Data(("emofuse stream: \(e)\n").utf8))
            throw ExitCode(1)
        }
        if timing { runner.report(times.summary()) }
    }
}

/// Per-step compute times, summarised as median and 99th percentile.
final class StepTimes: @unchecked Sendable {
    private var values: [Double] = []
    func add(_ t: Double) { values.append(t) }
    func summary() -> String {
        guard !values.isEmpty else { return "timing: no step ran" }
        let s = values.sorted()
        func q(_ p: Double) -> String { String(format: "%.1f µs", s[min(s.count - 1, Int(p * Double(s.count)))] * 1e6) }
        return "timing: \(s.count) steps, per-step compute median \(q(0.5)), p99 \(q(0.99)), max \(q(1.0))"
    }
}
