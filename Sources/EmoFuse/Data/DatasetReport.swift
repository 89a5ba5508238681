import Foundation

/// What `emofuse inspect` shows: the dataset's shape and every problem found.
public struct DatasetReport: Codable, Sendable {
    public struct PartitionSummary: Codable, Sendable {
        public let partition: Partition
        public let subjects: Int
    }

    public struct FeatureSetSummary: Codable, Sendable {
        public let name: String
        public let directory: String
        public let dim: Int
        public let files: Int
        public let rowsMin: Int
        public let rowsMedian: Double
        public let rowsMax: Int
        /// Median difference of consecutive timestamps over all files (ms); nil with single-row files only.
        public let timeStep: Double?
        public let missingCells: Int
        public let cells: Int
    }

    public struct LabelCoverage: Codable, Sendable {
        public let emotion: String
        public let partition: Partition
        public let rows: Int
        public let nonEmpty: Int
        /// `nonEmpty / rows`; nil when the partition has no rows.
        public let fraction: Double?
    }

    public let root: String
    public let partitions: [PartitionSummary]
    public let featureSets: [FeatureSetSummary]
    public let labels: [LabelCoverage]
    /// Every problem found; the dataset is valid when empty.
    public let problems: [DatasetError]
    public let warnings: [DatasetError]

    public var isValid: Bool { problems.isEmpty }
}

extension MuseDataset {
    /// Every problem found (not just the first), for `inspect`.
    public func validate() -> [DatasetError] { inspect().problems }

    /// Loads every feature set and emotion (one at a time; sets not already in memory are not kept),
    /// checks them and their row counts against each other, and summarises them.
    public func inspect() -> DatasetReport {
        var problems: [DatasetError] = []
        let featureRoots = ([root] + overlays).map { $0.appendingPathComponent("feature_segments") }
        if !featureRoots.contains(where: isDirectory) {
            problems.append(DatasetError(file: root.appendingPathComponent("feature_segments").path, message: "folder not found"))
        }
        let labelRoot = root.appendingPathComponent("label_segments")
        if !isDirectory(labelRoot) {
            problems.append(DatasetError(file: labelRoot.path, message: "folder not found"))
        }

        var featureSummaries: [DatasetReport.FeatureSetSummary] = []
        var featureRows: [(set: String, dir: URL, rows: [String: Int])] = []
        for name in featureSetNames {
            let (set, errors) = loadFeatureSet(name)
            problems += errors
            guard let set else { continue }
            featureSummaries.append(summarise(set))
            featureRows.append((name, set.directory, set.sequences.mapValues(\.rows)))
        }

        var coverage: [DatasetReport.LabelCoverage] = []
        var labelRows: [(emotion: String, set: LabelSet)] = []
        for emotion in emotionNames {
            let (set, errors) = loadLabelSet(emotion)
            problems += errors
            guard let set else { continue }
            for p in Partition.allCases {
                var rows = 0, nonEmpty = 0
                for s in subjects(in: p) {
                    guard let seq = set.sequences[s.id] else { continue }
                    rows += seq.rows
                    nonEmpty += seq.rows - countNaN(seq.values)
                }
                coverage.append(.init(emotion: emotion, partition: p, rows: rows, nonEmpty: nonEmpty,
                                      fraction: rows > 0 ? Double(nonEmpty) / Double(rows) : nil))
            }
            labelRows.append((emotion, set))
        }

        // Row counts against the first emotion's label files.
        let tolerance = options.rowTolerance
        if let reference = labelRows.first?.set {
            for s in subjects {
                guard let ref = reference.sequences[s.id] else { continue }
                let refFile = reference.file(for: s.id).path
                func check(_ file: String, _ n: Int) {
                    if abs(n - ref.rows) > tolerance {
                        problems.append(DatasetError(file: file, message: "row-count mismatch: \(n) rows here, \(ref.rows) rows in \(refFile) (row tolerance \(tolerance))"))
                    }
                }
                for (_, set) in labelRows.dropFirst() {
                    if let seq = set.sequences[s.id] { check(set.file(for: s.id).path, seq.rows) }
                }
                for f in featureRows {
                    if let n = f.rows[s.id] { check(f.dir.appendingPathComponent(s.id + ".csv").path, n) }
                }
            }
        }

        let partitionSummary = Partition.allCases.map { p in
            DatasetReport.PartitionSummary(partition: p, subjects: subjects(in: p).count)
        }
        return DatasetReport(root: root.path, partitions: partitionSummary, featureSets: featureSummaries,
                             labels: coverage, problems: problems, warnings: warnings)
    }

    private func summarise(_ set: FeatureSet) -> DatasetReport.FeatureSetSummary {
        let rows = set.sequences.values.map(\.rows).sorted()
        var steps: [Int64] = []
        for seq in set.sequences.values where seq.rows > 1 {
            for i in 1..<seq.rows { steps.append(seq.timestamps[i] - seq.timestamps[i - 1]) }
        }
        steps.sort()
        return .init(name: set.name, directory: set.directory.path, dim: set.dim, files: rows.count,
                     rowsMin: rows.first ?? 0, rowsMedian: median(rows.map(Double.init)), rowsMax: rows.last ?? 0,
                     timeStep: steps.isEmpty ? nil : median(steps.map(Double.init)),
                     missingCells: set.missingCells, cells: rows.reduce(0, +) * set.dim)
    }

    /// Like `MuseDataset(root:).inspect()`, but also reports (every one of) the problems of a
    /// partition.csv that keeps the dataset from opening.
    public static func inspect(root: URL, overlays: [URL] = [], options: LoadOptions = .init()) -> DatasetReport {
        do {
            return try MuseDataset(root: root, overlays: overlays, options: options).inspect()
        } catch {
            let root = root.standardizedFileURL.absoluteURL
            var problems: [DatasetError]
            if !isDirectory(root) {
                problems = [(error as? DatasetError) ?? DatasetError(file: root.path, message: "\(error)")]
            } else {
                problems = readPartitionFile(root.appendingPathComponent("metadata/partition.csv")).problems
                if problems.isEmpty { problems = [(error as? DatasetError) ?? DatasetError(file: root.path, message: "\(error)")] }
                for folder in ["feature_segments", "label_segments"] where !isDirectory(root.appendingPathComponent(folder)) {
                    problems.append(DatasetError(file: root.appendingPathComponent(folder).path, message: "folder not found"))
                }
            }
            return DatasetReport(root: root.path, partitions: [], featureSets: [], labels: [], problems: problems, warnings: [])
        }
    }
}

private func median(_ sorted: [Double]) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let n = sorted.count
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
}
