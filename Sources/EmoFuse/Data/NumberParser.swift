#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Hand-written number parsing for CSV cells. A cell ends at ',', '\r', '\n' or the end of the buffer.
//
// Fast path (all cells the MuSe files, pandas and `Float.description` produce): optional sign, up to
// 19 significant digits, optional fraction and exponent. The digits form an integer `m < 2^64` and the
// value is `m × 10^e`. `Double(m)` and the tabled powers 10^±k (k ≤ 22) are within half an ulp, so
// one to three IEEE multiplications give a double within 3 ulps of the exact value (|e| ≤ 44).
// A Float has 29 fewer significand bits, so rounding that double to Float gives the correctly rounded
// Float unless the double lies within a few ulps of a midpoint between two floats: that case,
// subnormal floats, more digits, larger exponents and every other spelling go to `strtof` (correctly
// rounded) on a NUL-terminated copy. Tests compare bit patterns with `strtof`.

/// Powers of ten: entries 0…22 hold 10^0 … 10^22 (exact in Double), entries 23…45 hold the correctly
/// rounded 10^-0 … 10^-22. Immortal; read through a pointer in hot loops.
nonisolated(unsafe) let powersOfTen: UnsafePointer<Double> = {
    let p = UnsafeMutablePointer<Double>.allocate(capacity: 46)
    var v = 1.0
    for i in 0..<23 {
        p[i] = v
        p[23 + i] = strtod("1e-\(i)", nil)
        v *= 10
    }
    return UnsafePointer(p)
}()

