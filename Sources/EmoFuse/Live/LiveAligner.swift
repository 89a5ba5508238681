import SeqNet

/// Turns rows of the raw feature sets, each with its timestamp, arriving in any interleaving,
/// into the steps of a ``LiveStream``, in timestamp order, each as soon as it is complete.
///
/// The rules (every departure from the happy path is reported through ``Event``):
/// - A step is the set of rows with one timestamp. It runs when every set has its row, or when
///   every set still lacking one has already sent a later timestamp (a hole: that set missed
///   this step), or when it has waited `maxWait` seconds (a silent modality: the step runs with
///   that set missing, as an empty row in training), or when more than `maxPending` steps wait.
/// - A row for a step that already ran (late), or not after the set's previous row (backwards or
///   duplicate), is skipped. So is a row more than `maxJump` milliseconds ahead of the last step
///   (a clock glitch), unless `resyncAfter` such rows come in a row: then the timeline really
///   moved (a pause, or a restarted clock), pending steps run and the new timeline is followed.
/// - ``finish()`` runs every pending step (end of input).
public final class LiveAligner {
    public struct Policy: Sendable {
        /// Seconds a step waits for a silent set before it runs without it.
        public var maxWait: Double = 1.0
        /// Steps that may wait at once (memory bound; the oldest runs beyond it).
        public var maxPending: Int = 1000
        /// Milliseconds a timestamp may lie ahead of the last step before it counts as a jump.
        public var maxJump: Int64 = 60_000
        /// Consecutive late or jumping rows after which the new timeline is followed.
        public var resyncAfter: Int = 8
        public init() {}
    }

    /// One step that ran.
    public struct Step {
        public var timestamp: Int64
        public var value: Float
        /// In ``LiveSystem/reconstructionErrorNames`` order.
        public var reconstructionErrors: [Float]
        /// Sets that had no row for this step (fed as missing).
        public var missing: [String]
    }

    /// Something worth a line on stderr.
    public enum Event: Equatable {
        case late(set: String, timestamp: Int64, lastStep: Int64)
        case backwards(set: String, timestamp: Int64, previous: Int64)
        case jump(set: String, timestamp: Int64, lastStep: Int64)
        case resynchronised(at: Int64)
        /// `set` had no row from `from` to `to` (`steps` steps ran without it); `to` nil: still silent at the end.
        case silent(set: String, from: Int64, to: Int64?, steps: Int)
        /// Steps ran with a gap of more than twice the usual step between them.
        case gap(from: Int64, to: Int64)
    }

    public let stream: LiveStream
    public var policy: Policy
    public var onStep: (Step) -> Void = { _ in }
    public var onEvent: (Event) -> Void = { _ in }

    private let sets: [String]
    private let widths: [Int]
    private var pending: [Pending] = []
    private var spare: [Pending] = []
    private var lastRow: [Int64?]
    private var lastStep: Int64?
    private var stepSize: Int64?
    private var silentSince: [(from: Int64, steps: Int)?]
    private var strikes = 0

    private final class Pending {
        var timestamp: Int64 = 0
        var arrived: Double = 0
        var present: [Bool]
        let rows: [FloatBuffer]
        init(widths: [Int]) {
            present = Array(repeating: false, count: widths.count)
            rows = widths.map { FloatBuffer(count: $0) }
        }
    }

    public init(stream: LiveStream, policy: Policy = Policy()) {
        self.stream = stream
        self.policy = policy
        sets = stream.system.featureSets
        widths = sets.map { stream.system.width(of: $0)! }
        lastRow = Array(repeating: nil, count: sets.count)
        silentSince = Array(repeating: nil, count: sets.count)
    }

    /// Index of `set` in ``LiveSystem/featureSets``, or nil for a set the system does not use.
    public func index(of set: String) -> Int? { sets.firstIndex(of: set) }
    public func width(of index: Int) -> Int { widths[index] }

