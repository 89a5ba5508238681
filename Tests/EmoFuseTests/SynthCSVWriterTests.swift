import Foundation
import Testing
@testable import EmoFuse

/// The float formatting of `CSVWriter` that the synthetic data (and every CSV the project
/// writes) depends on.
@Suite struct SynthCSVWriterTests {
    static func text(_ build: (inout CSVWriter) -> Void) -> String {
        var w = CSVWriter()
        build(&w)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    static func shortest(_ v: Float) -> String { text { $0.appendFloat(v) } }

    /// Significant digits of a decimal string (digits of the mantissa without leading and trailing zeros).
    static func significantDigits(_ s: String) -> Int {
        let mantissa = s.split(whereSeparator: { $0 == "e" || $0 == "E" })[0].filter(\.isNumber)
        let trimmed = mantissa.drop(while: { $0 == "0" })
        return max(1, trimmed.reversed().drop(while: { $0 == "0" }).count)
    }

    static let specials: [Float] = [
        0, 1, -1, 0.5, 0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3, 100, 123_456, 1e-5, 1e-6, 1.5e-7, 12_345_678,
        123_456_792, 1e9, 1e10, 3.4028235e38, -3.4028235e38, Float.leastNormalMagnitude,
        Float.leastNonzeroMagnitude, Float.leastNormalMagnitude.nextDown, 9.999999e-6, 0.000099999,
        999_999.94, 1e38, Float(bitPattern: 5), .pi, -.pi, 0.99999994, 1.0000001, 8_388_608, 16_777_216, 16_777_218,
    ]

    @Test func shortestFormRoundTripsEveryFloatAndIsAsShortAsSwifts() {
        var rng = RandomSource(seed: 17)
        var values = Self.specials
        for _ in 0..<100_000 {
            let v = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            if v.isFinite { values.append(v) }
        }
        for _ in 0..<20_000 { values.append(rng.uniform(-10, 10)) }     // typical feature values
        var longer = 0
        for v in values {
            let s = Self.shortest(v)
            guard let back = Float(s) else { Issue.record("\(v.bitPattern): '\(s)' does not parse"); continue }
            #expect(back.bitPattern == v.bitPattern, "\(v) written as '\(s)' reads back as \(back)")
            if Self.significantDigits(s) > Self.significantDigits(v.description) { longer += 1 }
        }
        #expect(longer == 0, "\(longer) values got more digits than Swift's shortest description")
    }

    @Test func fixedSignificantDigitsBoundTheError() {
        var rng = RandomSource(seed: 23)
        for digits in [3, 7, 9] {
            let bound = 0.5 * pow(10, Double(1 - digits)) + 1.2e-7
            for i in 0..<30_000 {
                let v = i < Self.specials.count ? Self.specials[i]
                    : Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
                if !v.isFinite { continue }
                let s = Self.text { $0.appendFloat(v, significantDigits: digits) }
                guard let back = Float(s) else { Issue.record("'\(s)' does not parse"); continue }
                #expect(Self.significantDigits(s) <= digits, "'\(s)' has more than \(digits) digits")
                if !v.isNormal { continue }    // subnormals: spacing too coarse for a relative bound
                let err = abs(Double(back) - Double(v)) / abs(Double(v))
                #expect(err <= bound, "\(v) with \(digits) digits: '\(s)', relative error \(err)")
                if digits == 9 { #expect(back.bitPattern == v.bitPattern) }
            }
        }
    }

    @Test func notationAndSpecialValues() {
        let cases: [(Float, String)] = [
            (0, "0"), (-0.0, "-0"), (1, "1"), (-2.5, "-2.5"), (0.5, "0.5"), (100, "100"),
            (1e-5, "0.00001"), (1.5e-7, "1.5e-07"), (123_456, "123456"), (1e9, "1e+09"),
            (3.4028235e38, "3.4028235e+38"), (Float.leastNonzeroMagnitude, "1e-45"),
            (0.1, "0.1"), (0.3, "0.3"), (.infinity, "inf"), (-.infinity, "-inf"),
        ]
        for (v, expected) in cases { #expect(Self.shortest(v) == expected, "\(v)") }
        #expect(Self.text { $0.appendFloat(1 / 3, significantDigits: 7) } == "0.3333333")
        #expect(Self.text { $0.appendFloat(2.5e-3, significantDigits: 7) } == "0.0025")
        #expect(Self.text { $0.appendFloat(999_999.94, significantDigits: 3) } == "1000000")
        #expect(Self.text { $0.appendFloat(-12_345.678, significantDigits: 4) } == "-12350")
        #expect(Self.text { $0.appendFloat(.nan, significantDigits: 7) } == "")
    }

    @Test func rowsIntegersAndEmptyCells() {
        let values: [Float] = [1.5, .nan, -2, 0.25]
        let s = Self.text { w in
            w.appendRow(["timestamp", "segment_id", "a", "b", "c", "d"])
            w.appendInt(500); w.appendInt(1)
            values.withUnsafeBufferPointer { w.appendFloats($0, significantDigits: 7) }
            w.endRow()
            values.withUnsafeBufferPointer { w.appendFloats($0) }
            w.appendFloat(.nan)
            w.endRow()
            w.appendInt(Int64.min); w.appendInt(0); w.appendInt(-7); w.appendInt(Int64.max); w.appendFloat(.nan)
            w.endRow()
        }
        #expect(s == "timestamp,segment_id,a,b,c,d\n500,1,1.5,,-2,0.25\n1.5,,-2,0.25,\n"
            + "-9223372036854775808,0,-7,9223372036854775807,\n")
    }
}