/// Digits in `start..<end` (a mantissa with optional sign and '.') after the leading zeros.
@inline(never)
func significantDigits(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Int {
    var q = start
    while q < end && (q.pointee == 48 || q.pointee == 46) { q += 1 }
    var n = 0
    while q < end {
        if q.pointee != 46 { n += 1 }
        q += 1
    }
    return n
}

/// Appends the decimal digits at `q` to `mantissa` (wrapping), advancing `q` past them.
/// (An 8-bytes-at-a-time SWAR variant measured 10–20% slower on MuSe-like cells, so: bytes.)
@inline(__always)
func scanDigits(_ q: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, _ mantissa: inout UInt64) {
    while q < end {
        let d = q.pointee &- 48
        if d >= 10 { break }
        mantissa = mantissa &* 10 &+ UInt64(d)
        q += 1
    }
}

/// What a cell holds when the fast path could not decide.
enum SlowCell {
    case value(Float)
    case notNumber
    case notFinite
}

@inline(__always)
func isCellEnd(_ c: UInt8) -> Bool {
    c == 44 /* , */ || c == 10 /* \n */ || c == 13 /* \r */
}

/// Parses the Float cell at `p`. On return `p` points at the cell's terminator (or `end`).
/// An empty or `nan` cell gives NaN (missing). Returns nil when the cell is not a finite number;
/// then `p` is unchanged and `slowFloatCell` tells why.
@inline(__always)
func parseFloatCell(_ p: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>,
                    _ pow10: UnsafePointer<Double>) -> Float? {
    let negPow10 = pow10 + 23
    let start = p
    var q = p
    if q == end || isCellEnd(q.pointee) { return .nan }
    var negative = false
    let first = q.pointee
    if first == 45 /* - */ {
        negative = true
        q += 1
    } else if first == 43 /* + */ {
        q += 1
    }
    // Digits accumulate with wrapping arithmetic: the result is exact when the cell has at most 19
    // significant digits (leading zeros add nothing), which is checked once after the loops.
    var mantissa: UInt64 = 0
    var exp10 = 0
    var fast = true
    let intStart = q
    scanDigits(&q, end, &mantissa)
    var digits = q - intStart
    if q < end && q.pointee == 46 /* . */ {
        q += 1
        let fracStart = q
        scanDigits(&q, end, &mantissa)
        let fracDigits = q - fracStart
        exp10 = -fracDigits
        digits &+= fracDigits
    }
    if digits > 19 && significantDigits(intStart, q) > 19 { fast = false }
    if fast && digits > 0 && q < end && (q.pointee | 0x20) == 101 /* e */ {
        q += 1
        var expNegative = false
        if q < end && (q.pointee == 45 || q.pointee == 43) {
            expNegative = q.pointee == 45
            q += 1
        }
        var e = 0
        var expDigits = 0
        while q < end {
            let d = q.pointee &- 48
            if d >= 10 { break }
            if expDigits < 6 { e = e &* 10 &+ Int(d) }
            expDigits &+= 1
            q += 1
        }
        if expDigits == 0 || expDigits > 5 { fast = false }
        exp10 = expNegative ? exp10 &- e : exp10 &+ e
    }
    if fast && digits > 0 && (q == end || isCellEnd(q.pointee)) {
        if mantissa == 0 {
            p = q
            return negative ? -0.0 : 0.0
        }
        // m < 10^19 < 2^64 rounds to Double within half an ulp; 10^k (0 ≤ k ≤ 22) is exact, 10^-k
        // within half an ulp; each of at most two multiplies adds half an ulp: `d` is within 3 ulps
        // (double) of m × 10^e.
        var d = Double(mantissa)
        var inRange = true
        if exp10 < 0 {
            if exp10 >= -22 {
                d = d * negPow10[-exp10]
            } else if exp10 >= -44 {
                d = d * negPow10[22] * negPow10[-exp10 &- 22]
            } else {
                inRange = false
            }
        } else if exp10 > 0 {
            if exp10 <= 22 {
                d = d * pow10[exp10]
            } else if exp10 <= 44 {
                d = d * pow10[22] * pow10[exp10 &- 22]
            } else {
                inRange = false
            }
        }
        // Rounding d to Float is then correct unless d lies within a few ulps of a midpoint between
        // two floats (the low 29 bits of a double's significand near 0x1000_0000); those, the
        // subnormal range and overflow go the slow way.
        let offMidpoint = Int64(d.bitPattern & 0x1FFF_FFFF) &- 0x1000_0000
        if inRange && (offMidpoint > 8 || offMidpoint < -8)
            && d >= 1.1754943508222875e-38 && d < 3.4028234663852886e+38 {
            p = q
            let f = Float(d)
            return negative ? -f : f
        }
    }
    switch slowFloatCell(start, end) {
    case .value(let v):
        var r = start
        while r < end && !isCellEnd(r.pointee) { r += 1 }
        p = r
        return v
    case .notNumber, .notFinite:
        return nil
    }
}

/// The cell starting at `start`, as raw bytes (without its terminator).
@inline(__always)
func cellBytes(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
    var r = start
    while r < end && !isCellEnd(r.pointee) { r += 1 }
    return UnsafeBufferPointer(start: start, count: r - start)
}

/// The cell with surrounding spaces/tabs and one pair of double quotes removed.
func trimmedCell(_ cell: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
    guard var lo = cell.baseAddress else { return cell }
    var hi = lo + cell.count
    while lo < hi && (lo.pointee == 32 || lo.pointee == 9) { lo += 1 }
    while hi > lo && ((hi - 1).pointee == 32 || (hi - 1).pointee == 9) { hi -= 1 }
    if hi - lo >= 2 && lo.pointee == 34 && (hi - 1).pointee == 34 {
        lo += 1
        hi -= 1
        while lo < hi && (lo.pointee == 32 || lo.pointee == 9) { lo += 1 }
        while hi > lo && ((hi - 1).pointee == 32 || (hi - 1).pointee == 9) { hi -= 1 }
    }
    return UnsafeBufferPointer(start: lo, count: hi - lo)
}

/// True for `nan`, `-nan`, `+nan` in any letter case.
func isNaNToken(_ t: UnsafeBufferPointer<UInt8>) -> Bool {
    var n = t.count
    var i = 0
    if n == 4, t[0] == 45 || t[0] == 43 { i = 1; n = 3 }
    guard n == 3 else { return false }
    return (t[i] | 0x20) == 110 && (t[i + 1] | 0x20) == 97 && (t[i + 2] | 0x20) == 110
}

/// Every spelling the fast path leaves: spaces, quotes, nan tokens, long mantissas, big exponents,
/// midpoints, subnormals, hex floats. Uses `strtof` (correctly rounded) on a NUL-terminated copy.
@inline(never)
func slowFloatCell(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> SlowCell {
    let cell = trimmedCell(cellBytes(start, end))
    if cell.count == 0 || isNaNToken(cell) { return .value(.nan) }
    // Only characters a number can contain; strtof would otherwise accept e.g. "inf" or "0x1p3junk" prefixes.
    for c in cell {
        let ok = (c >= 48 && c <= 57) || c == 43 || c == 45 || c == 46 || c == 101 || c == 69
            || c == 120 || c == 88 || c == 112 || c == 80 || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)
        if !ok { return .notNumber }
    }
    var buffer = [CChar](repeating: 0, count: cell.count + 1)
    for i in 0..<cell.count { buffer[i] = CChar(bitPattern: cell[i]) }
    return buffer.withUnsafeMutableBufferPointer { b -> SlowCell in
        var endPtr: UnsafeMutablePointer<CChar>? = nil
        let v = strtof(b.baseAddress!, &endPtr)
        guard let endPtr, endPtr - b.baseAddress! == cell.count, cell.count > 0 else { return .notNumber }
        if !v.isFinite { return .notFinite }
        return .value(v)
    }
}

/// Parses an integer cell (timestamp, segment id). Accepts an optional sign and digits, or any number
/// with an integral value (e.g. `500.0`). Returns nil for an empty, nan, non-numeric or fractional cell.
@inline(__always)
func parseIntegerCell(_ p: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Int64? {
    var q = p
    var negative = false
    if q < end && q.pointee == 45 { negative = true; q += 1 }
    var v: Int64 = 0
    var n = 0
    while q < end {
        let d = q.pointee &- 48
        if d >= 10 { break }
        v = v &* 10 &+ Int64(d)
        n &+= 1
        q += 1
    }
    if n > 0 && n <= 18 && (q == end || isCellEnd(q.pointee)) {
        p = q
        return negative ? -v : v
    }
    return slowIntegerCell(&p, end)
}

@inline(never)
func slowIntegerCell(_ p: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Int64? {
    let raw = cellBytes(p, end)
    let cell = trimmedCell(raw)
    if cell.count == 0 || isNaNToken(cell) { return nil }
    for c in cell {
        let ok = (c >= 48 && c <= 57) || c == 43 || c == 45 || c == 46 || c == 101 || c == 69
        if !ok { return nil }
    }
    var buffer = [CChar](repeating: 0, count: cell.count + 1)
    for i in 0..<cell.count { buffer[i] = CChar(bitPattern: cell[i]) }
    let result: Int64? = buffer.withUnsafeMutableBufferPointer { b in
        var endPtr: UnsafeMutablePointer<CChar>? = nil
        let v = strtod(b.baseAddress!, &endPtr)
        guard let endPtr, endPtr - b.baseAddress! == cell.count else { return nil }
        guard v.isFinite, v.rounded() == v, abs(v) < 9.0e15 else { return nil }
        return Int64(v)
    }
    if result != nil { p = raw.baseAddress! + raw.count }
    return result
}
