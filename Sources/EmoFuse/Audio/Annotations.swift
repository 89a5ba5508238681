import Foundation

/// A continuous annotation as recorded: one CSV per recording and emotion, `time,value` at any rate.
///
/// Header spellings: the time column is `time`, `t`, `seconds`, `time_s`, `timestamp`, `time_ms`,
/// `timestamp_ms` or `ms` (any case); names containing `ms`, and `timestamp` (as in the MuSe
/// package), are milliseconds, the others seconds. The value column is `value`, `rating`, `label`,
/// `annotation`, `gold`, `gold_standard` or the emotion's name; with exactly two columns, the other
/// one. Cells may be quoted; an empty or `nan` value is a gap.
public struct Annotation: Sendable {
    public let file: String
    /// Seconds, strictly increasing.
    public let times: [Double]
    /// NaN where the file has a gap (empty or `nan` cell).
    public let values: [Double]

    static let timeNames = ["time", "t", "seconds", "time_s", "sec", "timestamp", "time_ms", "timestamp_ms", "ms", "frametime"]
    static let valueNames = ["value", "rating", "label", "annotation", "gold", "gold_standard", "score"]

    /// Reads and checks one annotation file: errors (file:line:column) for an empty file, an
    /// unrecognised header, a non-numeric cell, non-finite or unsorted or repeated times.
    public static func read(_ url: URL, emotion: String) throws -> Annotation {
        let file = url.path
        guard let data = FileManager.default.contents(atPath: file) else {
            throw DatasetError(file: file, message: FileManager.default.fileExists(atPath: file) ? "cannot read the file" : "file not found")
        }
        var text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        // "\r\n" is one Character in Swift: split on any line break.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        while lines.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeLast() }
        guard let headerLine = lines.first else { throw DatasetError(file: file, message: "empty file (expected a header such as time,value and rows)") }
        let separator: Character = headerLine.contains(",") ? "," : (headerLine.contains(";") ? ";" : "\t")
        let header = split(headerLine, separator).map { $0.lowercased() }
        guard let timeCol = header.firstIndex(where: { timeNames.contains($0) }) else {
            throw DatasetError(file: file, line: 1, column: 1,
                               message: "no time column in header '\(headerLine)' (expected one of \(timeNames.joined(separator: ", ")))")
        }
        let valueCol = header.firstIndex(where: { valueNames.contains($0) || $0 == emotion.lowercased() })
            ?? (header.count == 2 ? 1 - timeCol : nil)
        guard let valueCol else {
            throw DatasetError(file: file, line: 1, column: 1,
                               message: "no value column in header '\(headerLine)' (expected one of \(valueNames.joined(separator: ", ")) or '\(emotion)')")
        }
        let name = header[timeCol]
        let scale = name.contains("ms") || name == "timestamp" ? 0.001 : 1.0
        var times: [Double] = [], values: [Double] = []
        for (i, line) in lines.enumerated().dropFirst() {
            let n = i + 1
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let cells = split(line, separator)
            guard cells.count > max(timeCol, valueCol) else {
                throw DatasetError(file: file, line: n, column: cells.count + 1, message: "row has \(cells.count) cells, the header has \(header.count)")
            }
            guard let t = Double(cells[timeCol]), t.isFinite else {
                throw DatasetError(file: file, line: n, column: timeCol + 1, message: "time '\(cells[timeCol])' is not a finite number")
            }
            let cell = cells[valueCol]
            let v: Double
            if cell.isEmpty || cell.lowercased() == "nan" { v = .nan } else {
                guard let x = Double(cell), x.isFinite else {
                    throw DatasetError(file: file, line: n, column: valueCol + 1, message: "value '\(cell)' is not a number (an empty cell or nan marks a gap)")
                }
                v = x
            }
            let time = t * scale
            if let last = times.last, time <= last {
                throw DatasetError(file: file, line: n, column: timeCol + 1,
                                   message: time == last ? "time \(cells[timeCol]) repeats the previous row's" : "times are not sorted: \(cells[timeCol]) comes after a later time")
            }
            times.append(time)
            values.append(v)
        }
        guard !times.isEmpty else { throw DatasetError(file: file, line: 2, message: "no data rows") }
        return Annotation(file: file, times: times, values: values)
    }

