import Foundation

/// One subject's model-ready rows.
public struct AlignedSubject: Sendable {
    public let id: String
    public let partition: Partition
    /// `rows` timestamps, taken from the label file (or the first feature set without labels).
    public let timestamps: [Int64]
    /// `rows` segment ids, from the same file as the timestamps.
    public let segmentIDs: [Int64]
    public let rows: Int
    /// `rows × featureDim`, row-major, z-scored, no NaN (missing cells are 0).
    public let features: [Float]
    /// `rows × emotions.count`, row-major; NaN = missing label.
    public let targets: [Float]

    public init(id: String, partition: Partition, timestamps: [Int64], segmentIDs: [Int64],
                features: [Float], targets: [Float]) {
        self.id = id
        self.partition = partition
        self.timestamps = timestamps
        self.segmentIDs = segmentIDs
        self.rows = timestamps.count
        self.features = features
        self.targets = targets
    }
}

/// The model-ready data of several feature sets and emotions.
public struct AlignedData: Sendable {
    /// The feature sets, in the order their columns are concatenated.
    public let featureSets: [String]
    public let featureDim: Int
    /// `featureDim` names: each set's column names as in its files, in `featureSets` order.
    public let columnNames: [String]
    /// Each set's first column in a feature row.
    public let columnOffsets: [Int]
    public let emotions: [String]
    /// In partition.csv order.
    public let subjects: [AlignedSubject]
    /// The statistics applied (fitted on train, or the one passed in).
    public let normalizer: Normalizer
    /// Per feature set: how many missing cells were set to 0 after z-scoring (over `subjects`).
    public let filledCells: [String: Int]

    /// The subjects of one partition.
    public func subjects(in partition: Partition) -> [AlignedSubject] { subjects.filter { $0.partition == partition } }
    /// Row counts in `subjects` order (for `trainingWindows`).
    public var rowCounts: [Int] { subjects.map(\.rows) }
}

extension MuseDataset {
    /// Model-ready data: for every subject (or those in `partitions`), the columns of `featureSets`
    /// concatenated in the given order, aligned BY ROW POSITION with the label rows (label timestamps and
    /// segment ids carried), z-scored with `normalizer` (or one fitted on the train partition:
    /// per column mean and population std over non-missing train cells, std floored by eps 1e-6),
    /// missing cells → 0 after z-scoring (counted per set in `filledCells`), targets one column per
    /// emotion in `emotions` (NaN where the label cell is empty; all-NaN for a withheld test partition).
    /// With `emotions` empty, rows/timestamps come from the first emotion's label file if any, else from the features.
    ///
    /// Row counts that differ by at most `options.rowTolerance` are trimmed to the shortest; larger
    /// differences throw, naming both files and counts. With `options.dropNaNRows`, train and devel rows
    /// with any missing feature or target cell are dropped (before fitting the normaliser).
    public func aligned(featureSets: [String], emotions: [String], normalizer: Normalizer? = nil,
                        partitions: Set<Partition> = Set(Partition.allCases)) throws -> AlignedData {
        guard !featureSets.isEmpty else {
            throw DatasetError(file: root.path, message: "aligned(featureSets:emotions:) needs at least one feature set")
        }
        if let dup = firstDuplicate(featureSets) {
            throw DatasetError(file: root.path, message: "feature set '\(dup)' is listed twice")
        }
        if let dup = firstDuplicate(emotions) {
            throw DatasetError(file: root.path, message: "emotion '\(dup)' is listed twice")
        }
        let sets = try featureSets.map { try featureSet($0) }
        let labelSets = try emotions.map { try labels($0) }
        let reference: LabelSet? = try labelSets.first ?? emotionNames.first.map { try labels($0) }
        let dims = sets.map(\.dim)
        var offsets: [Int] = []
        var featureDim = 0
        for d in dims {
            offsets.append(featureDim)
            featureDim += d
        }
        if let normalizer, normalizer.dim != featureDim {
            throw DatasetError(file: root.path, message: "the normaliser has \(normalizer.dim) columns, the feature sets \(featureSets.joined(separator: "+")) have \(featureDim)")
        }
        var needed = partitions
        if normalizer == nil { needed.insert(.train) }
        let chosen = subjects.filter { needed.contains($0.partition) }

        var built: [RawRows] = []
        built.reserveCapacity(chosen.count)
        for s in chosen {
            built.append(try alignSubject(s, sets: sets, offsets: offsets, featureDim: featureDim,
                                          labelSets: labelSets, reference: reference))
        }
        let norm: Normalizer
        if let normalizer {
            norm = normalizer
        } else {
            let train = built.filter { $0.partition == .train }
            if train.allSatisfy({ $0.rows == 0 }) {
                throw DatasetError(file: partitionFile.path, message: "cannot fit the normaliser: the train partition has no rows")
            }
            norm = Normalizer.fit(train.map(\.features), dim: featureDim)
        }
        var filled: [String: Int] = [:]
        for name in featureSets { filled[name] = 0 }
        var result: [AlignedSubject] = []
        for i in built.indices where partitions.contains(built[i].partition) {
            var features = built[i].features
            built[i].features = []          // `features` is now the only reference: z-scored in place
            let a = built[i]
            for (k, name) in featureSets.enumerated() {
                filled[name, default: 0] += countNaNColumns(features, rowWidth: featureDim, offset: offsets[k], width: dims[k])
            }
            norm.apply(&features)
            result.append(AlignedSubject(id: a.id, partition: a.partition, timestamps: a.timestamps,
                                         segmentIDs: a.segmentIDs, features: features, targets: a.targets))
        }
        return AlignedData(featureSets: featureSets, featureDim: featureDim,
                           columnNames: sets.flatMap(\.columnNames), columnOffsets: offsets,
                           emotions: emotions, subjects: result, normalizer: norm, filledCells: filled)
    }

