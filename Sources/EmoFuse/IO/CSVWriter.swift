/// Builds CSV text in a byte buffer, fast enough for gigabyte-sized feature files.
///
/// Numbers written by ``appendFloat(_:)`` use the fewest significant digits (at most 9) that
/// parse back to the same `Float` bit pattern (round-trip exact); ``appendFloat(_:significantDigits:)``
/// rounds to a fixed number of significant digits instead (smaller files, e.g. 7 for synthetic
/// features). Both drop trailing zeros, use plain notation for decimal exponents −5…8
/// (`0.000123`, `1234.5`) and `1.5e-07` / `3.4e+38` outside it, write `-0` for negative zero and
/// `inf`/`-inf` for infinities. A NaN is written as an empty cell (how the MuSe package marks a
/// missing value). Call ``bytes`` and hand them to ``AtomicFile``.
public struct CSVWriter {
    public private(set) var bytes: [UInt8] = []
    private var fieldsInRow = 0

    public init(reservingCapacity capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    /// Appends a header row or any row of text fields (no quoting: names must not contain commas).
    public mutating func appendRow(_ fields: [String]) {
        for f in fields { appendField(f) }
        endRow()
    }

    public mutating func appendField(_ text: String) {
        separator()
        bytes.append(contentsOf: text.utf8)
    }

    public mutating func appendInt(_ value: Int64) {
        separator()
        appendFormatted(maxBytes: 20) { FloatText.writeInt(value, to: $0) }
    }

    /// Appends `value` in its shortest round-trip form (≤ 9 significant digits); NaN → empty cell.
    public mutating func appendFloat(_ value: Float) {
        separator()
        if value.isNaN { return }
        appendFormatted(maxBytes: FloatText.maxBytes) { out in
            FloatText.pow10.withUnsafeBufferPointer { FloatText.write(value, digits: 0, to: out, pow10: $0) }
        }
    }

    /// Appends `value` rounded to `significantDigits` (1…9) significant digits, trailing zeros
    /// dropped; NaN → empty cell. With 9 digits every `Float` round-trips; 7 keeps a relative
    /// error below 5e-7.
    public mutating func appendFloat(_ value: Float, significantDigits: Int) {
        precondition((1...9).contains(significantDigits), "CSVWriter: significantDigits must be 1...9")
        separator()
        if value.isNaN { return }
        appendFormatted(maxBytes: FloatText.maxBytes) { out in
            FloatText.pow10.withUnsafeBufferPointer {
                FloatText.write(value, digits: significantDigits, to: out, pow10: $0)
            }
        }
    }

    /// Appends `values.count` fields at once (the fast path for feature rows): shortest
    /// round-trip form when `significantDigits` is nil, else that many significant digits (1…9).
    /// NaN → empty cell.
    public mutating func appendFloats(_ values: UnsafeBufferPointer<Float>, significantDigits: Int? = nil) {
        let n = values.count
        guard n > 0, let src = values.baseAddress else { return }
        let digits = significantDigits ?? 0
        precondition((0...9).contains(digits), "CSVWriter: significantDigits must be 1...9")
        let leadingComma = fieldsInRow > 0 ? 1 : 0
        fieldsInRow += n
        appendFormatted(maxBytes: n * (FloatText.maxBytes + 1)) { out in
            FloatText.pow10.withUnsafeBufferPointer { table in
                var p = 0
                for i in 0..<n {
                    if i > 0 || leadingComma == 1 { out[p] = UInt8(ascii: ","); p &+= 1 }
                    let v = src[i]
                    if !v.isNaN { p &+= FloatText.write(v, digits: digits, to: out + p, pow10: table) }
                }
                return p
            }
        }
    }

    public mutating func endRow() {
        bytes.append(UInt8(ascii: "\n"))
        fieldsInRow = 0
    }

    @inline(__always) private mutating func separator() {
        if fieldsInRow > 0 { bytes.append(UInt8(ascii: ",")) }
        fieldsInRow += 1
    }

    /// Grows `bytes` by `maxBytes`, lets `body` write into the new tail and returns how many
    /// bytes it used; the unused rest is removed again.
    @inline(__always)
    private mutating func appendFormatted(maxBytes: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: maxBytes))
        let used = bytes.withUnsafeMutableBufferPointer { body($0.baseAddress! + start) }
        bytes.removeLast(maxBytes - used)
    }
}

