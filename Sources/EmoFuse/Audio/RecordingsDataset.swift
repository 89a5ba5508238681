import Foundation

/// `emofuse dataset from-recordings`: a MuSe-layout dataset from a lab's own recordings and
/// continuous annotations.
///
/// Inputs: a folder of recordings (`<ID>.wav`, …), a folder of annotations laid out as
/// `<annotations>/<emotion>/<ID>.csv` (see `Annotation` for the accepted CSV), and a partition
/// file (`Id,Proposal` as in the MuSe package). Output: `feature_segments/<set>/<ID>.csv`,
/// `label_segments/<emotion>/<ID>.csv` on the feature grid, `metadata/partition.csv`.
/// Recordings without any annotation go to the test partition with empty labels, as the
/// challenge ships its test set.
public enum RecordingsDataset {
    public struct Summary: Sendable {
        public var features: AudioFeatureWriter.Summary
        public var emotions: [String]
        public var partitionCounts: [Partition: Int]
        /// What was done about imperfect annotations (gaps, short or long files, added test recordings).
        public var warnings: [DatasetError]
    }

    public static func build(audio: URL, annotations: URL, partition: URL, out: URL, extractor: FeatureExtractor,
                             threads: Int, maxGap: Double = 2.0, durationTolerance: Double = 2.0,
                             progress: (@Sendable (AudioFeatureWriter.Event) -> Void)? = nil) throws -> Summary {
        let recordings = try AudioFiles.list([audio.path])
        let ids = Set(recordings.map(\.id))
        var warnings: [DatasetError] = []

        // Annotations: <emotion>/<ID>.csv, each parsed and checked before any audio is processed.
        let emotions = subfolders(of: annotations).sorted()
        guard !emotions.isEmpty else {
            throw DatasetError(file: annotations.path, message: "no emotion folders (expected <annotations>/<emotion>/<ID>.csv, e.g. arousal/P1.csv)")
        }
        var annotated: [String: [String: Annotation]] = [:]   // emotion → ID → annotation
        for e in emotions {
            let dir = annotations.appendingPathComponent(e)
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.lowercased().hasSuffix(".csv") && !$0.hasPrefix(".") }.sorted()
            for name in names {
                let id = String(name.dropLast(4))
                let url = dir.appendingPathComponent(name)
                guard ids.contains(id) else {
                    throw DatasetError(file: url.path, message: "annotation for '\(id)', but \(audio.path) has no recording with that ID")
                }
                annotated[e, default: [:]][id] = try Annotation.read(url, emotion: e)
            }
        }

        // Partition: every listed ID needs a recording; annotated recordings must be listed;
        // train/devel recordings need every emotion; unlisted, unannotated recordings become test.
        let (listed, _, problems) = readPartitionFile(partition)
        if let first = problems.first { throw first }
        var subjects: [Subject] = []
        for s in listed {
            guard ids.contains(s.id) else {
                throw DatasetError(file: partition.path, line: nil, message: "ID '\(s.id)' (\(s.partition.rawValue)) has no recording in \(audio.path)")
            }
            if s.partition != .test {
                for e in emotions where annotated[e]?[s.id] == nil {
                    throw DatasetError(file: annotations.appendingPathComponent(e).appendingPathComponent(s.id + ".csv").path,
                                       message: "file not found: '\(s.id)' is in the \(s.partition.rawValue) partition, which needs an annotation for every emotion (\(emotions.joined(separator: ", ")))")
                }
            }
            subjects.append(s)
        }
        let listedIDs = Set(listed.map(\.id))
        for (id, _) in recordings where !listedIDs.contains(id) {
            let hasAny = emotions.contains { annotated[$0]?[id] != nil }
            if hasAny {
                throw DatasetError(file: partition.path, message: "recording '\(id)' has annotations but is in no partition: add a line '\(id),train' (or devel/test)")
            }
            subjects.append(Subject(id: id, partition: .test))
            warnings.append(DatasetError(file: audio.appendingPathComponent(id).path, message: "no annotations and not in \(partition.lastPathComponent): added to the test partition with empty labels"))
        }

        // Features, then labels on the features' grid.
        let inUse = Set(subjects.map(\.id))
        let features = try AudioFeatureWriter.run(recordings: recordings.filter { inUse.contains($0.id) }, extractor: extractor,
                                                  out: out, threads: threads, progress: progress)
        let d = extractor.description
        for e in emotions {
            var w = [LabelFile]()
            for s in subjects {
                let duration = features.durations[s.id]!
                let rows = d.rowCount(duration: duration)
                let grid = (0..<rows).map { Double(d.timestampMilliseconds(row: $0)) / 1000 }
                var values = [Float](repeating: .nan, count: rows)
                if let a = annotated[e]?[s.id] {
                    let r = try a.resampled(to: grid, hop: d.hop, audioDuration: duration, maxGap: maxGap, durationTolerance: durationTolerance)
                    values = r.values
                    warnings += r.warnings
                }
                w.append(LabelFile(id: s.id, timestamps: (0..<rows).map { Int64(d.timestampMilliseconds(row: $0)) }, values: values))
            }
            try writeLabels(emotion: e, files: w, to: out)
        }
        var csv = CSVWriter(reservingCapacity: 32 * subjects.count)
        csv.appendRow(["Id", "Proposal"])
        for s in subjects { csv.appendRow([s.id, s.partition.rawValue]) }
        try AtomicFile.write(csv.bytes, to: out.appendingPathComponent("metadata/partition.csv"))
        var counts: [Partition: Int] = [:]
        for s in subjects { counts[s.partition, default: 0] += 1 }
        return Summary(features: features, emotions: emotions, partitionCounts: counts, warnings: warnings)
    }

    struct LabelFile {
        let id: String
        let timestamps: [Int64]
        let values: [Float]
    }

    /// `label_segments/<emotion>/<ID>.csv` with `timestamp,segment_id,value`; missing labels as empty cells.
    static func writeLabels(emotion: String, files: [LabelFile], to root: URL) throws {
        let dir = root.appendingPathComponent("label_segments").appendingPathComponent(emotion)
        for f in files {
            var w = CSVWriter(reservingCapacity: 32 + 24 * f.values.count)
            w.appendRow(["timestamp", "segment_id", "value"])
            for (t, v) in zip(f.timestamps, f.values) {
                w.appendInt(t)
                w.appendInt(1)
                w.appendFloat(v)
                w.endRow()
            }
            try AtomicFile.write(w.bytes, to: dir.appendingPathComponent(f.id + ".csv"))
        }
    }
}
