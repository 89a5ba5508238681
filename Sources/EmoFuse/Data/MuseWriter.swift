import Foundation

/// Writes data in the MuSe layout, so that one stage's output is the next stage's input.
public enum MuseWriter {
    /// Writes `<root>/feature_segments/<name>/<ID>.csv` (header `timestamp,segment_id,<columns…>`),
    /// one file per sequence, atomically. NaN values are written as empty cells.
    /// Throws (naming the target file) if a sequence's `dim` differs from `columns.count`.
    public static func writeFeatureSet(name: String, columns: [String], sequences: [FeatureSequence], to root: URL) throws {
        try checkName(name, what: "feature set", root: root)
        let dir = root.appendingPathComponent("feature_segments").appendingPathComponent(name, isDirectory: true)
        for c in columns where c.contains(",") || c.contains("\n") || c.contains("\r") {
            throw DatasetError(file: dir.path, message: "column name '\(c)' contains a comma or a line break")
        }
        let header = ["timestamp", "segment_id"] + columns
        for seq in sequences {
            let url = dir.appendingPathComponent(seq.id + ".csv")
            try checkName(seq.id, what: "subject ID", root: root)
            guard seq.dim == columns.count else {
                throw DatasetError(file: url.path, message: "sequence has \(seq.dim) columns, \(columns.count) column names given")
            }
            var w = CSVWriter(reservingCapacity: 64 + seq.rows * (16 + seq.dim * 12))
            w.appendRow(header)
            seq.values.withUnsafeBufferPointer { v in
                for r in 0..<seq.rows {
                    w.appendInt(seq.timestamps[r])
                    w.appendInt(seq.segmentIDs[r])
                    for j in 0..<seq.dim { w.appendFloat(v[r * seq.dim + j]) }
                    w.endRow()
                }
            }
            try AtomicFile.write(w.bytes, to: url)
        }
    }

    /// Writes `<root>/label_segments/<emotion>/<ID>.csv` with header `timestamp,segment_id,value`,
    /// one row per label row, no empty cells: throws (naming file and line) if a value is NaN.
    public static func writeSubmission(emotion: String, sequences: [LabelSequence], to root: URL) throws {
        try checkName(emotion, what: "emotion", root: root)
        let dir = root.appendingPathComponent("label_segments").appendingPathComponent(emotion, isDirectory: true)
        for seq in sequences {
            let url = dir.appendingPathComponent(seq.id + ".csv")
            try checkName(seq.id, what: "subject ID", root: root)
            var w = CSVWriter(reservingCapacity: 64 + seq.rows * 32)
            w.appendRow(["timestamp", "segment_id", "value"])
            for r in 0..<seq.rows {
                let v = seq.values[r]
                guard v.isFinite else {
                    throw DatasetError(file: url.path, line: r + 2, column: 3,
                                       message: "prediction for timestamp \(seq.timestamps[r]) is \(v) (a submission must not have empty cells)")
                }
                w.appendInt(seq.timestamps[r])
                w.appendInt(seq.segmentIDs[r])
                w.appendFloat(v)
                w.endRow()
            }
            try AtomicFile.write(w.bytes, to: url)
        }
    }

    private static func checkName(_ name: String, what: String, root: URL) throws {
        if name.isEmpty || name.contains("/") || name.hasPrefix(".") {
            throw DatasetError(file: root.path, message: "\(what) '\(name)' cannot name a file or folder")
        }
    }
}
