import Foundation

/// The three partitions of a MuSe dataset, ordered train < devel < test.
public enum Partition: String, Codable, CaseIterable, Sendable, Comparable {
    case train, devel, test

    public static func < (lhs: Partition, rhs: Partition) -> Bool { lhs.order < rhs.order }

    private var order: Int {
        switch self {
        case .train: return 0
        case .devel: return 1
        case .test: return 2
        }
    }
}

/// One subject as listed in `metadata/partition.csv`. The ID is an opaque string (`"7"`, `"P1T10"`).
public struct Subject: Hashable, Sendable {
    public let id: String
    public let partition: Partition

    public init(id: String, partition: Partition) {
        self.id = id
        self.partition = partition
    }
}

/// A problem with a dataset file. `line` and `column` are 1-based; `column` counts CSV cells
/// (column 1 is `timestamp`). `description` reads `file:line:column: message` (the parts that apply).
public struct DatasetError: Error, CustomStringConvertible, Sendable, Equatable, Codable {
    public let file: String
    public let line: Int?
    public let column: Int?
    public let message: String

    public init(file: String, line: Int? = nil, column: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        var s = file
        if let line {
            s += ":\(line)"
            if let column { s += ":\(column)" }
        }
        return s + ": " + message
    }
}

/// How a dataset is read.
public struct LoadOptions: Sendable {
    /// `|feature rows − label rows| ≤ rowTolerance` → both trimmed to the shorter; beyond → an error
    /// naming both files and their row counts.
    public var rowTolerance: Int = 0
    /// The official baseline's policy: drop train/devel rows with any missing feature or target cell
    /// (test rows are always kept).
    public var dropNaNRows: Bool = false
    /// Read and write the binary cache of parsed files.
    public var useCache: Bool = true
    /// Default: `$EMOFUSE_CACHE`, else `$XDG_CACHE_HOME/emofuse`, else `~/.cache/emofuse`.
    /// The cache is never used when it would lie inside the dataset root.
    public var cacheDirectory: URL? = nil
    /// Threads used to parse the files of one set (results do not depend on it).
    public var threads: Int = 2

    public init(rowTolerance: Int = 0, dropNaNRows: Bool = false, useCache: Bool = true,
                cacheDirectory: URL? = nil, threads: Int = 2) {
        self.rowTolerance = rowTolerance
        self.dropNaNRows = dropNaNRows
        self.useCache = useCache
        self.cacheDirectory = cacheDirectory
        self.threads = threads
    }

    /// The cache folder these options resolve to (before the "not inside the dataset" check).
    public var resolvedCacheDirectory: URL {
        if let cacheDirectory { return cacheDirectory }
        let env = ProcessInfo.processInfo.environment
        if let dir = env["EMOFUSE_CACHE"], !dir.isEmpty { return URL(fileURLWithPath: dir, isDirectory: true) }
        if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg, isDirectory: true).appendingPathComponent("emofuse", isDirectory: true)
        }
        return FileManager.default.homeDirectoryForCurrentUser
            .appendingPathComponent(".cache", isDirectory: true)
            .appendingPathComponent("emofuse", isDirectory: true)
    }
}

/// One subject's features of one set, as read from `<set>/<ID>.csv`.
public struct FeatureSequence: Sendable {
    public let id: String
    /// `rows` timestamps (integer milliseconds), strictly increasing.
    public let timestamps: [Int64]
    /// `rows` segment ids.
    public let segmentIDs: [Int64]
    public let rows: Int
    public let dim: Int
    /// `rows × dim`, row-major; NaN marks a missing cell.
    public let values: [Float]

    /// Checks that the array sizes agree with `rows` and `dim` (a programming error otherwise).
    public init(id: String, timestamps: [Int64], segmentIDs: [Int64], dim: Int, values: [Float]) {
        precondition(timestamps.count == segmentIDs.count, "FeatureSequence: timestamps and segmentIDs differ in length")
        precondition(values.count == timestamps.count * dim, "FeatureSequence: values.count must be rows × dim")
        self.id = id
        self.timestamps = timestamps
        self.segmentIDs = segmentIDs
        self.rows = timestamps.count
        self.dim = dim
        self.values = values
    }
}

/// All subjects' files of one feature set.
public struct FeatureSet: Sendable {
    public let name: String
    /// The folder the files were read from (an overlay's or the dataset's).
    public let directory: URL
    /// The feature columns' names (header cells 3…).
    public let columnNames: [String]
    public let dim: Int
    /// By subject ID; one entry per subject of partition.csv.
    public let sequences: [String: FeatureSequence]
    /// Number of missing (empty or nan) cells over all sequences.
    public let missingCells: Int

    public init(name: String, directory: URL, columnNames: [String], sequences: [String: FeatureSequence]) {
        self.init(name: name, directory: directory, columnNames: columnNames, sequences: sequences,
                  missingCells: sequences.values.reduce(0) { $0 + countNaN($1.values) })
    }

    /// With the missing-cell count already known (the loader counts while parsing).
    init(name: String, directory: URL, columnNames: [String], sequences: [String: FeatureSequence], missingCells: Int) {
        self.name = name
        self.directory = directory
        self.columnNames = columnNames
        self.dim = columnNames.count
        self.sequences = sequences
        self.missingCells = missingCells
    }

    /// The file a subject's sequence comes from.
    public func file(for id: String) -> URL { directory.appendingPathComponent(id + ".csv") }
}

/// One subject's labels of one emotion.
public struct LabelSequence: Sendable {
    public let id: String
    public let timestamps: [Int64]
    public let segmentIDs: [Int64]
    /// One value per row; NaN where the cell is empty (e.g. the withheld test partition).
    public let values: [Float]

    public var rows: Int { timestamps.count }

    public init(id: String, timestamps: [Int64], segmentIDs: [Int64], values: [Float]) {
        precondition(timestamps.count == segmentIDs.count && timestamps.count == values.count,
                     "LabelSequence: timestamps, segmentIDs and values differ in length")
        self.id = id
        self.timestamps = timestamps
        self.segmentIDs = segmentIDs
        self.values = values
    }
}

/// All subjects' labels of one emotion (`label_segments/<emotion>/`).
public struct LabelSet: Sendable {
    public let emotion: String
    public let directory: URL
    public let sequences: [String: LabelSequence]

    public init(emotion: String, directory: URL, sequences: [String: LabelSequence]) {
        self.emotion = emotion
        self.directory = directory
        self.sequences = sequences
    }

    public func file(for id: String) -> URL { directory.appendingPathComponent(id + ".csv") }
}

/// Number of NaN entries.
func countNaN(_ values: [Float]) -> Int {
    values.withUnsafeBufferPointer { countNaN($0.baseAddress, $0.count) }
}

func countNaN(_ p: UnsafePointer<Float>?, _ n: Int) -> Int {
    guard let p, n > 0 else { return 0 }
    var c = 0
    for i in 0..<n { c &+= p[i] != p[i] ? 1 : 0 }   // branch-free so that it vectorises
    return c
}
