import Testing
@testable import SeqNet
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A dense grid `lo, lo+step, …` (as Float) in a buffer.
private func grid(from lo: Double, to hi: Double, count: Int) -> FloatBuffer {
    let b = FloatBuffer(count: count)
    let step = (hi - lo) / Double(count - 1)
    for i in 0..<count { b[i] = Float(lo + Double(i) * step) }
    return b
}

/// Applies an in-place kernel to a copy of `x`.
private func apply(_ x: FloatBuffer, _ f: (UnsafeMutablePointer<Float>, Int) -> Void) -> FloatBuffer {
    let y = x.copy()
    f(y.pointer, y.count)
    return y
}

@Suite struct FastMathTests {
    @Test func expRelativeErrorInNormalRange() {
        let x = grid(from: -87.3, to: 88.7, count: 2_000_001)
        let y = apply(x) { expInPlace($0, count: $1) }
        var worst = 0.0
        for i in 0..<x.count {
            let ref = exp(Double(x[i]))
            worst = max(worst, abs(Double(y[i]) - ref) / ref)
        }
        #expect(worst <= 3e-7, "exp max relative error \(worst)")
    }

    @Test func expSpecialValues() {
        #expect(fastExp(Float(0)) == 1)
        #expect(fastExp(Float(-100)) == 0)
        #expect(fastExp(-Float.infinity) == 0)
        #expect(fastExp(Float(100)) == .infinity)
        #expect(fastExp(Float.infinity) == .infinity)
        #expect(fastExp(Float.nan).isNaN)
        // The top of the range stays finite and accurate (needs 2^128 split in two).
        let top = Double(fastExp(Float(88.7)))
        #expect(top.isFinite && abs(top - exp(Double(Float(88.7)))) / top < 3e-7)
    }

    @Test func sigmoidAbsoluteError() {
        let x = grid(from: -20, to: 20, count: 4_000_001)
        let y = apply(x) { sigmoidInPlace($0, count: $1) }
        var worstAbs = 0.0, worstRel = 0.0
        for i in 0..<x.count {
            let ref = 1 / (1 + exp(-Double(x[i])))
            let err = abs(Double(y[i]) - ref)
            worstAbs = max(worstAbs, err)
            worstRel = max(worstRel, err / ref)
        }
        #expect(worstAbs <= 2e-7, "sigmoid max abs error \(worstAbs)")
        #expect(worstRel <= 3e-7, "sigmoid max rel error \(worstRel)")
    }

    @Test func sigmoidSaturatesWithoutSurprises() {
        #expect(fastSigmoid(Float(100)) == 1)
        #expect(fastSigmoid(Float(17)) == 1)
        #expect(fastSigmoid(Float.infinity) == 1)
        let low = fastSigmoid(Float(-100))
        #expect(low >= 0 && low < 1e-30)
        #expect(fastSigmoid(-Float.infinity) >= 0 && fastSigmoid(-Float.infinity) < 1e-30)
        #expect(fastSigmoid(Float(0)) == 0.5)
        #expect(fastSigmoid(Float.nan).isNaN)
    }

    @Test func tanhAbsoluteError() {
        let x = grid(from: -20, to: 20, count: 4_000_001)
        let y = apply(x) { tanhInPlace($0, count: $1) }
        var worst = 0.0
        for i in 0..<x.count { worst = max(worst, abs(Double(y[i]) - tanh(Double(x[i])))) }
        #expect(worst <= 3e-7, "tanh max abs error \(worst)")
        // Near zero the error is also small relative to x.
        let small = grid(from: -0.01, to: 0.01, count: 20_001)
        let ys = apply(small) { tanhInPlace($0, count: $1) }
        var worstRel = 0.0
        for i in 0..<small.count where small[i] != 0 {
            let ref = tanh(Double(small[i]))
            worstRel = max(worstRel, abs(Double(ys[i]) - ref) / abs(ref))
        }
        #expect(worstRel <= 1e-6, "tanh max rel error near 0: \(worstRel)")
    }

    @Test func tanhSaturatesAndIsOdd() {
        for v: Float in [100, 8, .infinity] {
            #expect(abs(fastTanh(v) - 1) <= 3e-7 && fastTanh(v) <= 1)
            #expect(fastTanh(-v) == -fastTanh(v))
        }
        #expect(fastTanh(Float(0)) == 0)
        #expect(fastTanh(Float.nan).isNaN)
        for v: Float in [0.001, 0.3, 1.7, 5] { #expect(fastTanh(-v) == -fastTanh(v)) }
    }

    @Test func nanPropagatesInEveryLane() {
        var v = SIMD8<Float>(repeating: 0.5)
        v[3] = .nan
        for f in [fastExp, fastSigmoid, fastTanh] as [(SIMD8<Float>) -> SIMD8<Float>] {
            let r = f(v)
            for i in 0..<8 { #expect(r[i].isNaN == (i == 3)) }
        }
    }

    /// Array kernels give the scalar/vector result for every element, tails included.
    @Test func arrayKernelsMatchScalarForms() {
        var rng = RandomSource(seed: 5)
        for count in [0, 1, 7, 8, 9, 21] {
            let x = FloatBuffer(count: count)
            for i in 0..<count { x[i] = rng.uniform(-12, 12) }
            let s = apply(x) { sigmoidInPlace($0, count: $1) }
            let t = apply(x) { tanhInPlace($0, count: $1) }
            let e = apply(x) { expInPlace($0, count: $1) }
            for i in 0..<count {
                #expect(s[i] == fastSigmoid(x[i]))
                #expect(t[i] == fastTanh(x[i]))
                #expect(e[i] == fastExp(x[i]))
            }
        }
    }
}
