#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A binary cache of parsed CSV files: one entry per source file, named by a hash of its absolute
/// path and kind, and valid only for the source's exact size, mtime (ns) and inode.
///
/// Entry layout (native little-endian):
/// ```
/// 0   magic "EFTABLE\0"        8   version u32, kind u32
/// 16  source size u64          24  mtime s i64     32  mtime ns i64     40  inode u64
/// 48  rows u64                 56  dim u64         64  path bytes u64   72  names bytes u64
/// 80  missing cells u64        88  path (UTF-8), column names joined by "\n", zero padding to 8
///     timestamps rows × i64, segment ids rows × i64, values rows × dim × f32, zero padding to 8
///     checksum u64 over everything before it
/// ```
/// An entry is used only if magic, version, kind, path, stamp, the file size implied by the header
/// and the checksum all agree; anything else is ignored and the entry rewritten after parsing.
/// Writes go to a temporary file in the cache folder, renamed into place.
struct TableCache: Sendable {
    static let magic: UInt64 = 0x00_454C_4241_5446_45 // "EFTABLE\0" little-endian
    static let version: UInt32 = 2
    static let fixedHeader = 88

    let directory: URL

    func entryURL(path: String, kind: TableKind) -> URL {
        let hex = String(fnv1a64("\(kind.rawValue):\(path)".utf8), radix: 16)
        return directory.appendingPathComponent(String(repeating: "0", count: 16 - hex.count) + hex + ".table")
    }

