import Foundation

/// Progress of ``generateSyntheticDataset(preset:seed:to:overwrite:threads:progress:)``,
/// reported after each subject, from a worker thread, one report at a time.
public struct SynthProgress: Sendable {
    public var subjectsDone: Int
    public var subjectsTotal: Int
    /// CSV bytes written so far.
    public var bytesWritten: Int
    /// The subject just finished.
    public var lastSubjectID: String
}

/// Feature values are written with this many significant digits (labels round-trip exactly).
public let synthFeatureSignificantDigits = 7

/// Writes a synthetic dataset in the MuSe layout under `root` and returns its manifest:
///
/// - `feature_segments/<set>/<ID>.csv`: `timestamp,segment_id,<names>`, one row per step,
///   timestamps `(row + timestampOffsetSteps) · step` ms, `segment_id` 1, empty cells where the
///   face is lost;
/// - `label_segments/{arousal,valence}/<ID>.csv`: `timestamp,segment_id,value`, timestamps
///   `row · step`; the `value` cells of test subjects are empty (withheld);
/// - `metadata/partition.csv`: `Id,Proposal`;
/// - `test_key/label_segments/{arousal,valence}/<ID>.csv`: the withheld test labels;
/// - `synth.json`: the ``SynthManifest`` (written last).
///
/// Every file is written atomically. Subjects are spread over `threads` threads; the bytes do not
/// depend on the thread count. `root` must be empty or absent unless `overwrite` is set; then
/// the generator's own entries (the four folders above and `synth.json`) are removed first,
/// but only if `root` holds a previous synthetic dataset (`synth.json` or an unfinished run's
/// marker) or none of those entries, so a real dataset is never deleted.
@discardableResult
public func generateSyntheticDataset(preset: SynthPreset, seed: UInt64, to root: URL,
                                     overwrite: Bool = false, threads: Int = 2,
                                     progress: (@Sendable (SynthProgress) -> Void)? = nil) throws -> SynthManifest {
    let generator = try SyntheticGenerator(preset: preset, seed: seed)
    let layout = SynthLayout()
    try prepareOutputFolder(root, overwrite: overwrite, layout: layout)
    let marker = root.appendingPathComponent(SynthOutput.inProgressMarker)
    try AtomicFile.write("emofuse synth: generation in progress or interrupted\n", to: marker)

    let total = generator.subjects.count
    let shared = SynthOutput.Shared(count: total)
    let workers = max(1, min(threads, total))
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
        while let index = shared.nextIndex() {
            do {
                let (record, bytes) = try SynthOutput.writeSubject(index, generator: generator, root: root, layout: layout)
                shared.finish(index, record: record, bytes: bytes, progress: progress)
            } catch {
                shared.fail(index, error)
            }
        }
    }
    if let error = shared.firstError { throw error }

    var partition = CSVWriter()
    partition.appendRow(["Id", "Proposal"])
    for s in generator.subjects { partition.appendRow([s.id, s.partition]) }
    try AtomicFile.write(partition.bytes, to: root.appendingPathComponent(layout.partitionFile))

    let manifest = SynthManifest(seed: seed, preset: preset, significantDigits: synthFeatureSignificantDigits,
                                 subjects: shared.records.map { $0! })
    try AtomicFile.write(Array(try manifest.jsonData()), to: root.appendingPathComponent(layout.manifest))
    try FileManager.default.removeItem(at: marker)
    return manifest
}

/// Checks and clears the output folder according to the overwrite rules above.
private func prepareOutputFolder(_ root: URL, overwrite: Bool, layout: SynthLayout) throws {
    let fm = FileManager.default
    var isDir: ObjCBool = false
    guard fm.fileExists(atPath: root.path, isDirectory: &isDir) else {
        try fm.createDirectory(at: root, withIntermediateDirectories: true)
        return
    }
    guard isDir.boolValue else { throw SynthError.outputNotDirectory(root.path) }
    let entries = try fm.contentsOfDirectory(atPath: root.path)
    if entries.isEmpty { return }
    guard overwrite else { throw SynthError.outputNotEmpty(root.path) }
    let owned = [layout.featureSegments, layout.labelSegments, "metadata", layout.testKey, layout.manifest]
    let ours = entries.contains(layout.manifest) || entries.contains(SynthOutput.inProgressMarker)
    if !ours && entries.contains(where: { owned.contains($0) }) {
        throw SynthError.notSyntheticDataset(root.path)
    }
    for name in owned + [SynthOutput.inProgressMarker] where entries.contains(name) {
        try fm.removeItem(at: root.appendingPathComponent(name))
    }
}

