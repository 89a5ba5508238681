import Foundation

/// Several files failed; each one named with its problem. The files that succeeded were written.
public struct AudioBatchError: Error, CustomStringConvertible, Sendable {
    public let failures: [AudioError]
    public var description: String {
        "\(failures.count) recording(s) failed:\n" + failures.map { "  \($0)" }.joined(separator: "\n")
    }
}

/// `emofuse features`: recordings → `<out>/feature_segments/<set>/<ID>.csv` + `extraction.json`.
public enum AudioFeatureWriter {
    public enum Event: Sendable {
        case file(done: Int, total: Int, id: String, seconds: Double, audioSeconds: Double)
    }

    public struct Summary: Sendable {
        public var files = 0
        public var rows = 0
        public var audioSeconds = 0.0
        /// Process CPU time spent, all threads together.
        public var cpuSeconds = 0.0
        public var wallSeconds = 0.0
        /// Each written recording's length in seconds, by ID.
        public var durations: [String: Double] = [:]
    }

    /// Extracts every recording (in parallel over files, `threads` at a time) and writes the
    /// feature set in the MuSe layout under `out`. Files that fail are reported together at the end
    /// (an `AudioBatchError`); the others are written.
    @discardableResult
    public static func run(recordings: [(id: String, url: URL)], extractor: FeatureExtractor, out: URL, threads: Int,
                           progress: (@Sendable (Event) -> Void)? = nil) throws -> Summary {
        let folder = out.appendingPathComponent("feature_segments").appendingPathComponent(extractor.description.set.folderName)
        let results = ResultBox(count: recordings.count)
        let cpu0 = processCPUSeconds(), wall0 = Date()
        let queue = Counter()
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, recordings.count))) { _ in
            while let i = queue.next(below: recordings.count) {
                let (id, url) = recordings[i]
                let started = Date()
                do {
                    let clip = try AudioFiles.read(url)
                    let f = try extractor.extract(clip, file: url.path)
                    let seq = FeatureSequence(id: id, timestamps: f.timestamps, segmentIDs: [Int64](repeating: 1, count: f.timestamps.count),
                                              dim: f.columns.count, values: f.values)
                    try MuseWriter.writeFeatureSet(name: extractor.description.set.folderName, columns: f.columns, sequences: [seq], to: out)
                    results.set(i, .success((f.timestamps.count, clip.duration)))
                    progress?(.file(done: results.finished, total: recordings.count, id: id,
                                    seconds: Date().timeIntervalSince(started), audioSeconds: clip.duration))
                } catch let e as AudioError {
                    results.set(i, .failure(e))
                } catch {
                    results.set(i, .failure(AudioError(file: url.path, message: "\(error)")))
                }
            }
        }
        var summary = Summary()
        var failures: [AudioError] = []
        for (i, r) in results.all.enumerated() {
            switch r {
            case .success(let (rows, seconds))?:
                summary.files += 1; summary.rows += rows; summary.audioSeconds += seconds
                summary.durations[recordings[i].id] = seconds
            case .failure(let e)?: failures.append(e)
            case nil: break
            }
        }
        summary.cpuSeconds = processCPUSeconds() - cpu0
        summary.wallSeconds = Date().timeIntervalSince(wall0)
        if summary.files > 0 { try extractor.description.write(to: folder) }
        if !failures.isEmpty { throw AudioBatchError(failures: failures) }
        return summary
    }

    /// User + system CPU time of this process, all threads.
    public static func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var i = 0
        func next(below n: Int) -> Int? { lock.withLock { defer { i += 1 }; return i < n ? i : nil } }
    }

    private final class ResultBox: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [Result<(Int, Double), AudioError>?]
        private(set) var finishedCount = 0
        init(count: Int) { items = Array(repeating: nil, count: count) }
        func set(_ i: Int, _ r: Result<(Int, Double), AudioError>) { lock.withLock { items[i] = r; finishedCount += 1 } }
        var finished: Int { lock.withLock { finishedCount } }
        var all: [Result<(Int, Double), AudioError>?] { lock.withLock { items } }
    }
}