    /// The cached table for this exact file version, or nil.
    func load(path: String, kind: TableKind, stamp: FileStamp) -> ParsedTable? {
        let url = entryURL(path: path, kind: kind)
        let fd = open(url.path, O_RDONLY)
        if fd < 0 { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        let fileSize = Int(st.st_size)
        guard fileSize >= Self.fixedHeader + 8 else { return nil }

        var fixed = [UInt64](repeating: 0, count: Self.fixedHeader / 8)
        let ok = fixed.withUnsafeMutableBytes { readFully(fd, $0.baseAddress!, Self.fixedHeader, at: 0) }
        guard ok, fixed[0] == Self.magic else { return nil }
        guard UInt32(truncatingIfNeeded: fixed[1]) == Self.version,
              UInt32(truncatingIfNeeded: fixed[1] >> 32) == kind.rawValue,
              fixed[2] == stamp.size, Int64(bitPattern: fixed[3]) == stamp.mtimeSeconds,
              Int64(bitPattern: fixed[4]) == stamp.mtimeNanoseconds, fixed[5] == stamp.inode
        else { return nil }
        let rows64 = fixed[6], dim64 = fixed[7], pathBytes64 = fixed[8], namesBytes64 = fixed[9]
        let missing64 = fixed[10]
        guard rows64 >= 1, dim64 >= 1, rows64 < 1 << 40, dim64 < 1 << 24, pathBytes64 < 1 << 16, namesBytes64 < 1 << 30,
              missing64 <= rows64 * dim64 else { return nil }
        let rows = Int(rows64), dim = Int(dim64), pathBytes = Int(pathBytes64), namesBytes = Int(namesBytes64)
        let layout = Layout(rows: rows, dim: dim, pathBytes: pathBytes, namesBytes: namesBytes)
        guard let total = layout.total, total == fileSize else { return nil }

        var headerBytes = [UInt8](repeating: 0, count: layout.headerEnd)
        guard headerBytes.withUnsafeMutableBytes({ readFully(fd, $0.baseAddress!, layout.headerEnd, at: 0) }) else { return nil }
        guard String(decoding: headerBytes[Self.fixedHeader..<(Self.fixedHeader + pathBytes)], as: UTF8.self) == path else { return nil }
        let names = splitLines(headerBytes, from: Self.fixedHeader + pathBytes, count: namesBytes)
        guard names.count == dim else { return nil }

        var failed = false
        let timestamps = [Int64](unsafeUninitializedCapacity: rows) { b, n in
            failed = !readFully(fd, UnsafeMutableRawPointer(b.baseAddress!), rows * 8, at: layout.headerEnd)
            n = failed ? 0 : rows
        }
        if failed { return nil }
        let segments = [Int64](unsafeUninitializedCapacity: rows) { b, n in
            failed = !readFully(fd, UnsafeMutableRawPointer(b.baseAddress!), rows * 8, at: layout.headerEnd + rows * 8)
            n = failed ? 0 : rows
        }
        if failed { return nil }
        let values = [Float](unsafeUninitializedCapacity: rows * dim) { b, n in
            adviseHugePages(b)
            failed = !readFully(fd, UnsafeMutableRawPointer(b.baseAddress!), rows * dim * 4, at: layout.valuesStart)
            n = failed ? 0 : rows * dim
        }
        if failed { return nil }
        var stored: UInt64 = 0
        guard readFully(fd, &stored, 8, at: total - 8) else { return nil }

        var sum = Checksum()
        headerBytes.withUnsafeBytes { sum.add($0) }
        timestamps.withUnsafeBytes { sum.add($0) }
        segments.withUnsafeBytes { sum.add($0) }
        values.withUnsafeBytes { sum.add($0) }
        guard sum.value == stored else { return nil }
        return ParsedTable(columnNames: names, timestamps: timestamps, segmentIDs: segments, values: values,
                           missing: Int(missing64))
    }

    /// Writes the entry (best effort: a cache that cannot be written is simply not used).
    func store(_ table: ParsedTable, path: String, kind: TableKind, stamp: FileStamp) {
        let pathUTF8 = Array(path.utf8)
        let namesUTF8 = Array(table.columnNames.joined(separator: "\n").utf8)
        let layout = Layout(rows: table.rows, dim: table.dim, pathBytes: pathUTF8.count, namesBytes: namesUTF8.count)
        guard layout.total != nil else { return }
        var header = [UInt8](repeating: 0, count: layout.headerEnd)
        let fixed: [UInt64] = [
            Self.magic, UInt64(Self.version) | (UInt64(kind.rawValue) << 32),
            stamp.size, UInt64(bitPattern: stamp.mtimeSeconds), UInt64(bitPattern: stamp.mtimeNanoseconds), stamp.inode,
            UInt64(table.rows), UInt64(table.dim), UInt64(pathUTF8.count), UInt64(namesUTF8.count),
            UInt64(table.missing),
        ]
        header.withUnsafeMutableBytes { h in
            fixed.withUnsafeBytes { h.copyMemory(from: $0) }
            pathUTF8.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: h[Self.fixedHeader...]).copyMemory(from: $0) }
            namesUTF8.withUnsafeBytes {
                UnsafeMutableRawBufferPointer(rebasing: h[(Self.fixedHeader + pathUTF8.count)...]).copyMemory(from: $0)
            }
        }
        var sum = Checksum()
        header.withUnsafeBytes { sum.add($0) }
        table.timestamps.withUnsafeBytes { sum.add($0) }
        table.segmentIDs.withUnsafeBytes { sum.add($0) }
        table.values.withUnsafeBytes { sum.add($0) }
        var trailer = [UInt8](repeating: 0, count: layout.valuesPadding + 8)
        withUnsafeBytes(of: sum.value) { s in
            for i in 0..<8 { trailer[layout.valuesPadding + i] = s[i] }
        }

        let fm = FileManager.default
        do { try fm.createDirectory(at: directory, withIntermediateDirectories: true) } catch { return }
        let final = entryURL(path: path, kind: kind)
        let tmp = directory.appendingPathComponent(".\(final.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd < 0 { return }
        var ok = true
        ok = ok && header.withUnsafeBytes { writeFully(fd, $0) }
        ok = ok && table.timestamps.withUnsafeBytes { writeFully(fd, $0) }
        ok = ok && table.segmentIDs.withUnsafeBytes { writeFully(fd, $0) }
        ok = ok && table.values.withUnsafeBytes { writeFully(fd, $0) }
        ok = ok && trailer.withUnsafeBytes { writeFully(fd, $0) }
        ok = close(fd) == 0 && ok
        if !ok || rename(tmp.path, final.path) != 0 { unlink(tmp.path) }
    }

