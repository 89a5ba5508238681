import EmoFuse
import Foundation

/// Progress on a terminal: one line per model, rewritten in place after every epoch (epoch, train
/// loss, devel metric, elapsed and remaining time). Silent when stderr is not a terminal or with `--quiet`.
final class ProgressPrinter: @unchecked Sendable {
    private let lock = NSLock()
    private var started = Date()
    private var sinceBest = 0
    private var best = -Double.infinity

    static func make(quiet: Bool) -> (@Sendable (ProgressEvent) -> Void)? {
        guard !quiet, isatty(STDERR_FILENO) != 0 else { return nil }
        let printer = ProgressPrinter()
        return { printer.handle($0) }
    }

    private func handle(_ event: ProgressEvent) {
        lock.lock(); defer { lock.unlock() }
        switch event {
        case .modelStarted(let model, let candidates):
            started = Date()
            write("\(model): training \(candidates) candidate\(candidates == 1 ? "" : "s")\n")
        case .epoch(let model, let candidate, let candidates, let r, let maxEpochs):
            if r.epoch == 1 { sinceBest = 0; best = -.infinity }
            sinceBest = r.improved ? 0 : sinceBest + 1
            let elapsed = Date().timeIntervalSince(started)
            let left = Double(maxEpochs - r.epoch) * r.seconds
            write("\r\u{1B}[K\(model) [\(candidate + 1)/\(candidates)] epoch \(r.epoch)/\(maxEpochs)  loss \(String(format: "%.4f", r.trainLoss))  devel \(String(format: "%.4f", r.develMetric))\(r.improved ? "*" : " ")  \(clock(elapsed)) elapsed, ≤\(clock(left)) left")
        case .modelSkipped(let model):
            write("\(model): already finished in this run folder, reused\n")
        case .modelFinished(let o):
            let scores = o.scores.keys.sorted().map { "\($0) \(String(format: "%.4f", o.scores[$0]!))" }.joined(separator: ", ")
            write("\r\u{1B}[K\(o.name): done in \(clock(o.seconds)) — \(o.role == .autoencoder ? "RE" : "CCC") \(scores)\n")
        case .message(let text):
            write("\r\u{1B}[K\(text)\n")
        }
    }

    private func clock(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 60 ? "\(t / 60)m\(String(format: "%02d", t % 60))s" : "\(t)s"
    }

    private func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }
}
