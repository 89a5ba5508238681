import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a finished model's marker (`metrics/<name>.json`) records so that it is reused only when
/// proven current: the settings it trained with, the build that trained it, and the content
/// digest of every file it read and wrote. See ``Runner``.
public struct Provenance: Codable, Sendable, Equatable {
    /// Everything about the model that decides its outputs (threads aside: they change no bit).
    public var settings: ProvenanceSettings
    /// Digest of the executable that trained it.
    public var code: String
    /// `data:`, `run:` or `key:`-prefixed relative path → content digest, of every file read.
    public var read: [String: String]
    /// `run:`-prefixed relative path → content digest, of every file written.
    public var wrote: [String: String]
}

/// The settings part of a marker.
public struct ProvenanceSettings: Codable, Sendable, Equatable {
    public var role: ModelRole
    public var inputs: [String]
    public var emotion: String?
    public var folds: Int
    public var submission: Bool
    public var candidates: [Candidate]
    public var training: TrainingOptions
    public var rowTolerance: Int
    public var dropNaNRows: Bool
    /// Auto-encoders: the RE transforms written beside the RE (absent when none).
    public var reTransforms: [RETransform]?

    init(_ model: PlannedModel, load: LoadOptions) {
        role = model.role; inputs = model.inputs; emotion = model.emotion; folds = model.folds
        reTransforms = model.reTransforms
        submission = model.submission; candidates = model.candidates
        training = model.training
        training.threads = 1
        training.learningRate = TrainingOptions().learningRate   // not used: each candidate has its own
        rowTolerance = load.rowTolerance; dropNaNRows = load.dropNaNRows
    }

    /// Whether both encode to the same JSON (what the marker stores is what is compared).
    func matches(_ other: ProvenanceSettings) -> Bool {
        (try? JSONFiles.encode(self, pretty: false)) == (try? JSONFiles.encode(other, pretty: false))
    }

    /// The names of the settings that differ (for "stale: settings changed: …").
    func differences(from other: ProvenanceSettings) -> [String] {
        func flat(_ value: ProvenanceSettings) -> [String: String] {
            guard let data = try? JSONFiles.encode(value, pretty: false),
                  let object = try? JSONSerialization.jsonObject(with: Data(data)) else { return [:] }
            var out: [String: String] = [:]
            func walk(_ v: Any, _ path: String) {
                if let d = v as? [String: Any] {
                    for (k, x) in d { walk(x, path.isEmpty ? k : "\(path).\(k)") }
                } else if let a = v as? [Any] {
                    out[path + ".count"] = "\(a.count)"
                    for (i, x) in a.enumerated() { walk(x, "\(path)[\(i)]") }
                } else {
                    out[path] = "\(v)"
                }
            }
            walk(object, "")
            return out
        }
        let a = flat(self), b = flat(other)
        return Set(a.keys).union(b.keys).filter { a[$0] != b[$0] }.sorted()
    }
}

/// Content digests of files, cached by (size, modification time in ns, inode) so that an unchanged
/// file is read once. A changed file (new bytes, re-extracted, copied over) has a new modification
/// time or inode and is read again. Thread-safe; the cache is saved with ``save()``.
final class ContentDigests: @unchecked Sendable {
    private struct Entry: Codable { var size: Int64; var mtime: Int64; var inode: UInt64; var digest: String }
    private let file: URL?
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private var dirty = false

    init(cacheFile: URL?) {
        file = cacheFile
        if let file, let data = try? Data(contentsOf: file),
           let decoded = try? JSONDecoder().decode([String: Entry].self, from: data) {
            entries = decoded
        }
    }

    /// The digest of the file's bytes (`<size>-<64-bit hash>`), or nil when it cannot be read.
    func digest(_ url: URL) -> String? {
        let path = url.path
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        #if canImport(Darwin)
        let mtime = Int64(st.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(st.st_mtimespec.tv_nsec)
        #else
        let mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        #endif
        let size = Int64(st.st_size), inode = UInt64(st.st_ino)
        if let hit = lock.withLock({ entries[path] }), hit.size == size, hit.mtime == mtime, hit.inode == inode {
            return hit.digest
        }
        guard let hash = Self.hashFile(path) else { return nil }
        let digest = "\(size)-\(String(hash, radix: 16))"
        lock.withLock { entries[path] = Entry(size: size, mtime: mtime, inode: inode, digest: digest); dirty = true }
        return digest
    }

    /// Writes the cache (atomically; concurrent writers lose entries, never correctness).
    func save() {
        guard let file else { return }
        let snapshot: [String: Entry]? = lock.withLock { dirty ? entries : nil }
        guard let snapshot, let data = try? JSONFiles.encode(snapshot, pretty: false) else { return }
        try? AtomicFile.write(data, to: file)
        lock.withLock { dirty = false }
    }

    /// A fast 64-bit hash of a file's bytes, 8 bytes at a time (change detection, not security).
    static func hashFile(_ path: String) -> UInt64? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk + 8, alignment: 8)
        defer { buffer.deallocate() }
        var h: UInt64 = 0x243F_6A88_85A3_08D3
        var total: UInt64 = 0
        while true {
            var n = 0
            while n < chunk {   // fill the chunk, so the hash never depends on how reads split
                let got = read(fd, buffer + n, chunk - n)
                if got < 0 { return nil }
                if got == 0 { break }
                n += got
            }
            if n == 0 { break }
            total &+= UInt64(n)
            let words = n / 8
            let p = buffer.assumingMemoryBound(to: UInt64.self)
            for i in 0..<words { h = mix(h, p[i]) }
            let rest = n - words * 8
            if rest > 0 {
                var last: UInt64 = 0
                withUnsafeMutableBytes(of: &last) { $0.baseAddress!.copyMemory(from: buffer + words * 8, byteCount: rest) }
                h = mix(h, last ^ (UInt64(rest) << 56))
            }
            if n < chunk { break }
        }
        return mix(h, total)
    }

    @inline(__always) private static func mix(_ h: UInt64, _ w: UInt64) -> UInt64 {
        let x = h ^ (w &* 0x9E37_79B9_7F4A_7C15)
        return ((x << 27) | (x >> 37)) &* 0xC2B2_AE3D_27D4_EB4F
    }

    /// The digest of the running executable: models are reused only from the same build.
    func executable() -> String {
        #if os(Linux)
        let url = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        #else
        let url = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        #endif
        return digest(url) ?? "unknown"
    }
}