    private static func split(_ line: Substring, _ sep: Character) -> [String] {
        line.split(separator: sep, omittingEmptySubsequences: false).map {
            var s = $0.trimmingCharacters(in: .whitespaces)
            if s.count >= 2 && s.hasPrefix("\"") && s.hasSuffix("\"") { s = String(s.dropFirst().dropLast()) }
            return s
        }
    }

    /// The annotation on a feature grid (seconds), and warnings saying what was done.
    ///
    /// Each grid time t takes the mean of the annotation samples in [t − hop/2, t + hop/2) when
    /// there are two or more (a faster annotation is averaged, not aliased), else the linear
    /// interpolation between the samples either side. Where a side is a gap (NaN) or farther
    /// than `maxGap` seconds, or t lies outside the annotated span by more than hop/2, the row is
    /// left empty (a missing label, masked in training) and a warning counts such rows.
    /// An annotation that ends or starts more than `durationTolerance` seconds away from the
    /// recording's span is an error.
    public func resampled(to grid: [Double], hop: Double, audioDuration: Double, maxGap: Double = 2.0,
                          durationTolerance: Double = 2.0) throws -> (values: [Float], warnings: [DatasetError]) {
        let end = times.last!, start = times.first!
        if end < audioDuration - durationTolerance || end > audioDuration + durationTolerance || start > durationTolerance {
            throw DatasetError(file: file, message: String(format: "annotation covers %.2f–%.2f s, the recording lasts %.2f s (more than %.1f s apart: wrong file, or a time unit other than %@?)",
                                                           start, end, audioDuration, durationTolerance, "the header's"))
        }
        var out = [Float](repeating: .nan, count: grid.count)
        var gapRows = 0, outsideRows = 0
        var lo = 0
        for (k, t) in grid.enumerated() {
            let a = t - hop / 2, b = t + hop / 2
            while lo < times.count && times[lo] < a { lo += 1 }
            var hi = lo, sum = 0.0, n = 0
            while hi < times.count && times[hi] < b {
                if !values[hi].isNaN { sum += values[hi]; n += 1 }
                hi += 1
            }
            if n >= 2 {
                out[k] = Float(sum / Double(n)); continue
            }
            if t < start - hop / 2 || t > end + hop / 2 { outsideRows += 1; continue }
            // Linear interpolation between the samples either side of t.
            var r = lo
            while r < times.count && times[r] < t { r += 1 }
            let l = r - 1
            if r < times.count && times[r] == t, !values[r].isNaN { out[k] = Float(values[r]); continue }
            let left = l >= 0 ? l : r, right = r < times.count ? r : l
            guard left >= 0, right < times.count, !values[left].isNaN, !values[right].isNaN,
                  times[right] - times[left] <= maxGap else { gapRows += 1; continue }
            if left == right { out[k] = Float(values[left]); continue }
            let w = (t - times[left]) / (times[right] - times[left])
            out[k] = Float(values[left] + w * (values[right] - values[left]))
        }
        var warnings: [DatasetError] = []
        if gapRows > 0 {
            warnings.append(DatasetError(file: file, message: "\(gapRows) grid row(s) fall in gaps (empty/nan cells or more than \(maxGap) s without a sample): their labels are left empty"))
        }
        if outsideRows > 0 {
            warnings.append(DatasetError(file: file, message: String(format: "annotation covers %.2f–%.2f s, the recording %.2f s: %d grid row(s) outside it are left empty", start, end, audioDuration, outsideRows)))
        }
        let nanCount = values.filter(\.isNaN).count
        if nanCount > 0 && gapRows == 0 {
            warnings.append(DatasetError(file: file, message: "\(nanCount) empty/nan value(s) skipped; the neighbouring samples cover those grid rows"))
        }
        return (out, warnings)
    }
}
