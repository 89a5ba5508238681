import Foundation

/// The gold labels a prediction is scored against: the dataset's, except for test subjects when a
/// key of withheld test labels is given (the synthetic generator writes one).
struct GoldLabels {
    private let labels: [String: LabelSequence]
    private let key: [String: LabelSequence]

    init(dataset: MuseDataset, emotion: String, testKey: URL?) throws {
        labels = try dataset.labels(emotion).sequences
        if let testKey, isDirectory(testKey.appendingPathComponent("label_segments").appendingPathComponent(emotion)) {
            key = try LabelFolder.read(root: testKey, emotion: emotion)
        } else {
            key = [:]
        }
    }

    /// The subject's labels, or nil when it has none (a withheld test partition without a key).
    func labels(for subject: Subject) -> LabelSequence? {
        let found = (subject.partition == .test ? key[subject.id] : nil) ?? labels[subject.id]
        guard let found, found.values.contains(where: { !$0.isNaN }) else { return nil }
        return found
    }
}

/// Collects (prediction, gold) pairs over labelled frames, checking that rows line up.
struct FramePairs {
    var predicted: [Float] = []
    var gold: [Float] = []

    /// Adds a subject's frames. Rows pair by position and their timestamps must agree.
    mutating func add(predicted values: [Float], timestamps: [Int64], gold labels: LabelSequence, file: String) throws {
        guard values.count == labels.values.count, timestamps.count == labels.timestamps.count else {
            throw DatasetError(file: file, message: "\(values.count) predicted rows, the labels have \(labels.values.count)")
        }
        if let row = timestamps.indices.first(where: { timestamps[$0] != labels.timestamps[$0] }) {
            throw DatasetError(file: file, line: row + 2, column: 1,
                               message: "timestamp \(timestamps[row]) differs from the label's \(labels.timestamps[row])")
        }
        for (p, y) in zip(values, labels.values) where !y.isNaN {
            guard !p.isNaN else { throw DatasetError(file: file, message: "empty prediction at a labelled step") }
            predicted.append(p); gold.append(y)
        }
    }

    var count: Int { gold.count }
    var ccc: Double? { count > 1 ? concordanceCorrelation(predicted, gold) : nil }
}
