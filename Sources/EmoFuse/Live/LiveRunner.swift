import Foundation
import SeqNet

/// The loop behind `emofuse stream`: reads lines from file descriptors as they arrive (stdin,
/// files, FIFOs; `poll(2)`, so a silent input never blocks the others), feeds a ``LiveAligner``
/// and writes `timestamp,value[,re-…]` for every step the moment it runs, one `write(2)` per line.
///
/// Bad input never stops it: a malformed line, a line for an unknown set, a late, backward or
/// jumping timestamp are skipped and reported (source:line:column) through `report`; an input
/// ending mid-line has that partial line discarded and reported, a line longer than
/// `maxLineBytes` is skipped; sets without rows are fed as
/// missing. Only a closed output (its reader went away: `EPIPE`) ends the run early, with
/// ``LiveRunError/outputClosed(steps:)``. Repeated messages of one kind are cut after
/// `messageLimit`, and the ``Summary`` counts everything.
public struct LiveRunner {
    public struct Source {
        /// Shown in messages (`stdin` or the path).
        public var name: String
        public var fd: Int32
        /// The set every line of this source belongs to, or nil when lines start with the set's name.
        public var set: String?
        public init(name: String, fd: Int32, set: String?) { self.name = name; self.fd = fd; self.set = set }
    }

    public struct Summary: Sendable, Equatable {
        public var steps = 0
        public var malformed = 0
        public var unknownSet = 0
        public var late = 0
        public var jumps = 0
        public var partialLines = 0
        /// Steps that ran with at least one set missing.
        public var stepsWithMissing = 0
    }

    public var sources: [Source]
    public var output: Int32
    public var withRE = false
    /// Milliseconds added to each set's timestamps before alignment (feature grids offset by a
    /// step, as MuSe's video sets are against audio and labels; the offline system aligns by row).
    public var shifts: [String: Int64] = [:]
    public var policy = LiveAligner.Policy()
    public var messageLimit = 20
    /// Longer lines are skipped (memory bound); the widest real row (deepspectrum) is ~50 KB.
    public var maxLineBytes = 4 << 20
    public var report: (String) -> Void
    /// Called after each step with its compute time in seconds (for `--timing`).
    public var onStepTime: ((Double) -> Void)?

    public init(sources: [Source], output: Int32, report: @escaping (String) -> Void) {
        self.sources = sources; self.output = output; self.report = report
    }

