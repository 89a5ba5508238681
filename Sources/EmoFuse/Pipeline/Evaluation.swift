import Foundation

/// Reads a `label_segments/<emotion>/` folder of any root (a submission, a synthetic test key)
/// into sequences by ID. Every file is parsed strictly; errors name file, line and column.
public enum LabelFolder {
    public static func read(root: URL, emotion: String) throws -> [String: LabelSequence] {
        try read(directory: root.appendingPathComponent("label_segments").appendingPathComponent(emotion))
    }

    /// Reads every `<ID>.csv` of one folder.
    public static func read(directory dir: URL) throws -> [String: LabelSequence] {
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
    /// agree in count and timestamps. Partitions without any prediction file are skipped; in the
    /// others, a labelled subject without a prediction file is an error.
    public static func score(predictions: URL, data: URL, testKey: URL?) throws -> [EvaluationScore] {
        let dataset = try MuseDataset(root: data)
        let testKey = try testKey.map { try TestKey(root: $0, emotions: dataset.emotionNames) }
        let dir = predictions.appendingPathComponent("label_segments")
        let emotions = subfolders(of: dir).sorted()
        guard !emotions.isEmpty else {
            throw DatasetError(file: dir.path, message: "no emotion folders with predictions (expected label_segments/<emotion>/<ID>.csv)")
        }
        var scores: [EvaluationScore] = []
        for emotion in emotions {
            let predicted = try LabelFolder.read(root: predictions, emotion: emotion)
            let gold = try GoldLabels(dataset: dataset, emotion: emotion, testKey: testKey)
            for partition in Partition.allCases {
                // A partition with no prediction at all is not scored (a submission holds test only);
                // one with some predictions must have all of its labelled subjects.
                guard dataset.subjects(in: partition).contains(where: { predicted[$0.id] != nil }) else { continue }
                var pairs = FramePairs()
                for subject in dataset.subjects(in: partition) {
                    guard let labels = gold.labels(for: subject) else { continue }
                    let file = dir.appendingPathComponent(emotion).appendingPathComponent("\(subject.id).csv").path
                    guard let pred = predicted[subject.id] else {
                        throw DatasetError(file: file, message: "no prediction for labelled \(partition.rawValue) subject '\(subject.id)'")
                    }
                    try pairs.add(predicted: pred.values, timestamps: pred.timestamps, gold: labels, file: file)
                }
                if let ccc = pairs.ccc {
                    scores.append(EvaluationScore(emotion: emotion, partition: partition.rawValue, ccc: ccc, frames: pairs.count))
                }
            }
        }
        return scores
    }
}
