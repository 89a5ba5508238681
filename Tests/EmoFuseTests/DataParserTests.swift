import Foundation
import Testing
@testable import EmoFuse

/// Parses one cell with the production parser; nil when it reports "not a number".
private func parseCell(_ text: String) -> Float? {
    var bytes = Array(text.utf8)
    bytes.append(UInt8(ascii: ","))
    return bytes.withUnsafeBufferPointer { b -> Float? in
        var p = b.baseAddress!
        let end = b.baseAddress! + b.count
        guard let v = parseFloatCell(&p, end, powersOfTen) else { return nil }
        #expect(p == end - 1, "parser must stop at the terminator for \(text)")
        return v
    }
}

private func reference(_ text: String) -> Float { strtof(text, nil) }

private func sameBits(_ a: Float?, _ b: Float) -> Bool {
    guard let a else { return false }
    return a.isNaN ? b.isNaN : a.bitPattern == b.bitPattern
}

@Test func floatCellsMatchStrtofOnFloatDescriptions() {
    var rng = RandomSource(seed: 11)
    for _ in 0..<20_000 {
        let bits = UInt32(truncatingIfNeeded: rng.next())
        let f = Float(bitPattern: bits)
        guard f.isFinite else { continue }
        let text = f.description
        #expect(sameBits(parseCell(text), f), "\(text)")
    }
}

@Test func floatCellsMatchStrtofOnDoubleDescriptions() {
    // pandas writes float64 with up to 17 significant digits.
    var rng = RandomSource(seed: 14)
    for _ in 0..<20_000 {
        let magnitude = Double(rng.nextInt(below: 60) - 30)
        let x = (rng.nextDouble() * 2 - 1) * 10 * pow(10, magnitude)
        let text = "\(x)"
        #expect(sameBits(parseCell(text), reference(text)), "\(text)")
    }
}

@Test func floatCellsMatchStrtofOnRandomDecimals() {
    var rng = RandomSource(seed: 12)
    for _ in 0..<40_000 {
        let digits = 1 + rng.nextInt(below: 21)
        var mantissa = ""
        for _ in 0..<digits { mantissa += String(rng.nextInt(below: 10)) }
        let point = rng.nextInt(below: digits + 1)
        var text = String(mantissa.prefix(point)) + "." + String(mantissa.dropFirst(point))
        if rng.nextFloat() < 0.5 { text = "-" + text }
        if rng.nextFloat() < 0.5 { text += "e" + String(rng.nextInt(below: 85) - 45) }
        if text.hasPrefix(".") || text.hasPrefix("-.") { text = text.replacingOccurrences(of: ".", with: "0.") }
        let expected = reference(text)
        if !expected.isFinite {
            #expect(parseCell(text) == nil, "\(text) overflows Float")
        } else {
            #expect(sameBits(parseCell(text), expected), "\(text): got \(String(describing: parseCell(text))), strtof \(expected)")
        }
    }
}

@Test func floatCellsRoundMidpointsAndSubnormalsCorrectly() {
    let cases = ["16777217", "16777217.000001", "16777219", "33554435", "1e-40", "1.4e-45", "7e-46",
                 "3.4028235e38", "3.4028236e38", "0.1", "0.30000001192092896", "123456789012345678",
                 "1.00000005960464477539062", "1.0000000596046448", "9007199254740993", "-0", "+2.5", "5E3", "1e+2"]
    for c in cases where reference(c).isFinite {
        #expect(sameBits(parseCell(c), reference(c)), "\(c)")
    }
    #expect(parseCell("3.5e38") == nil)
    // Decimals at and near the midpoints between neighbouring floats.
    var rng = RandomSource(seed: 13)
    for _ in 0..<5_000 {
        let f = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()) & 0x7FFF_FFFF)
        guard f.isNormal, f.nextUp.isFinite else { continue }
        let mid = (Double(f) + Double(f.nextUp)) / 2
        for digits in [8, 9, 12, 15, 16, 17] {
            let text = String(format: "%.\(digits)g", mid)
            #expect(sameBits(parseCell(text), reference(text)), "\(text)")
        }
    }
}

@Test func missingAndInvalidCells() {
    for missing in ["", "nan", "NaN", "NAN", "-nan", "+nan", " nan ", "  "] {
        #expect(parseCell(missing)?.isNaN == true, "'\(missing)' is missing")
    }
    #expect(parseCell(" 1.5 ") == 1.5)
    #expect(parseCell("\"2.5\"") == 2.5)
    for bad in ["abc", "1.2.3", "1e", "--1", "inf", "-infinity", "1,5x", "0x", "NA", "1 2", "."] {
        let text = bad.replacingOccurrences(of: ",", with: ";")
        #expect(parseCell(text) == nil, "'\(text)' is not a number")
    }
}

@Test func integerCells() {
    func parse(_ text: String) -> Int64? {
        var bytes = Array(text.utf8)
        bytes.append(10)
        return bytes.withUnsafeBufferPointer { b in
            var p = b.baseAddress!
            return parseIntegerCell(&p, b.baseAddress! + b.count)
        }
    }
    #expect(parse("500") == 500)
    #expect(parse("-20") == -20)
    #expect(parse("500.0") == 500)
    #expect(parse("1e3") == 1000)
    #expect(parse(" 7 ") == 7)
    #expect(parse("") == nil)
    #expect(parse("nan") == nil)
    #expect(parse("12.5") == nil)
    #expect(parse("x1") == nil)
}