/// Decimal text for floats and integers, written into caller-provided memory.
///
/// The decimal digits come from `Double` arithmetic: `|v| · 10^(k−1−e)` rounded to an integer.
/// For a `Float` the error of that product (≈1e-16 relative) is far below the spacing of
/// `Float`s (≥ 6e-8 relative), and a candidate is only accepted as round-trip exact if it lies
/// inside the rounding interval of `v` by a safety margin (exactly, ties included, when the
/// candidate is an integer below 2^53), so accepted output always parses back to `v`. Nine
/// digits always round-trip (their rounding error is ≤ 5e-9 relative). The result is the
/// shortest form except, rarely, one digit more for a tie above 2^53.
enum FloatText {
    /// Longest output: `-1.2345678e-45` is 14 bytes; 24 leaves room.
    static let maxBytes = 24
    static let minExponent = -64
    /// `pow10[i] == 10^(i + minExponent)`, each the nearest `Double`.
    static let pow10: [Double] = (-64...64).map { Double("1e\($0)")! }

    /// 10^k for k in 0...9 (a lookup, no lazily initialised global).
    @inline(__always)
    private static func intPow10(_ k: Int) -> UInt64 {
        switch k {
        case 0: return 1
        case 1: return 10
        case 2: return 100
        case 3: return 1_000
        case 4: return 10_000
        case 5: return 100_000
        case 6: return 1_000_000
        case 7: return 10_000_000
        case 8: return 100_000_000
        default: return 1_000_000_000
        }
    }

