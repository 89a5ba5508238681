import Foundation

/// Withheld test labels: a folder laid out as `label_segments/<emotion>/<ID>.csv` (as the
/// challenge and the synthetic generator ship them) or as `<emotion>/<ID>.csv`.
public struct TestKey: Sendable, Equatable {
    public let root: URL

    /// Accepts `root` if it holds either layout for at least one of `emotions`; otherwise names the
    /// folders it expected.
    public init(root: URL, emotions: [String]) throws {
        self.root = root.standardizedFileURL
        guard isDirectory(root) else { throw DatasetError(file: root.path, message: "test key folder not found") }
        guard emotions.contains(where: { folder(for: $0) != nil }) else {
            let e = emotions.first ?? "<emotion>"
            throw DatasetError(file: root.path, message: "no test labels found: expected \(root.path)/label_segments/\(e)/<ID>.csv or \(root.path)/\(e)/<ID>.csv (for emotions \(emotions.joined(separator: ", ")))")
        }
    }

    /// The folder holding this emotion's `<ID>.csv` files, or nil.
    public func folder(for emotion: String) -> URL? {
        [root.appendingPathComponent("label_segments").appendingPathComponent(emotion), root.appendingPathComponent(emotion)]
            .first(where: isDirectory)
    }

    /// The withheld labels of `emotion` by subject ID (empty when the key has none for it).
    func labels(_ emotion: String) throws -> [String: LabelSequence] {
        guard let dir = folder(for: emotion) else { return [:] }
        return try LabelFolder.read(directory: dir)
    }

    /// The synthetic generator's key beside its data (`synth.json` + `test_key/`), if there.
    static func synthetic(data: URL) -> URL? {
        let key = data.appendingPathComponent("test_key")
        return FileManager.default.fileExists(atPath: data.appendingPathComponent("synth.json").path) && isDirectory(key) ? key : nil
    }
}

/// The gold labels a prediction is scored against: the dataset's, except for test subjects when a
/// key of withheld test labels is given (the synthetic generator writes one).
struct GoldLabels {
    private let labels: [String: LabelSequence]
    private let key: [String: LabelSequence]

    init(dataset: MuseDataset, emotion: String, testKey: TestKey?) throws {
        labels = try dataset.labels(emotion).sequences
        key = try testKey?.labels(emotion) ?? [:]
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
