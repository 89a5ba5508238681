import Foundation

/// A dataset in the MuSe layout (see docs/muse-data-format.md):
/// `feature_segments/<set>/<ID>.csv`, `label_segments/<emotion>/<ID>.csv`, `metadata/partition.csv`.
///
/// Only ever reads its root. Feature and label sets are parsed on first use (in parallel over files,
/// through the binary cache) and kept in memory. Thread-safe.
public final class MuseDataset: @unchecked Sendable {
    public let root: URL
    /// Further roots whose `feature_segments/<set>` folders take precedence over the dataset's own.
    public let overlays: [URL]
    public let options: LoadOptions
    /// In partition.csv order.
    public let subjects: [Subject]
    /// The partition.csv line of each subject ID.
    let subjectLines: [String: Int]
    let partitionFile: URL

    private let lock = NSLock()
    private var featureMemo: [String: FeatureSet] = [:]
    private var labelMemo: [String: LabelSet] = [:]
    private var warningList: [DatasetError] = []
    private var warningKeys: Set<String> = []

    /// Reads metadata/partition.csv and lists feature sets and emotions. `overlays` are further roots
    /// (e.g. a run folder) whose `feature_segments/<set>` are looked up BEFORE the dataset's own;
    /// the dataset root is only ever read. Throws the first problem of partition.csv.
    public init(root: URL, overlays: [URL] = [], options: LoadOptions = .init()) throws {
        self.root = root.standardizedFileURL.absoluteURL
        self.overlays = overlays.map { $0.standardizedFileURL.absoluteURL }
        self.options = options
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: self.root.path, isDirectory: &isDir), isDir.boolValue else {
            throw DatasetError(file: self.root.path, message: "dataset folder not found")
        }
        partitionFile = self.root.appendingPathComponent("metadata/partition.csv")
        let (subjects, lines, problems) = readPartitionFile(partitionFile)
        if let first = problems.first { throw first }
        self.subjects = subjects
        self.subjectLines = lines
    }

    /// The subjects of one partition, in partition.csv order.
    public func subjects(in partition: Partition) -> [Subject] { subjects.filter { $0.partition == partition } }

    /// Feature set folders of the overlays and the dataset, sorted.
    public var featureSetNames: [String] {
        var names = Set(subfolders(of: root.appendingPathComponent("feature_segments")))
        for o in overlays { names.formUnion(subfolders(of: o.appendingPathComponent("feature_segments"))) }
        return names.sorted()
    }

    /// Folders under `label_segments`, sorted.
    public var emotionNames: [String] { subfolders(of: root.appendingPathComponent("label_segments")).sorted() }

    /// Non-fatal findings so far (e.g. a file whose ID is in no partition; it is ignored).
    public var warnings: [DatasetError] { lock.withLock { warningList } }

    /// The folder a feature set is read from: the first overlay that has it, else the dataset's.
    public func featureSetDirectory(_ name: String) -> URL? {
        for base in overlays + [root] {
            let dir = base.appendingPathComponent("feature_segments").appendingPathComponent(name, isDirectory: true)
            if isDirectory(dir) { return dir }
        }
        return nil
    }

    /// The cache in use, or nil (disabled, or its folder would lie inside the dataset root).
    public var cacheDirectory: URL? { cache?.directory }

    var cache: TableCache? {
        guard options.useCache else { return nil }
        let dir = options.resolvedCacheDirectory.standardizedFileURL.absoluteURL
        let rootPath = root.resolvingSymlinksInPath().path
        let dirPath = dir.resolvingSymlinksInPath().path
        if dirPath == rootPath || dirPath.hasPrefix(rootPath.hasSuffix("/") ? rootPath : rootPath + "/") { return nil }
        return TableCache(directory: dir)
    }

    /// One feature set, parsed on first use and memoised. Throws the first problem found
    /// (in partition.csv order): missing folder or file, parse error, inconsistent dimension.
    public func featureSet(_ name: String) throws -> FeatureSet {
        if let hit = lock.withLock({ featureMemo[name] }) { return hit }
        let (set, problems) = loadFeatureSet(name)
        guard let set else { throw problems.first! }
        return lock.withLock {
            if let earlier = featureMemo[name] { return earlier }
            featureMemo[name] = set
            return set
        }
    }

    /// One emotion's labels, parsed on first use and memoised. Throws the first problem found.
    public func labels(_ emotion: String) throws -> LabelSet {
        if let hit = lock.withLock({ labelMemo[emotion] }) { return hit }
        let (set, problems) = loadLabelSet(emotion)
        guard let set else { throw problems.first! }
        return lock.withLock {
            if let earlier = labelMemo[emotion] { return earlier }
            labelMemo[emotion] = set
            return set
        }
    }

    /// Forgets the parsed sets held in memory (the disk cache stays).
    public func releaseMemory() {
        lock.withLock {
            featureMemo = [:]
            labelMemo = [:]
        }
    }

    func addWarnings(_ list: [DatasetError]) {
        lock.withLock {
            for w in list where warningKeys.insert(w.description).inserted { warningList.append(w) }
        }
    }

    // MARK: Loading with every problem collected

    /// Parses every subject's file of a feature set; returns the set, or nil and every problem found.
    func loadFeatureSet(_ name: String) -> (FeatureSet?, [DatasetError]) {
        guard let dir = featureSetDirectory(name) else {
            let dir = root.appendingPathComponent("feature_segments").appendingPathComponent(name)
            let known = featureSetNames
            return (nil, [DatasetError(file: dir.path, message: "feature set folder not found (available: \(known.isEmpty ? "none" : known.joined(separator: ", ")))")])
        }
        let (paths, missing) = subjectFiles(in: dir, what: "feature set '\(name)'")
        if !missing.isEmpty && paths.isEmpty { return (nil, missing) }
        let results = loadTables(paths.map(\.path), kind: .feature, cache: cache, threads: options.threads)
        var problems = missing
        var tables: [(id: String, path: String, table: ParsedTable)] = []
        for (i, r) in results.enumerated() {
            switch r {
            case .success(let t): tables.append((paths[i].id, paths[i].path, t))
            case .failure(let e): problems.append(e)
            }
        }
        // The set's dimension is the most common one (ties: the first in partition.csv order).
        var counts: [Int: Int] = [:]
        for t in tables { counts[t.table.dim, default: 0] += 1 }
        let top = counts.values.max() ?? 0
        guard let reference = tables.first(where: { counts[$0.table.dim] == top }) else {
            return (nil, problems)
        }
        let dim = reference.table.dim
        var warnings: [DatasetError] = []
        for t in tables {
            if t.table.dim != dim {
                let isLabel = t.table.columnNames == ["value"]
                let message = isLabel
                    ? "looks like a label file (header timestamp,segment_id,value) but the other files of feature set '\(name)' have \(dim) feature columns (e.g. \(reference.path))"
                    : "has \(t.table.dim) feature columns, but the other files of feature set '\(name)' have \(dim) (e.g. \(reference.path))"
                problems.append(DatasetError(file: t.path, line: 1, message: message))
            } else if t.table.columnNames != reference.table.columnNames {
                let j = t.table.columnNames.indices.first { t.table.columnNames[$0] != reference.table.columnNames[$0] } ?? 0
                warnings.append(DatasetError(file: t.path, line: 1, column: j + 3,
                                             message: "column '\(t.table.columnNames[j])' is named '\(reference.table.columnNames[j])' in \(reference.path)"))
            }
        }
        addWarnings(warnings)
        if !problems.isEmpty { return (nil, sortedByPartitionOrder(problems, dir: dir)) }
        var sequences: [String: FeatureSequence] = [:]
        var missingCells = 0
        for t in tables {
            missingCells += t.table.missing
            sequences[t.id] = FeatureSequence(id: t.id, timestamps: t.table.timestamps, segmentIDs: t.table.segmentIDs,
                                              dim: dim, values: t.table.values)
        }
        return (FeatureSet(name: name, directory: dir, columnNames: reference.table.columnNames, sequences: sequences,
                           missingCells: missingCells), [])
    }

    /// Parses every subject's label file of an emotion; returns the set, or nil and every problem found.
    func loadLabelSet(_ emotion: String) -> (LabelSet?, [DatasetError]) {
        let dir = root.appendingPathComponent("label_segments").appendingPathComponent(emotion, isDirectory: true)
        guard isDirectory(dir) else {
            let known = emotionNames
            return (nil, [DatasetError(file: dir.path, message: "label folder not found (available: \(known.isEmpty ? "none" : known.joined(separator: ", ")))")])
        }
        let (paths, missing) = subjectFiles(in: dir, what: "label folder '\(emotion)'")
        if !missing.isEmpty && paths.isEmpty { return (nil, missing) }
        let results = loadTables(paths.map(\.path), kind: .label, cache: cache, threads: options.threads)
        var problems = missing
        var sequences: [String: LabelSequence] = [:]
        for (i, r) in results.enumerated() {
            switch r {
            case .success(let t):
                sequences[paths[i].id] = LabelSequence(id: paths[i].id, timestamps: t.timestamps, segmentIDs: t.segmentIDs, values: t.values)
            case .failure(let e): problems.append(e)
            }
        }
        if !problems.isEmpty { return (nil, sortedByPartitionOrder(problems, dir: dir)) }
        return (LabelSet(emotion: emotion, directory: dir, sequences: sequences), [])
    }

    /// The files of the partition's subjects in `dir` (partition.csv order), errors for subjects
    /// without one, and warnings (recorded) for CSV files whose ID is in no partition.
    private func subjectFiles(in dir: URL, what: String) -> (paths: [(id: String, path: String)], missing: [DatasetError]) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        let csvIDs = Set(names.filter { $0.hasSuffix(".csv") && !$0.hasPrefix(".") }.map { String($0.dropLast(4)) })
        if csvIDs.isEmpty && !subjects.isEmpty {
            return ([], [DatasetError(file: dir.path, message: "\(what) has no CSV files (expected <ID>.csv for the \(subjects.count) subjects of partition.csv)")])
        }
        let known = Set(subjects.map(\.id))
        addWarnings(csvIDs.subtracting(known).sorted().map {
            DatasetError(file: dir.appendingPathComponent($0 + ".csv").path,
                         message: "ID '\($0)' is in no partition of \(partitionFile.path); file ignored")
        })
        var paths: [(String, String)] = []
        var missing: [DatasetError] = []
        for s in subjects {
            let path = dir.appendingPathComponent(s.id + ".csv").path
            if csvIDs.contains(s.id) {
                paths.append((s.id, path))
            } else {
                let line = subjectLines[s.id].map { " (line \($0))" } ?? ""
                missing.append(DatasetError(file: path, message: "file not found: subject '\(s.id)' of partition.csv\(line), \(s.partition.rawValue), has no file in \(what)"))
            }
        }
        return (paths, missing)
    }

    /// Orders problems by the subject (partition.csv order) whose file they name; others keep their order after.
    private func sortedByPartitionOrder(_ problems: [DatasetError], dir: URL) -> [DatasetError] {
        var rank: [String: Int] = [:]
        for (i, s) in subjects.enumerated() { rank[dir.appendingPathComponent(s.id + ".csv").path] = i }
        return problems.enumerated().sorted { a, b in
            let ra = rank[a.element.file] ?? Int.max, rb = rank[b.element.file] ?? Int.max
            return ra != rb ? ra < rb : a.offset < b.offset
        }.map(\.element)
    }
}

func isDirectory(_ url: URL) -> Bool {
    var isDir: ObjCBool = false
    return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) && isDir.boolValue
}

func subfolders(of url: URL) -> [String] {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: url.path) else { return [] }
    return names.filter { !$0.hasPrefix(".") && isDirectory(url.appendingPathComponent($0)) }
}
