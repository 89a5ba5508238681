#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which header a MuSe CSV must have.
enum TableKind: UInt32, Sendable {
    /// `timestamp,segment_id,<feature names…>` (at least one feature column).
    case feature = 1
    /// `timestamp,segment_id,value`.
    case label = 2
}

/// One parsed MuSe CSV file.
struct ParsedTable: Sendable {
    /// Header cells after `timestamp,segment_id` (`["value"]` for a label file).
    var columnNames: [String]
    /// `rows` timestamps, strictly increasing.
    var timestamps: [Int64]
    /// `rows` segment ids.
    var segmentIDs: [Int64]
    /// `rows × dim` row-major; NaN = missing.
    var values: [Float]
    /// NaN cells in `values`.
    var missing: Int

    var dim: Int { columnNames.count }
    var rows: Int { timestamps.count }
}

/// The header line split into trimmed cells (BOM and CR removed); `bodyStart` is the offset of line 2.
func splitHeader(_ bytes: UnsafeRawBufferPointer) -> (cells: [String], bodyStart: Int) {
    let b = bytes.bindMemory(to: UInt8.self)
    var start = 0
    if b.count >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF { start = 3 }
    var lineEnd = start
    while lineEnd < b.count && b[lineEnd] != 10 { lineEnd += 1 }
    let bodyStart = min(lineEnd + 1, b.count)
    var contentEnd = lineEnd
    if contentEnd > start && b[contentEnd - 1] == 13 { contentEnd -= 1 }
    var cells: [String] = []
    var cellStart = start
    var i = start
    while i <= contentEnd {
        if i == contentEnd || b[i] == 44 {
            let raw = UnsafeBufferPointer(rebasing: b[cellStart..<i])
            cells.append(String(decoding: trimmedCell(raw), as: UTF8.self))
            cellStart = i + 1
        }
        i += 1
    }
    if contentEnd == start { cells = [] }
    return (cells, bodyStart)
}

/// Asks Linux to back a large buffer with transparent huge pages (fewer page faults when it is first
/// written; the system's THP mode is usually "madvise"). A no-op elsewhere and for small buffers.
func adviseHugePages<T>(_ buffer: UnsafeMutableBufferPointer<T>) {
    #if os(Linux)
    guard let base = buffer.baseAddress else { return }
    let huge = 2 << 20
    let start = (Int(bitPattern: base) + huge - 1) & ~(huge - 1)
    let end = (Int(bitPattern: base) + buffer.count * MemoryLayout<T>.stride) & ~(huge - 1)
    if end - start >= huge {
        _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, 14 /* MADV_HUGEPAGE */)
    }
    #endif
}