    public func run(_ system: LiveSystem) throws -> Summary {
        let stream = try system.makeStream()
        let aligner = LiveAligner(stream: stream, policy: policy)
        var summary = Summary()
        var counts: [String: Int] = [:]
        func say(_ kind: String, _ message: @autoclosure () -> String) {
            let n = counts[kind, default: 0] + 1
            counts[kind] = n
            if n <= messageLimit { report(message()) }
            if n == messageLimit { report("(further '\(kind)' messages are not shown; the summary counts them)") }
        }
        var shiftBySet = [Int64](repeating: 0, count: system.featureSets.count)
        for (set, ms) in shifts {
            guard let i = aligner.index(of: set) else { throw LiveError.unknownFeatureSet(set, known: system.featureSets) }
            shiftBySet[i] = ms
        }
        var fixed: [Int?] = []
        for s in sources {
            if let set = s.set {
                guard let i = aligner.index(of: set) else { throw LiveError.unknownFeatureSet(set, known: system.featureSets) }
                fixed.append(i)
            } else {
                fixed.append(nil)
            }
        }

        var writer = LineWriter(fd: output)
        var header = ["timestamp", "value"]
        if withRE { header += system.reconstructionErrorNames }
        try writer.write(header.joined(separator: ",") + "\n", steps: 0)
        var outputError: Error?
        aligner.onStep = { step in
            guard outputError == nil else { return }
            summary.steps += 1
            if !step.missing.isEmpty { summary.stepsWithMissing += 1 }
            var w = CSVWriter(reservingCapacity: 64)
            w.appendInt(step.timestamp)
            w.appendFloat(step.value)
            if withRE { for e in step.reconstructionErrors { w.appendFloat(e) } }
            w.endRow()
            do { try writer.write(w.bytes, steps: summary.steps - 1) } catch { outputError = error }
        }
        aligner.onEvent = { event in
            switch event {
            case .late(let set, let t, let last):
                summary.late += 1
                say("late", "\(set): row for \(t) arrived after step \(last) ran; skipped")
            case .backwards(let set, let t, let previous):
                summary.late += 1
                say("backwards", "\(set): timestamp \(t) is not after the set's previous row (\(previous)); skipped")
            case .jump(let set, let t, let last):
                summary.jumps += 1
                say("jump", "\(set): timestamp \(t) jumps more than \(policy.maxJump) ms past step \(last); skipped")
            case .resynchronised(let t):
                report("timestamps moved to a new timeline at \(t) (\(policy.resyncAfter) rows in a row were late or jumping); following it")
            case .silent(let set, let from, let to, let steps):
                if let to { say("silent", "\(set): no rows from \(from) until \(to): \(steps) steps ran with it missing") }
                else { say("silent", "\(set): no rows since \(from): the last \(steps) steps ran with it missing") }
            case .gap(let from, let to):
                say("gap", "no step between \(from) and \(to): nothing arrived for that stretch")
            }
        }

        let clock = ContinuousClock(), start = clock.now
        func now() -> Double {
            let d = start.duration(to: clock.now)
            return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        let widest = system.featureSets.map { system.width(of: $0)! }.max() ?? 1
        let values = UnsafeMutablePointer<Float>.allocate(capacity: widest)
        defer { values.deallocate() }
        var buffers = sources.map { _ in [UInt8]() }
        var discarding = Array(repeating: false, count: sources.count)
        var lineNumbers = sources.map { _ in 0 }
        var open = Array(repeating: true, count: sources.count)
        let chunk = UnsafeMutablePointer<UInt8>.allocate(capacity: 1 << 16)
        defer { chunk.deallocate() }

        func handle(_ line: UnsafeBufferPointer<UInt8>, source k: Int) {
            lineNumbers[k] += 1
            let at = "\(sources[k].name):\(lineNumbers[k])"
            switch LiveLine.parse(line, fixedSet: fixed[k], aligner: aligner, values: values) {
            case .ignorable: return
            case .malformed(let column, let message):
                summary.malformed += 1
                say("malformed", "\(at):\(column): \(message); line skipped")
            case .unknownSet(let name):
                summary.unknownSet += 1
                say("unknown set", "\(at):1: set '\(name)' is not an input of \(system.output) (inputs: \(system.featureSets.joined(separator: ", "))); line skipped")
            case .row(let set, let timestamp):
                let t0 = onStepTime == nil ? nil : clock.now
                let before = summary.steps
                aligner.add(set: set, timestamp: timestamp &+ shiftBySet[set], values: values, now: now())
                if let t0, let onStepTime, summary.steps > before {
                    let d = t0.duration(to: clock.now)
                    onStepTime((Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18) / Double(summary.steps - before))
                }
            }
        }

        while open.contains(true) && outputError == nil {
            var fds = sources.indices.filter { open[$0] }.map { pollfd(fd: sources[$0].fd, events: Int16(POLLIN), revents: 0) }
            let indices = sources.indices.filter { open[$0] }
            var timeout: Int32 = -1
            if let deadline = aligner.deadline { timeout = Int32(max(0, min(60_000, (deadline - now()) * 1000 + 1))) }
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                throw LiveError.data("poll failed: \(String(cString: strerror(errno)))")
            }
            if ready == 0 { aligner.poll(now: now()); continue }
            for (slot, k) in indices.enumerated() where fds[slot].revents != 0 {
                let n = read(sources[k].fd, chunk, 1 << 16)
                if n < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    report("\(sources[k].name): read failed: \(String(cString: strerror(errno))); input closed")
                    open[k] = false
                    continue
                }
                if n == 0 {
                    open[k] = false
                    if !buffers[k].isEmpty {
                        summary.partialLines += 1
                        report("\(sources[k].name):\(lineNumbers[k] + 1): input ended mid-line (\(buffers[k].count) bytes without a line break); partial line discarded")
                        buffers[k].removeAll()
                    }
                    continue
                }
                var fresh = UnsafeBufferPointer(start: chunk, count: n)
                if discarding[k] {     // the rest of an over-long line
                    guard let nl = fresh.firstIndex(of: 10) else { continue }
                    discarding[k] = false
                    lineNumbers[k] += 1
                    fresh = UnsafeBufferPointer(rebasing: fresh[(nl + 1)...])
                }
                // Bytes already held have no line break: only the new ones are searched.
                var bytes = buffers[k]
                buffers[k] = []
                let searchFrom = bytes.count
                bytes.append(contentsOf: fresh)
                let consumed = bytes.withUnsafeBufferPointer { b -> Int in
                    var lineStart = 0
                    var i = searchFrom
                    while i < b.count {
                        if b[i] == 10 {
                            handle(UnsafeBufferPointer(rebasing: b[lineStart..<i]), source: k)
                            lineStart = i + 1
                        }
                        i += 1
                    }
                    return lineStart
                }
                bytes.removeFirst(consumed)
                if bytes.count > maxLineBytes {
                    summary.malformed += 1
                    say("malformed", "\(sources[k].name):\(lineNumbers[k] + 1): line longer than \(maxLineBytes) bytes; skipped up to its line break")
                    bytes.removeAll()
                    discarding[k] = true
                }
                buffers[k] = bytes
                if outputError != nil { break }
            }
            aligner.poll(now: now())
        }
        if outputError == nil { aligner.finish() }
        if let outputError { throw outputError }
        return summary
    }
}

/// Why `emofuse stream` stopped early.
public enum LiveRunError: Error, CustomStringConvertible {
    /// Writing the output failed with `EPIPE`: its reader went away.
    case outputClosed(steps: Int)
    case writeFailed(String)

    public var description: String {
        switch self {
        case .outputClosed(let steps): return "the output was closed by its reader after \(steps) steps (EPIPE); stopping"
        case .writeFailed(let why): return "writing the output failed: \(why)"
        }
    }
}

/// Writes whole lines with `write(2)`, retrying short writes; EPIPE becomes ``LiveRunError/outputClosed(steps:)``.
struct LineWriter {
    let fd: Int32

    mutating func write(_ text: String, steps: Int) throws { try write(Array(text.utf8), steps: steps) }

    mutating func write(_ bytes: [UInt8], steps: Int) throws {
        try bytes.withUnsafeBufferPointer { b in
            var done = 0
            while done < b.count {
                let n = Foundation.write(fd, b.baseAddress! + done, b.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno == EPIPE { throw LiveRunError.outputClosed(steps: steps) }
                    throw LiveRunError.writeFailed(String(cString: strerror(errno)))
                }
                done += n
            }
        }
    }
}
