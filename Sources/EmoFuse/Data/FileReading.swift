#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// What identifies one version of a file for the cache: size, modification time (ns) and inode.
struct FileStamp: Equatable, Sendable {
    var size: UInt64
    var mtimeSeconds: Int64
    var mtimeNanoseconds: Int64
    var inode: UInt64
}

func fileStamp(_ st: stat) -> FileStamp {
    #if canImport(Darwin)
    let mtime = st.st_mtimespec
    #else
    let mtime = st.st_mtim
    #endif
    return FileStamp(size: UInt64(st.st_size), mtimeSeconds: Int64(mtime.tv_sec),
                     mtimeNanoseconds: Int64(mtime.tv_nsec), inode: UInt64(st.st_ino))
}

func posixMessage(_ code: Int32) -> String { String(cString: strerror(code)) }

/// An open file, read whole into a scratch buffer that one worker reuses from file to file.
final class FileScratch {
    private(set) var buffer: UnsafeMutableRawPointer
    private(set) var capacity: Int

    init(capacity: Int = 1 << 20) {
        self.capacity = capacity
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
    }

    deinit { buffer.deallocate() }

    func reserve(_ bytes: Int) {
        if bytes <= capacity { return }
        buffer.deallocate()
        capacity = max(bytes, capacity * 2)
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
    }
}

/// Opens `path` read-only and stats it. The caller closes the descriptor.
func openForReading(_ path: String) throws(DatasetError) -> (fd: Int32, stamp: FileStamp) {
    let fd = open(path, O_RDONLY)
    if fd < 0 {
        let code = errno
        let what = code == ENOENT ? "file not found" : "cannot open: \(posixMessage(code))"
        throw DatasetError(file: path, message: what)
    }
    var st = stat()
    if fstat(fd, &st) != 0 {
        let code = errno
        close(fd)
        throw DatasetError(file: path, message: "cannot stat: \(posixMessage(code))")
    }
    if (st.st_mode & S_IFMT) != S_IFREG {
        close(fd)
        throw DatasetError(file: path, message: "not a regular file")
    }
    return (fd, fileStamp(st))
}

/// Reads exactly `count` bytes at `offset` (pread loop). Returns false on error or early end of file.
func readFully(_ fd: Int32, _ dst: UnsafeMutableRawPointer, _ count: Int, at offset: Int) -> Bool {
    var done = 0
    while done < count {
        let n = pread(fd, dst + done, count - done, off_t(offset + done))
        if n < 0 {
            if errno == EINTR { continue }
            return false
        }
        if n == 0 { return false }
        done += n
    }
    return true
}

/// Reads a whole file into `scratch`; returns the bytes (valid until the scratch is reused).
func readWhole(fd: Int32, stamp: FileStamp, path: String, into scratch: FileScratch) throws(DatasetError) -> UnsafeRawBufferPointer {
    let size = Int(stamp.size)
    scratch.reserve(size)
    if !readFully(fd, scratch.buffer, size, at: 0) {
        throw DatasetError(file: path, message: "cannot read the file (\(posixMessage(errno)))")
    }
    return UnsafeRawBufferPointer(start: scratch.buffer, count: size)
}

/// Reads and parses one MuSe CSV, through the cache when one is given. Parse errors are never cached.
func loadTable(path: String, kind: TableKind, cache: TableCache?, scratch: FileScratch) throws(DatasetError) -> ParsedTable {
    let (fd, stamp) = try openForReading(path)
    defer { close(fd) }
    if let cache, let hit = cache.load(path: path, kind: kind, stamp: stamp) { return hit }
    let bytes = try readWhole(fd: fd, stamp: stamp, path: path, into: scratch)
    let table = try parseTable(bytes, file: path, kind: kind)
    cache?.store(table, path: path, kind: kind, stamp: stamp)
    return table
}

/// A lock-protected counter handing out job indices to workers.
private final class JobCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    func take() -> Int {
        lock.lock()
        defer { lock.unlock() }
        let i = next
        next += 1
        return i
    }
}

/// Loads `paths` on up to `threads` threads. Each result depends only on its file, so the output is
/// the same for every thread count. Results are in `paths` order.
func loadTables(_ paths: [String], kind: TableKind, cache: TableCache?, threads: Int) -> [Result<ParsedTable, DatasetError>] {
    let n = paths.count
    if n == 0 { return [] }
    let workers = max(1, min(threads, n))
    let counter = JobCounter()
    let slots = Slots<Result<ParsedTable, DatasetError>?>(count: n, initial: nil)
    let work: @Sendable (Int) -> Void = { _ in
        let scratch = FileScratch()
        while true {
            let i = counter.take()
            if i >= n { break }
            let r: Result<ParsedTable, DatasetError>
            do throws(DatasetError) { r = .success(try loadTable(path: paths[i], kind: kind, cache: cache, scratch: scratch)) }
            catch { r = .failure(error) }
            slots[i] = r
        }
    }
    if workers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }
    return slots.array.map { $0! }
}