/// The per-subject file writing and the state shared between worker threads.
enum SynthOutput {
    static let inProgressMarker = ".synth-in-progress"

    /// Writes every file of subject `index`; returns its manifest record and the bytes written.
    static func writeSubject(_ index: Int, generator: SyntheticGenerator, root: URL,
                             layout: SynthLayout) throws -> (SynthSubjectRecord, Int) {
        let preset = generator.preset
        let state = generator.state(ofSubject: index)
        let plan = state.plan
        let T = plan.steps, step = Int64(preset.stepMilliseconds)
        var bytes = 0
        let featureRoot = root.appendingPathComponent(layout.featureSegments)
        for (s, spec) in preset.featureSets.enumerated() {
            let values = generator.features(ofSet: s, for: state)
            let d = spec.dimensions
            var w = CSVWriter(reservingCapacity: T * (d * 11 + 32) + d * 16)
            w.appendRow(["timestamp", "segment_id"] + spec.columnNames)
            for t in 0..<T {
                w.appendInt(Int64(t + spec.timestampOffsetSteps) * step)
                w.appendInt(1)
                w.appendFloats(UnsafeBufferPointer(start: values.pointer + t * d, count: d),
                               significantDigits: synthFeatureSignificantDigits)
                w.endRow()
            }
            try AtomicFile.write(w.bytes, to: featureRoot.appendingPathComponent(spec.name)
                .appendingPathComponent(plan.id + ".csv"))
            bytes += w.bytes.count
        }
        let isTest = plan.partition == "test"
        for (emotion, labels) in [("arousal", state.arousal), ("valence", state.valence)] {
            let shipped = labelCSV(labels, step: step, withheld: isTest)
            try AtomicFile.write(shipped, to: root.appendingPathComponent(layout.labelSegments)
                .appendingPathComponent(emotion).appendingPathComponent(plan.id + ".csv"))
            bytes += shipped.count
            if isTest {
                let key = labelCSV(labels, step: step, withheld: false)
                try AtomicFile.write(key, to: root.appendingPathComponent(layout.testKey)
                    .appendingPathComponent(layout.labelSegments).appendingPathComponent(emotion)
                    .appendingPathComponent(plan.id + ".csv"))
                bytes += key.count
            }
        }
        return (SynthManifest.record(for: state, preset: preset), bytes)
    }

    /// A label file: `timestamp,segment_id,value`, values round-trip exact or empty if withheld.
    static func labelCSV(_ labels: [Float], step: Int64, withheld: Bool) -> [UInt8] {
        var w = CSVWriter(reservingCapacity: labels.count * 24 + 32)
        w.appendRow(["timestamp", "segment_id", "value"])
        for (t, value) in labels.enumerated() {
            w.appendInt(Int64(t) * step)
            w.appendInt(1)
            w.appendFloat(withheld ? .nan : value)
            w.endRow()
        }
        return w.bytes
    }

    /// Work queue, results and errors of the worker threads, behind one lock.
    final class Shared: @unchecked Sendable {
        private let lock = NSLock()
        private var next = 0
        private let count: Int
        private var done = 0
        private var bytes = 0
        private(set) var records: [SynthSubjectRecord?]
        private var errors: [(Int, Error)] = []

        init(count: Int) {
            self.count = count
            records = Array(repeating: nil, count: count)
        }

        /// The next subject to write, or nil when all are taken or one failed.
        func nextIndex() -> Int? {
            lock.lock(); defer { lock.unlock() }
            guard next < count, errors.isEmpty else { return nil }
            next += 1
            return next - 1
        }

        /// Records a finished subject and reports progress (under the lock: one call at a time).
        func finish(_ index: Int, record: SynthSubjectRecord, bytes written: Int,
                    progress: (@Sendable (SynthProgress) -> Void)?) {
            lock.lock(); defer { lock.unlock() }
            records[index] = record
            done += 1
            bytes += written
            progress?(SynthProgress(subjectsDone: done, subjectsTotal: count, bytesWritten: bytes,
                                    lastSubjectID: record.id))
        }

        func fail(_ index: Int, _ error: Error) {
            lock.lock(); defer { lock.unlock() }
            errors.append((index, error))
        }

        /// The error of the lowest-numbered failed subject (deterministic when several fail).
        var firstError: Error? {
            lock.lock(); defer { lock.unlock() }
            return errors.min { $0.0 < $1.0 }?.1
        }
    }
}