    /// Writes `value` (not NaN) with `digits` significant digits (1…9), or the fewest that
    /// round-trip when `digits` is 0. Returns the number of bytes written (≤ `maxBytes`).
    @inline(__always)
    static func write(_ value: Float, digits: Int, to out: UnsafeMutablePointer<UInt8>,
                      pow10: UnsafeBufferPointer<Double>) -> Int {
        var p = 0
        if value.sign == .minus { out[0] = UInt8(ascii: "-"); p = 1 }
        let mag = value.magnitude
        if mag == 0 { out[p] = UInt8(ascii: "0"); return p + 1 }
        if mag.isInfinite {
            out[p] = UInt8(ascii: "i"); out[p + 1] = UInt8(ascii: "n"); out[p + 2] = UInt8(ascii: "f")
            return p + 3
        }
        let table = pow10.baseAddress! - minExponent   // table[k] == 10^k
        let d = Double(mag)
        // Decimal exponent e with 10^e <= d < 10^(e+1).
        let e2 = Int(truncatingIfNeeded: (d.bitPattern >> 52) & 0x7FF) &- 1023   // d is normal
        var e = (e2 &* 78_913) >> 18                                              // ⌊e2·log10(2)⌋ ± 1
        while d >= table[e + 1] { e += 1 }
        while d < table[e] { e -= 1 }

        var mantissa: UInt64 = 0, count = 0, exp10 = e
        if digits > 0 {
            (mantissa, exp10) = rounded(d, e: e, digits: digits, table: table)
            count = digits
        } else {
            // Smallest digit count that round-trips (monotone in the count: binary search).
            let up = Double(mag.nextUp), down = Double(mag.nextDown)
            let hiGap = up.isInfinite ? (d - down) * 0.5 : (up - d) * 0.5
            let loGap = (d - down) * 0.5
            let margin = d * 0x1p-50
            var lo = 1, hi = 9
            (mantissa, exp10) = rounded(d, e: e, digits: 9, table: table)
            count = 9
            while lo < hi {
                let k = (lo + hi) / 2
                let (m, x) = rounded(d, e: e, digits: k, table: table)
                let back = Double(m) * table[x - k + 1]
                let ok: Bool
                if x - k + 1 >= 0 && back < 0x1p53 {
                    // An integer below 2^53: `back` and the gaps are exact, so a tie can be
                    // decided as the parser does (to the even significand).
                    let even = mag.bitPattern & 1 == 0
                    ok = back >= d ? (back - d < hiGap || (back - d == hiGap && even))
                                   : (d - back < loGap || (d - back == loGap && even))
                } else {
                    ok = back >= d ? back - d < hiGap - margin : d - back < loGap - margin
                }
                if ok { hi = k; mantissa = m; exp10 = x; count = k } else { lo = k + 1 }
            }
        }
        // Drop trailing zeros.
        while count > 1 && mantissa % 10 == 0 { mantissa /= 10; count -= 1 }
        // Layout: where digit 0 goes, and after which digit a decimal point sits (if any).
        var first = p, pointAfter = Int.max, tail = 0
        if exp10 >= 0 && exp10 <= 8 {
            if exp10 >= count - 1 {
                tail = exp10 - count + 1                                    // trailing zeros
            } else {
                pointAfter = exp10
            }
        } else if exp10 < 0 && exp10 >= -5 {
            out[p] = 48; out[p + 1] = UInt8(ascii: ".")
            first = p + 2
            for z in 0..<(-exp10 - 1) { out[first + z] = 48 }
            first += -exp10 - 1
        } else if count > 1 {
            pointAfter = 0
        }
        // Digits right to left, straight into place.
        var m = mantissa
        var j = count
        while j > 0 {
            j -= 1
            out[first + j + (j > pointAfter ? 1 : 0)] = UInt8(truncatingIfNeeded: m % 10) &+ 48
            m /= 10
        }
        if pointAfter != Int.max { out[first + pointAfter + 1] = UInt8(ascii: ".") }
        p = first + count + (pointAfter != Int.max ? 1 : 0)
        for _ in 0..<tail { out[p] = 48; p += 1 }
        if !(exp10 >= -5 && exp10 <= 8) {
            out[p] = UInt8(ascii: "e")
            out[p + 1] = exp10 < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+")
            let a = exp10.magnitude
            out[p + 2] = UInt8(truncatingIfNeeded: a / 10) &+ 48
            out[p + 3] = UInt8(truncatingIfNeeded: a % 10) &+ 48
            p += 4
        }
        return p
    }

    /// `d` rounded to `digits` significant digits: mantissa (exactly `digits` digits) and the
    /// decimal exponent of its first digit (one more than `e` when rounding carried to 10^(e+1)).
    @inline(__always)
    private static func rounded(_ d: Double, e: Int, digits: Int,
                                table: UnsafePointer<Double>) -> (UInt64, Int) {
        // 0 <= scaled < ~10^9 < 2^52: adding and removing 2^52 rounds to nearest, ties to even.
        let scaled = d * table[digits - 1 - e]
        let m = UInt64((scaled + 0x1p52) - 0x1p52)
        let low = intPow10(digits - 1), limit = low &* 10
        if m >= limit { return (low, e + 1) }
        if m < low { return (low, e) }   // guard against an exponent estimate one too high
        return (m, e)
    }

    /// Writes the decimal form of `value`; returns the byte count (≤ 20).
    @inline(__always)
    static func writeInt(_ value: Int64, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var p = 0
        if value < 0 { out[0] = UInt8(ascii: "-"); p = 1 }
        var m = value.magnitude
        var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)
        return withUnsafeMutableBytes(of: &tmp) { raw -> Int in
            let buf = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var n = 0
            repeat { buf[n] = UInt8(truncatingIfNeeded: m % 10) &+ 48; m /= 10; n += 1 } while m > 0
            while n > 0 { n -= 1; out[p] = buf[n]; p += 1 }
            return p
        }
    }
}
