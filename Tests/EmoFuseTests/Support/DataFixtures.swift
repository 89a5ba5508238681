import Foundation
@testable import EmoFuse

/// A throw-away folder holding a dataset (`data/`) and a cache folder (`cache/`) outside it.
/// Deleted when the value is deinitialised.
final class TempDataset {
    let base: URL
    var root: URL { base.appendingPathComponent("data") }
    var cache: URL { base.appendingPathComponent("cache") }

    init() {
        base = FileManager.default.temporaryDirectory
            .appendingPathComponent("emofuse-data-tests-\(UUID().uuidString)", isDirectory: true)
        try! FileManager.default.createDirectory(at: base.appendingPathComponent("data"), withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: base) }

    /// Options reading and writing the cache in `cache/`.
    var options: LoadOptions { LoadOptions(cacheDirectory: cache) }

    func open(_ options: LoadOptions? = nil, overlays: [URL] = []) throws -> MuseDataset {
        try MuseDataset(root: root, overlays: overlays, options: options ?? self.options)
    }

    /// Writes `text` to `data/<relative>`, creating folders.
    func write(_ relative: String, _ text: String) {
        let url = root.appendingPathComponent(relative)
        try! FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try! Data(text.utf8).write(to: url)
    }

    func remove(_ relative: String) { try! FileManager.default.removeItem(at: root.appendingPathComponent(relative)) }

    func path(_ relative: String) -> String { root.appendingPathComponent(relative).standardizedFileURL.path }

    func writePartition(_ subjects: [(String, String)]) {
        write("metadata/partition.csv", "Id,Proposal\n" + subjects.map { "\($0.0),\($0.1)\n" }.joined())
    }
}

/// The value the fixtures write for subject number `s`, row `r`, feature column `j`: a multiple of
/// 1/4, so exact in Float and in text.
func fixtureValue(subject s: Int, row r: Int, column j: Int) -> Float {
    Float(s * 1000 + r * 10 + j) / 4 - 50
}

/// The label value of subject `s`, row `r`, emotion `e`.
func fixtureLabel(subject s: Int, row r: Int, emotion e: Int) -> Float {
    Float((s * 7 + r * 3 + e) % 17) / 8 - 1
}

extension TempDataset {
    /// A valid dataset: subjects "1"…(train), "2"… etc. as given, every feature set with `dims[name]`
    /// columns and `rows[id]` rows (default 12) on a 500 ms grid starting at `start[set]` (default 0),
    /// labels for `emotions` (empty cells in the test partition).
    func makeValid(subjects: [(String, String)] = [("1", "train"), ("2", "train"), ("3", "devel"), ("4", "test")],
                   dims: [String: Int] = ["egemaps": 3, "vggish": 2],
                   rows: [String: Int] = [:], emotions: [String] = ["arousal", "valence"],
                   start: [String: Int64] = [:]) {
        writePartition(subjects)
        for (si, (id, partition)) in subjects.enumerated() {
            let n = rows[id] ?? 12
            for (name, dim) in dims {
                var text = "timestamp,segment_id," + (0..<dim).map { "\(name)_f\($0)" }.joined(separator: ",") + "\n"
                let t0 = start[name] ?? 0
                for r in 0..<n {
                    text += "\(t0 + Int64(r) * 500),\(r / 5 + 1)"
                    for j in 0..<dim { text += ",\(fixtureValue(subject: si, row: r, column: j))" }
                    text += "\n"
                }
                write("feature_segments/\(name)/\(id).csv", text)
            }
            for (ei, emotion) in emotions.enumerated() {
                var text = "timestamp,segment_id,value\n"
                for r in 0..<n {
                    let value = partition == "test" ? "" : "\(fixtureLabel(subject: si, row: r, emotion: ei))"
                    text += "\(Int64(r) * 500),\(r / 5 + 1),\(value)\n"
                }
                write("label_segments/\(emotion)/\(id).csv", text)
            }
        }
    }
}

import Testing

/// The DatasetError `body` throws; records an issue (and returns nil) when it throws nothing or something else.
func datasetError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> DatasetError? {
    do {
        try body()
        Issue.record("expected a DatasetError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let e as DatasetError {
        return e
    } catch {
        Issue.record("expected a DatasetError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