    /// One subject's raw (not normalised) aligned rows.
    private func alignSubject(_ s: Subject, sets: [FeatureSet], offsets: [Int], featureDim: Int,
                              labelSets: [LabelSet], reference: LabelSet?) throws -> RawRows {
        let tolerance = options.rowTolerance
        let featureSeqs = sets.map { $0.sequences[s.id]! }
        let labelSeqs = labelSets.map { $0.sequences[s.id]! }
        // The rows, timestamps and segment ids come from the reference label file, else the first feature set.
        let refFile: String
        let refRows: Int
        var timestamps: [Int64]
        var segmentIDs: [Int64]
        if let reference {
            let seq = reference.sequences[s.id]!
            refFile = reference.file(for: s.id).path
            refRows = seq.rows
            timestamps = seq.timestamps
            segmentIDs = seq.segmentIDs
        } else {
            refFile = sets[0].file(for: s.id).path
            refRows = featureSeqs[0].rows
            timestamps = featureSeqs[0].timestamps
            segmentIDs = featureSeqs[0].segmentIDs
        }
        var rows = refRows
        func check(_ file: String, _ n: Int) throws {
            if abs(n - refRows) > tolerance {
                throw DatasetError(file: file, message: "row-count mismatch: \(n) rows here, \(refRows) rows in \(refFile) (row tolerance \(tolerance))")
            }
            rows = min(rows, n)
        }
        for (k, seq) in labelSeqs.enumerated() { try check(labelSets[k].file(for: s.id).path, seq.rows) }
        for (k, seq) in featureSeqs.enumerated() { try check(sets[k].file(for: s.id).path, seq.rows) }

        let e = labelSeqs.count
        var features = [Float](repeating: 0, count: rows * featureDim)
        var targets = [Float](repeating: .nan, count: rows * e)
        features.withUnsafeMutableBufferPointer { fb in
            guard let f = fb.baseAddress else { return }
            for (k, seq) in featureSeqs.enumerated() {
                let d = seq.dim
                seq.values.withUnsafeBufferPointer { vb in
                    let v = vb.baseAddress!
                    for r in 0..<rows {
                        (f + r * featureDim + offsets[k]).update(from: v + r * d, count: d)
                    }
                }
            }
        }
        targets.withUnsafeMutableBufferPointer { tb in
            for (k, seq) in labelSeqs.enumerated() {
                for r in 0..<rows { tb[r * e + k] = seq.values[r] }
            }
        }
        timestamps.removeLast(timestamps.count - rows)
        segmentIDs.removeLast(segmentIDs.count - rows)

        if options.dropNaNRows && s.partition != .test {
            var kept = 0
            features.withUnsafeMutableBufferPointer { fb in
                targets.withUnsafeMutableBufferPointer { tb in
                    for r in 0..<rows {
                        var complete = true
                        for j in 0..<featureDim where fb[r * featureDim + j].isNaN { complete = false; break }
                        if complete { for k in 0..<e where tb[r * e + k].isNaN { complete = false; break } }
                        if !complete { continue }
                        if kept != r {
                            for j in 0..<featureDim { fb[kept * featureDim + j] = fb[r * featureDim + j] }
                            for k in 0..<e { tb[kept * e + k] = tb[r * e + k] }
                            timestamps[kept] = timestamps[r]
                            segmentIDs[kept] = segmentIDs[r]
                        }
                        kept += 1
                    }
                }
            }
            features.removeLast((rows - kept) * featureDim)
            targets.removeLast((rows - kept) * e)
            timestamps.removeLast(rows - kept)
            segmentIDs.removeLast(rows - kept)
        }
        return RawRows(id: s.id, partition: s.partition, timestamps: timestamps, segmentIDs: segmentIDs,
                       features: features, targets: targets)
    }
}

/// A subject's aligned rows before z-scoring.
private struct RawRows {
    let id: String
    let partition: Partition
    let timestamps: [Int64]
    let segmentIDs: [Int64]
    var features: [Float]
    let targets: [Float]
    var rows: Int { timestamps.count }
}

private func firstDuplicate(_ names: [String]) -> String? {
    var seen: Set<String> = []
    for n in names where !seen.insert(n).inserted { return n }
    return nil
}

/// NaN cells in columns `offset..<offset+width` of a row-major matrix with rows of `rowWidth`.
private func countNaNColumns(_ m: [Float], rowWidth: Int, offset: Int, width: Int) -> Int {
    guard rowWidth > 0 else { return 0 }
    return m.withUnsafeBufferPointer { b in
        var c = 0
        for r in 0..<(b.count / rowWidth) { c += countNaN(b.baseAddress! + r * rowWidth + offset, width) }
        return c
    }
}
