import EmoFuse
import Foundation

/// Progress on stderr. On a terminal: a line per model, rewritten in place after every epoch.
/// Otherwise (a log file, a scheduler's output): plain timestamped lines, one per model start,
/// reuse and end, and at most one per `interval` seconds per training model. `--quiet`: nothing.
final class ProgressPrinter: @unchecked Sendable {
    private struct Training { var started: Date; var lastLine: Date; var best: Double?; var bestEpoch = 0; var epochSeconds: [Double] = [] }
    private let lock = NSLock()
    private let terminal: Bool
    private let interval: TimeInterval
    private var models: [String: Training] = [:]

    init(terminal: Bool, interval: TimeInterval = 30) { self.terminal = terminal; self.interval = interval }

    static func make(quiet: Bool) -> (@Sendable (ProgressEvent) -> Void)? {
        guard !quiet else { return nil }
        let printer = ProgressPrinter(terminal: isatty(STDERR_FILENO) != 0)
        return { printer.handle($0) }
    }

    func handle(_ event: ProgressEvent) {
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        switch event {
        case .modelStarted(let model, let candidates, let maxEpochs):
            models[model] = Training(started: now, lastLine: now)
            line("\(model): training \(candidates) candidate\(candidates == 1 ? "" : "s"), ≤\(maxEpochs) epochs each")
        case .epoch(let model, let candidate, let candidates, let r, let maxEpochs):
            var m = models[model] ?? Training(started: now, lastLine: now)
            if r.improved { m.best = r.develMetric; m.bestEpoch = r.epoch }
            m.epochSeconds.append(r.seconds)
            let mean = m.epochSeconds.reduce(0, +) / Double(m.epochSeconds.count)
            let left = (Double(maxEpochs - r.epoch) + Double(candidates - candidate - 1) * Double(maxEpochs)) * mean
            let text = "\(model) [\(candidate + 1)/\(candidates)] epoch \(r.epoch)/\(maxEpochs)  loss \(String(format: "%.4f", r.trainLoss))"
                + "  devel \(String(format: "%.4f", r.develMetric))\(r.improved ? "*" : " ")"
                + (m.best.map { "  best \(String(format: "%.4f", $0)) (epoch \(m.bestEpoch))" } ?? "")
                + "  \(clock(now.timeIntervalSince(m.started))) elapsed, ≤\(clock(left)) left"
            if terminal {
                write("\r\u{1B}[K" + text)
            } else if now.timeIntervalSince(m.lastLine) >= interval {
                m.lastLine = now
                line(text)
            }
            models[model] = m
        case .modelSkipped(let model):
            line("\(model): done and current in this run folder, reused")
        case .modelStale(let model, let reason):
            line("\(model): stale (\(reason)), retraining")
        case .modelFinished(let o):
            models[o.name] = nil
            let scores = o.scores.keys.sorted().map { "\($0) \(String(format: "%.4f", o.scores[$0]!))" }.joined(separator: ", ")
            line("\(o.name): done in \(clock(o.seconds)) — \(o.role == .autoencoder ? "RE" : "CCC") \(scores)")
        case .modelFailed(let model, let error):
            models[model] = nil
            line("\(model): FAILED: \(error)")
        case .message(let text):
            line(text)
        }
    }

    private func line(_ text: String) {
        if terminal {
            write("\r\u{1B}[K\(text)\n")
        } else {
            write("\(ISO8601DateFormatter().string(from: Date())) \(text)\n")
        }
    }

    private func clock(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600 ? "\(t / 3600)h\(String(format: "%02d", t / 60 % 60))m" : t >= 60 ? "\(t / 60)m\(String(format: "%02d", t % 60))s" : "\(t)s"
    }

    private func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }
}