/// A short, printable rendering of a cell for error messages.
func cellText(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> String {
    let cell = cellBytes(start, end)
    let shown = UnsafeBufferPointer(rebasing: cell[0..<min(cell.count, 40)])
    return "\"" + String(decoding: shown, as: UTF8.self) + (cell.count > 40 ? "…" : "") + "\""
}

/// Parses a whole MuSe CSV held in memory. `file` is used in error messages only.
///
/// Accepts a UTF-8 BOM, CRLF or LF line ends, a missing final newline, blank lines (skipped), spaces
/// around cells. Errors (1-based line and cell column): empty file, missing or wrong header, no data
/// rows, ragged rows, non-numeric cells, empty or fractional timestamps/segment ids, timestamps that do
/// not strictly increase.
func parseTable(_ bytes: UnsafeRawBufferPointer, file: String, kind: TableKind) throws(DatasetError) -> ParsedTable {
    if bytes.count == 0 { throw DatasetError(file: file, message: "empty file (expected a header line and data rows)") }
    let (header, bodyStart) = splitHeader(bytes)
    try checkHeader(header, file: file, kind: kind, bytes: bytes)
    let dim = header.count - 2
    let names = Array(header[2...])

    let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
    let end = base + bytes.count
    // Upper bound on the number of rows: one per line feed, plus an unterminated last line.
    var maxRows = 1
    var scan = base + bodyStart
    while scan < end, let nl = memchr(scan, 10, end - scan) {
        maxRows += 1
        scan = UnsafePointer(nl.assumingMemoryBound(to: UInt8.self)) + 1
    }

    let pow10 = powersOfTen
    var timestamps = [Int64](repeating: 0, count: maxRows)
    var segments = [Int64](repeating: 0, count: maxRows)
    var rows = 0
    var missing = 0
    var failure: DatasetError? = nil
    let values = [Float](unsafeUninitializedCapacity: maxRows * dim) { vbuf, initialized in
        initialized = 0
        adviseHugePages(vbuf)
        timestamps.withUnsafeMutableBufferPointer { tbuf in
            segments.withUnsafeMutableBufferPointer { sbuf in
                let vp = vbuf.baseAddress!
                let tp = tbuf.baseAddress!
                let sp = sbuf.baseAddress!
                var p = base + bodyStart
                var line = 2
                func fail(_ column: Int?, _ message: String) {
                    failure = DatasetError(file: file, line: line, column: column, message: message)
                }
                func ragged(_ cells: Int) {
                    fail(cells + 1, "row has \(cells) cells, the header has \(dim + 2)")
                }
                rowLoop: while p < end {
                    let c0 = p.pointee
                    if c0 == 10 { p += 1; line &+= 1; continue }
                    if c0 == 13 && (p + 1 == end || (p + 1).pointee == 10) { p += p + 1 == end ? 1 : 2; line &+= 1; continue }
                    if rows == maxRows { fail(nil, "more rows than line breaks (internal error)"); break rowLoop }
                    // timestamp, segment_id
                    let tsStart = p
                    guard let ts = parseIntegerCell(&p, end) else {
                        fail(1, "timestamp \(cellText(tsStart, end)) is not an integer")
                        break rowLoop
                    }
                    if rows > 0 && ts <= tp[rows - 1] {
                        fail(1, "timestamp \(ts) does not increase (previous row has \(tp[rows - 1]))")
                        break rowLoop
                    }
                    guard p < end && p.pointee == 44 else { ragged(1); break rowLoop }
                    p += 1
                    let segStart = p
                    guard let seg = parseIntegerCell(&p, end) else {
                        fail(2, "segment_id \(cellText(segStart, end)) is not an integer")
                        break rowLoop
                    }
                    let row = vp + rows &* dim
                    for j in 0..<dim {
                        guard p < end && p.pointee == 44 else { ragged(j + 2); break rowLoop }
                        p += 1
                        let cellStart = p
                        guard let v = parseFloatCell(&p, end, pow10) else {
                            let why: String
                            switch slowFloatCell(cellStart, end) {
                            case .notFinite: why = "is out of the 32-bit float range"
                            default: why = "is not a number (expected a number, an empty cell or nan)"
                            }
                            fail(j + 3, "cell \(cellText(cellStart, end)) in column '\(names[j])' \(why)")
                            break rowLoop
                        }
                        row[j] = v
                        missing &+= v != v ? 1 : 0
                    }
                    if p < end && p.pointee == 44 {
                        var extra = dim + 2
                        var r = p
                        while r < end && r.pointee != 10 && r.pointee != 13 {
                            if r.pointee == 44 { extra += 1 }
                            r += 1
                        }
                        fail(dim + 3, "row has \(extra) cells, the header has \(dim + 2)")
                        break rowLoop
                    }
                    if p < end && p.pointee == 13 {
                        p += 1
                        if p < end && p.pointee != 10 {
                            fail(dim + 2, "line ends with a lone carriage return (CR); expected LF or CRLF line breaks")
                            break rowLoop
                        }
                    }
                    if p < end && p.pointee == 10 { p += 1 }
                    tp[rows] = ts
                    sp[rows] = seg
                    rows &+= 1
                    line &+= 1
                }
            }
        }
        if failure == nil { initialized = rows * dim }
    }
    if let failure { throw failure }
    if rows == 0 { throw DatasetError(file: file, line: 2, message: "no data rows after the header") }
    timestamps.removeLast(maxRows - rows)
    segments.removeLast(maxRows - rows)
    return ParsedTable(columnNames: names, timestamps: timestamps, segmentIDs: segments, values: values, missing: missing)
}

private func checkHeader(_ header: [String], file: String, kind: TableKind, bytes: UnsafeRawBufferPointer) throws(DatasetError) {
    let expected = kind == .label ? "timestamp,segment_id,value" : "timestamp,segment_id,<feature names…>"
    guard let first = header.first else {
        throw DatasetError(file: file, line: 1, column: 1, message: "header missing: line 1 is empty, expected \(expected)")
    }
    if looksNumeric(first) {
        throw DatasetError(file: file, line: 1, column: 1,
                           message: "header missing: line 1 holds data (\(first)…), expected \(expected)")
    }
    if first.lowercased() != "timestamp" {
        throw DatasetError(file: file, line: 1, column: 1, message: "header cell 1 is '\(first)', expected 'timestamp'")
    }
    guard header.count >= 2, header[1].lowercased() == "segment_id" else {
        let found = header.count >= 2 ? "'\(header[1])'" : "missing"
        throw DatasetError(file: file, line: 1, column: 2, message: "header cell 2 is \(found), expected 'segment_id'")
    }
    switch kind {
    case .feature:
        if header.count < 3 {
            throw DatasetError(file: file, line: 1, column: 3, message: "header has no feature columns after timestamp,segment_id")
        }
    case .label:
        if header.count < 3 || header[2].lowercased() != "value" {
            let found = header.count >= 3 ? "'\(header[2])'" : "missing"
            throw DatasetError(file: file, line: 1, column: 3, message: "header cell 3 is \(found), expected 'value' (label files have header \(expected))")
        }
        if header.count > 3 {
            throw DatasetError(file: file, line: 1, column: 4, message: "label file header has \(header.count) cells, expected \(expected)")
        }
    }
}

private func looksNumeric(_ s: String) -> Bool {
    guard let c = s.utf8.first else { return false }
    return (c >= 48 && c <= 57) || ((c == 45 || c == 43 || c == 46) && s.utf8.count > 1)
}