    /// Removes every entry (used by `bench load` for a cold start).
    func removeAll() {
        let fm = FileManager.default
        guard let items = try? fm.contentsOfDirectory(atPath: directory.path) else { return }
        for item in items where item.hasSuffix(".table") || item.contains(".table.tmp-") {
            unlink(directory.appendingPathComponent(item).path)
        }
    }

    /// Byte offsets of an entry's parts.
    struct Layout {
        let headerEnd: Int
        let valuesStart: Int
        let valuesPadding: Int
        let total: Int?

        init(rows: Int, dim: Int, pathBytes: Int, namesBytes: Int) {
            let rawHeader = TableCache.fixedHeader + pathBytes + namesBytes
            headerEnd = (rawHeader + 7) & ~7
            valuesStart = headerEnd + rows * 16
            let (cells, o1) = rows.multipliedReportingOverflow(by: dim)
            let (valueBytes, o2) = cells.multipliedReportingOverflow(by: 4)
            valuesPadding = (8 - valueBytes % 8) % 8
            total = (o1 || o2) ? nil : valuesStart + valueBytes + valuesPadding + 8
        }
    }
}

/// `count` bytes from `offset`, split at "\n" (empty pieces kept).
private func splitLines(_ bytes: [UInt8], from offset: Int, count: Int) -> [String] {
    var out: [String] = []
    bytes.withUnsafeBufferPointer { b in
        var start = offset
        let end = offset + count
        for i in offset...end where i == end || b[i] == 10 {
            out.append(String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self))
            start = i + 1
        }
    }
    return out
}

private func writeFully(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
    guard var p = bytes.baseAddress else { return true }
    var left = bytes.count
    while left > 0 {
        let n = write(fd, p, left)
        if n < 0 {
            if errno == EINTR { continue }
            return false
        }
        p += n
        left -= n
    }
    return true
}

/// A fast 64-bit checksum (four interleaved word sums, position-mixed) guarding cache entries against
/// truncation and garbage; not a cryptographic hash.
struct Checksum {
    private var lanes: (UInt64, UInt64, UInt64, UInt64) = (0x9E37_79B9_7F4A_7C15, 0xC2B2_AE3D_27D4_EB4F, 0x1656_67B1_9E37_79F9, 0x27D4_EB2F_1656_67C5)
    private var length: UInt64 = 0

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        guard let base = bytes.baseAddress, n > 0 else { return }
        let words = n / 8
        var a = lanes.0, b = lanes.1, c = lanes.2, d = lanes.3
        var i = 0
        while i + 4 <= words {
            a = a &+ base.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
            b = b &+ base.loadUnaligned(fromByteOffset: i * 8 + 8, as: UInt64.self)
            c = c &+ base.loadUnaligned(fromByteOffset: i * 8 + 16, as: UInt64.self)
            d = d &+ base.loadUnaligned(fromByteOffset: i * 8 + 24, as: UInt64.self)
            i += 4
        }
        while i < words {
            a = a &+ (base.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self) ^ UInt64(truncatingIfNeeded: i))
            i += 1
        }
        var tail: UInt64 = 0
        for j in (words * 8)..<n { tail = (tail << 8) | UInt64(base.load(fromByteOffset: j, as: UInt8.self)) }
        b = b ^ tail
        // Mix so that sums of different regions do not commute.
        a = (a ^ (a >> 29)) &* 0xBF58_476D_1CE4_E5B9
        b = (b ^ (b >> 31)) &* 0x94D0_49BB_1331_11EB
        c = (c ^ (c >> 27)) &* 0xBF58_476D_1CE4_E5B9
        d = (d ^ (d >> 33)) &* 0x94D0_49BB_1331_11EB
        lanes = (b, c, d, a)
        length &+= UInt64(n)
    }

    var value: UInt64 {
        var h = lanes.0 ^ (lanes.1 &* 31) ^ (lanes.2 &* 961) ^ (lanes.3 &* 29791) ^ length
        h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
        return h ^ (h >> 31)
    }
}
