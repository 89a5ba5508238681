/// One input line of `emofuse stream`, parsed: `[set,]timestamp,segment_id,feature…` (the MuSe
/// feature-file row, prefixed by the set's name when several sets share one input).
enum LiveLine {
    case row(set: Int, timestamp: Int64)
    /// A header (`timestamp,…` or `<set>,timestamp,…`), an empty line: nothing to do.
    case ignorable
    /// What is wrong, at which 1-based column (cell).
    case malformed(column: Int, message: String)
    case unknownSet(String)

    /// Parses `line` (without its line break). With `fixedSet` nil the first cell names the set.
    /// The features go to `values` (at least the widest set's width), NaN for empty or `nan` cells.
    static func parse(_ line: UnsafeBufferPointer<UInt8>, fixedSet: Int?, aligner: LiveAligner,
                      values: UnsafeMutablePointer<Float>) -> LiveLine {
        guard var p = line.baseAddress, line.count > 0 else { return .ignorable }
        var end = p + line.count
        if (end - 1).pointee == 13 { end -= 1 }          // CRLF
        if p == end { return .ignorable }
        var column = 1
        let set: Int
        if let fixedSet {
            set = fixedSet
        } else {
            let start = p
            while p < end && p.pointee != 44 { p += 1 }
            let name = String(decoding: UnsafeBufferPointer(start: start, count: p - start), as: UTF8.self)
            guard p < end else { return .malformed(column: 1, message: "a single cell '\(name)'; expected set,timestamp,segment_id,features…") }
            p += 1
            column += 1
            if isHeaderCell(p, end) { return .ignorable }
            guard let index = aligner.index(of: name) else { return .unknownSet(name) }
            set = index
        }
        if isHeaderCell(p, end) { return .ignorable }
        let timestampStart = p
        guard let timestamp = parseIntegerCell(&p, end) else {
            return .malformed(column: column, message: "timestamp '\(cellText(timestampStart, end))' is not an integer")
        }
        guard p < end && p.pointee == 44 else { return .malformed(column: column + 1, message: "the line ends after the timestamp; expected segment_id and features") }
        p += 1
        column += 1
        let segmentStart = p
        guard parseIntegerCell(&p, end) != nil else {
            return .malformed(column: column, message: "segment_id '\(cellText(segmentStart, end))' is not an integer")
        }
        let width = aligner.width(of: set)
        for j in 0..<width {
            guard p < end && p.pointee == 44 else {
                return .malformed(column: column + 1, message: "\(j) features, the set has \(width)")
            }
            p += 1
            column += 1
            let cellStart = p
            guard let v = parseFloatCell(&p, end, powersOfTen) else {
                switch slowFloatCell(cellStart, end) {
                case .value(let v): values[j] = v; p = cellEnd(cellStart, end); continue
                case .notFinite: return .malformed(column: column, message: "'\(cellText(cellStart, end))' is out of the 32-bit float range")
                default: return .malformed(column: column, message: "'\(cellText(cellStart, end))' is not a number (expected a number, an empty cell or nan)")
                }
            }
            values[j] = v
        }
        if p < end {
            var extra = 0
            while p < end { if p.pointee == 44 { extra += 1 }; p += 1 }
            return .malformed(column: column + 1, message: "\(width + extra) features, the set has \(width)")
        }
        return .row(set: set, timestamp: timestamp)
    }

    private static func isHeaderCell(_ p: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Bool {
        cellText(p, end) == "timestamp"
    }

    private static func cellEnd(_ p: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> UnsafePointer<UInt8> {
        var q = p
        while q < end && q.pointee != 44 { q += 1 }
        return q
    }

    private static func cellText(_ p: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> String {
        let q = cellEnd(p, end)
        let text = String(decoding: UnsafeBufferPointer(start: p, count: min(q - p, 40)), as: UTF8.self)
        return q - p > 40 ? text + "…" : text
    }
}
