import Foundation

/// The run folder's bookkeeping under `.state/`: which models are being trained (`running/`, with
/// host and process), which failed last (`failed/`, with the error), and the staging folders that
/// outputs are written to before they are moved into place.
struct RunState: Sendable {
    let folder: URL

    private var runningDir: URL { folder.appendingPathComponent("running") }
    private var failedDir: URL { folder.appendingPathComponent("failed") }
    private var stagingDir: URL { folder.appendingPathComponent("staging") }

    private struct Claim: Codable { var host: String; var pid: Int32; var started: String }

    static var host: String { ProcessInfo.processInfo.hostName }

    func setRunning(_ model: String) {
        let claim = Claim(host: Self.host, pid: getpid(), started: ISO8601DateFormatter().string(from: Date()))
        try? JSONFiles.write(claim, to: runningDir.appendingPathComponent("\(model).json"))
    }

    func clearRunning(_ model: String) { try? FileManager.default.removeItem(at: runningDir.appendingPathComponent("\(model).json")) }

    /// Who is training `model` now, or nil. A claim by a process of this host that no longer exists
    /// (killed) does not count.
    func running(_ model: String) -> String? {
        guard let data = try? Data(contentsOf: runningDir.appendingPathComponent("\(model).json")),
              let claim = try? JSONDecoder().decode(Claim.self, from: data) else { return nil }
        if claim.host == Self.host {
            guard claim.pid != getpid(), kill(claim.pid, 0) == 0 || errno == EPERM else { return nil }
        }
        return "process \(claim.pid) on \(claim.host) since \(claim.started)"
    }

    func setFailed(_ model: String, _ error: String) {
        try? AtomicFile.write(error + "\n", to: failedDir.appendingPathComponent("\(model).txt"))
    }

    func clearFailure(_ model: String) { try? FileManager.default.removeItem(at: failedDir.appendingPathComponent("\(model).txt")) }

    func failure(_ model: String) -> String? {
        (try? String(contentsOf: failedDir.appendingPathComponent("\(model).txt"), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// An empty staging folder for `model`; earlier (interrupted) ones of the same model are removed.
    func freshStaging(_ model: String) throws -> URL {
        let dir = stagingDir.appendingPathComponent(model)
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Puts `source` (a file or a folder) at `target` as a whole: a folder already there is moved
    /// aside first and removed after, so `target` is at every instant either the old or the new one
    /// (or, between the two renames, absent).
    func replace(_ target: URL, with source: URL) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        if isDirectory(source) {
            let aside = target.deletingLastPathComponent()
                .appendingPathComponent(".\(target.lastPathComponent).old-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            if fm.fileExists(atPath: target.path) { try fm.moveItem(at: target, to: aside) }
            try fm.moveItem(at: source, to: target)
            try? fm.removeItem(at: aside)
        } else if rename(source.path, target.path) != 0 {
            throw DatasetError(file: target.path, message: "cannot move the new file into place: \(String(cString: strerror(errno)))")
        }
    }
}

/// `logs/<model>.jsonl`: one JSON line per epoch, appended and flushed as training goes, so
/// `tail -f` follows it. Started empty each time the model trains.
final class JSONLinesLog: @unchecked Sendable {
    private let handle: FileHandle
    private let lock = NSLock()

    init(url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw DatasetError(file: url.path, message: "cannot create the training log")
        }
        handle = try FileHandle(forWritingTo: url)
    }

    func append(candidate: Int, label: String, _ r: EpochRecord) {
        struct Line: Encodable {
            var candidate: Int, label: String, epoch: Int, train_loss: Double, devel_metric: Double
            var learning_rate: Float, seconds: Double, improved: Bool
        }
        let line = Line(candidate: candidate, label: label, epoch: r.epoch, train_loss: r.trainLoss,
                        devel_metric: r.develMetric, learning_rate: r.learningRate, seconds: r.seconds, improved: r.improved)
        guard let bytes = try? JSONFiles.encode(line, pretty: false) else { return }
        lock.withLock { try? handle.write(contentsOf: Data(bytes + [0x0A])) }
    }

    func close() { lock.withLock { try? handle.close() } }
}
