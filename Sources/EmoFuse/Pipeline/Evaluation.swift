import Foundation

/// Reads a `label_segments/<emotion>/` folder of any root (a submission, a synthetic test key)
/// into sequences by ID. Every file is parsed strictly; errors name file, line and column.
public enum LabelFolder {
    public static func read(root: URL, emotion: String) throws -> [String: LabelSequence] {
        let dir = root.appendingPathComponent("label_segments").appendingPathComponent(emotion)
        guard isDirectory(dir) else {
            throw DatasetError(file: dir.path, message: "label folder not found")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            .filter { $0.hasSuffix(".csv") && !$0.hasPrefix(".") }.sorted()
        let paths = names.map { dir.appendingPathComponent($0).path }
        var out: [String: LabelSequence] = [:]
        for (name, result) in zip(names, loadTables(paths, kind: .label, cache: nil, threads: 2)) {
            let id = String(name.dropLast(4))
            let t = try result.get()
            out[id] = LabelSequence(id: id, timestamps: t.timestamps, segmentIDs: t.segmentIDs, values: t.values)
        }
        return out
    }
}

/// CCC of predictions against gold labels, per emotion and partition.
public struct EvaluationScore: Codable, Sendable, Equatable {
    public var emotion: String
    public var partition: String
    public var ccc: Double
    /// Labelled frames scored.
    public var frames: Int
}

public enum Evaluation {
    /// Scores every `label_segments/<emotion>/` of `predictions` against the dataset's labels
    /// (and, for test subjects, against `testKey` when given). Rows pair by position and must
    /// agree in count and timestamps; a labelled subject without a prediction file is an error.
    public static func score(predictions: URL, data: URL, testKey: URL?) throws -> [EvaluationScore] {
        let dataset = try MuseDataset(root: data)
        let dir = predictions.appendingPathComponent("label_segments")
        let emotions = subfolders(of: dir)
        guard !emotions.isEmpty else {
            throw DatasetError(file: dir.path, message: "no emotion folders with predictions (expected label_segments/<emotion>/<ID>.csv)")
        }
        var scores: [EvaluationScore] = []
        for emotion in emotions {
            let predicted = try read(root: predictions, emotion: emotion)
            let gold = try dataset.labels(emotion).sequences
            let key = try testKey.map { try read(root: $0, emotion: emotion) } ?? [:]
            for partition in Partition.allCases {
                var p: [Float] = [], y: [Float] = []
                for subject in dataset.subjects(in: partition) {
                    let labels = (partition == .test ? key[subject.id] : nil) ?? gold[subject.id]
                    guard let labels, labels.values.contains(where: { !$0.isNaN }) else { continue }
                    let file = dir.appendingPathComponent(emotion).appendingPathComponent("\(subject.id).csv").path
                    guard let pred = predicted[subject.id] else {
                        throw DatasetError(file: file, message: "no prediction for labelled \(partition.rawValue) subject '\(subject.id)'")
                    }
                    guard pred.timestamps.count == labels.timestamps.count else {
                        throw DatasetError(file: file, message: "\(pred.timestamps.count) rows, the labels have \(labels.timestamps.count)")
                    }
                    if let row = pred.timestamps.indices.first(where: { pred.timestamps[$0] != labels.timestamps[$0] }) {
                        throw DatasetError(file: file, line: row + 2, column: 1,
                                           message: "timestamp \(pred.timestamps[row]) differs from the label's \(labels.timestamps[row])")
                    }
                    for (a, b) in zip(pred.values, labels.values) where !b.isNaN {
                        guard !a.isNaN else { throw DatasetError(file: file, message: "empty prediction cell at a labelled step") }
                        p.append(a); y.append(b)
                    }
                }
                if p.count > 1 {
                    scores.append(EvaluationScore(emotion: emotion, partition: partition.rawValue,
                                                  ccc: concordanceCorrelation(p, y), frames: p.count))
                }
            }
        }
        return scores
    }

    private static func read(root: URL, emotion: String) throws -> [String: LabelSequence] {
        try LabelFolder.read(root: root, emotion: emotion)
    }
}