// MARK: Whole files

private func parse(_ text: String, kind: TableKind = .feature) throws -> ParsedTable {
    let bytes = Array(text.utf8)
    return try bytes.withUnsafeBytes { b in try parseTable(b, file: "f.csv", kind: kind) }
}

private func parseError(_ text: String, kind: TableKind = .feature) -> DatasetError? {
    do { _ = try parse(text, kind: kind); return nil } catch { return error as? DatasetError }
}

@Test func parsesBOMCRLFBlankLinesAndMissingFinalNewline() throws {
    let text = "\u{FEFF}timestamp,segment_id,a,b\r\n0,1,1.5,\r\n\r\n500,1,nan,-2e-1\r\n1000,2,3,4"
    let t = try parse(text)
    #expect(t.columnNames == ["a", "b"])
    #expect(t.timestamps == [0, 500, 1000])
    #expect(t.segmentIDs == [1, 1, 2])
    #expect(t.values[0] == 1.5 && t.values[1].isNaN && t.values[2].isNaN)
    #expect(Array(t.values[3...]) == [-0.2, 3, 4])
}

@Test func labelFilesWithEmptyValuesParse() throws {
    let t = try parse("timestamp,segment_id,value\n0,1,\n500,1,\n", kind: .label)
    #expect(t.rows == 2 && t.values.allSatisfy { $0.isNaN })
}

@Test func fileErrorsNameLineAndColumn() {
    func check(_ text: String, kind: TableKind = .feature, line: Int?, column: Int?, contains words: String,
               sourceLocation: SourceLocation = #_sourceLocation) {
        guard let e = parseError(text, kind: kind) else {
            Issue.record("no error for \(text.debugDescription)", sourceLocation: sourceLocation)
            return
        }
        #expect(e.file == "f.csv", sourceLocation: sourceLocation)
        #expect(e.line == line, "\(e)", sourceLocation: sourceLocation)
        #expect(e.column == column, "\(e)", sourceLocation: sourceLocation)
        #expect(e.message.contains(words), "\(e)", sourceLocation: sourceLocation)
        #expect(e.description.hasPrefix("f.csv" + (line.map { ":\($0)" } ?? "") + (column.map { ":\($0)" } ?? "") + ": "),
                sourceLocation: sourceLocation)
    }
    check("", line: nil, column: nil, contains: "empty file")
    check("0,1,2.5\n500,1,3\n", line: 1, column: 1, contains: "header missing")
    check("\n0,1,2\n", line: 1, column: 1, contains: "header missing")
    check("time,segment_id,a\n0,1,2\n", line: 1, column: 1, contains: "expected 'timestamp'")
    check("timestamp,segment,a\n0,1,2\n", line: 1, column: 2, contains: "expected 'segment_id'")
    check("timestamp,segment_id\n0,1\n", line: 1, column: 3, contains: "no feature columns")
    check("timestamp,segment_id,a\n", line: 2, column: nil, contains: "no data rows")
    check("timestamp,segment_id,a,b\n0,1,2,3\n500,1,2\n", line: 3, column: 4, contains: "row has 3 cells, the header has 4")
    check("timestamp,segment_id,a,b\n0,1,2,3\n500\n", line: 3, column: 2, contains: "row has 1 cells")
    check("timestamp,segment_id,a,b\n0,1,2,3,4,5\n", line: 2, column: 5, contains: "row has 6 cells, the header has 4")
    check("timestamp,segment_id,a,b\n0,1,2,3\n500,1,2,x7\n", line: 3, column: 4, contains: "\"x7\" in column 'b' is not a number")
    check("timestamp,segment_id,a\n0,1,2\n0,1,3\n", line: 3, column: 1, contains: "does not increase")
    check("timestamp,segment_id,a\n500,1,2\n0,1,3\n", line: 3, column: 1, contains: "does not increase")
    check("timestamp,segment_id,a\n\n\n0,1,2\n,1,3\n", line: 5, column: 1, contains: "timestamp \"\" is not an integer")
    check("timestamp,segment_id,a\n0.5,1,2\n", line: 2, column: 1, contains: "not an integer")
    check("timestamp,segment_id,a\n0,one,2\n", line: 2, column: 2, contains: "segment_id \"one\"")
    check("timestamp,segment_id,a\n0,1,1e39\n", line: 2, column: 3, contains: "out of the 32-bit float range")
    check("timestamp,segment_id,a\n0,1,1\r500,1,2\r1000,1,3\n", line: 2, column: 3, contains: "lone carriage return")
    check("timestamp,segment_id,label\n0,1,2\n", kind: .label, line: 1, column: 3, contains: "expected 'value'")
    check("timestamp,segment_id,value,extra\n0,1,2,3\n", kind: .label, line: 1, column: 4, contains: "label file header has 4 cells")
}