    /// Adds a row of set number `set` (`width(of:)` values, NaN = missing cell) received at
    /// `now` (seconds, any monotonic origin), then runs the steps that became ready.
    public func add(set: Int, timestamp: Int64, values: UnsafePointer<Float>, now: Double) {
        var event: Event?
        if let last = lastStep, timestamp <= last {
            event = .late(set: sets[set], timestamp: timestamp, lastStep: last)
        } else if let previous = lastRow[set], timestamp <= previous {
            event = .backwards(set: sets[set], timestamp: timestamp, previous: previous)
        } else if let reference = lastStep ?? pending.first?.timestamp, timestamp - reference > policy.maxJump {
            event = .jump(set: sets[set], timestamp: timestamp, lastStep: reference)
        }
        if let event {
            onEvent(event)
            // Enough such rows in a row: the timeline moved; this row is the first of the new one.
            guard strike(timestamp, now: now) else { return }
        } else {
            strikes = 0
        }
        accept(set: set, timestamp: timestamp, values: values, now: now)
        runReady(now: now)
    }

    /// Runs the steps whose wait is over at `now` (call when no row arrived for a while).
    public func poll(now: Double) { runReady(now: now) }

    /// When the oldest waiting step will run if nothing arrives (same clock as `now`), or nil.
    public var deadline: Double? { pending.first.map { $0.arrived + policy.maxWait } }

    /// Runs every waiting step (end of input) and reports sets still silent.
    public func finish() {
        while !pending.isEmpty { runFirst() }
        for (i, s) in silentSince.enumerated() {
            if let s { onEvent(.silent(set: sets[i], from: s.from, to: nil, steps: s.steps)) }
            silentSince[i] = nil
        }
    }

    private func accept(set: Int, timestamp: Int64, values: UnsafePointer<Float>, now: Double) {
        lastRow[set] = timestamp
        var slot = pending.count
        while slot > 0 && pending[slot - 1].timestamp > timestamp { slot -= 1 }
        let entry: Pending
        if slot > 0 && pending[slot - 1].timestamp == timestamp {
            entry = pending[slot - 1]
        } else {
            entry = spare.popLast() ?? Pending(widths: widths)
            entry.timestamp = timestamp
            entry.arrived = now
            for i in entry.present.indices { entry.present[i] = false }
            pending.insert(entry, at: slot)
        }
        entry.rows[set].pointer.update(from: values, count: widths[set])
        entry.present[set] = true
    }

    /// A late or jumping row; enough of them in a row mean the timeline moved.
    private func strike(_ timestamp: Int64, now: Double) -> Bool {
        strikes += 1
        guard strikes >= policy.resyncAfter else { return false }
        while !pending.isEmpty { runFirst() }
        lastStep = nil
        stepSize = nil
        for i in lastRow.indices { lastRow[i] = nil }
        strikes = 0
        onEvent(.resynchronised(at: timestamp))
        return true
    }

    private func runReady(now: Double) {
        while let first = pending.first {
            var ready = true
            for i in sets.indices where !first.present[i] {
                if let r = lastRow[i], r > first.timestamp { continue }
                ready = false
                break
            }
            if ready || now - first.arrived >= policy.maxWait || pending.count > policy.maxPending {
                runFirst()
            } else {
                break
            }
        }
    }

    private func runFirst() {
        let entry = pending.removeFirst()
        var missing: [String] = []
        for i in sets.indices {
            if entry.present[i] {
                stream.rowBuffer(sets[i])!.update(from: entry.rows[i].pointer, count: widths[i])
                if let s = silentSince[i] {
                    onEvent(.silent(set: sets[i], from: s.from, to: entry.timestamp, steps: s.steps))
                    silentSince[i] = nil
                }
            } else {
                missing.append(sets[i])
                silentSince[i] = (silentSince[i]?.from ?? entry.timestamp, (silentSince[i]?.steps ?? 0) + 1)
            }
        }
        if let last = lastStep {
            let delta = entry.timestamp - last
            if let size = stepSize, delta > 2 * size { onEvent(.gap(from: last, to: entry.timestamp)) }
            if stepSize == nil { stepSize = delta }
        }
        lastStep = entry.timestamp
        let value = stream.advance()
        spare.append(entry)
        onStep(Step(timestamp: entry.timestamp, value: value, reconstructionErrors: stream.reconstructionErrors,
                    missing: missing))
    }
}
