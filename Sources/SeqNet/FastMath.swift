// Vectorised exp, sigmoid and tanh for the recurrent cells: SIMD polynomial approximations with
// FMA, 8 lanes at a time (one ymm register with AVX2). They never call libm, saturate cleanly for
// large |x| and propagate NaN; sigmoid and tanh never form subnormal or infinite intermediates.
//
// Accuracy (FastMathTests, against Double on dense grids):
// - fastExp: relative error 8.3e-8 (test bound 3e-7) for x ∈ [-87.3, 88.7], where e^x is a
//   normal float; 0 below -87.34; +inf above 88.73.
// - fastSigmoid: absolute error 8.9e-8, relative 1.5e-7 on [-20, 20]; exactly 1 for x ≥ 17,
//   in [0, 2e-35] for x ≤ -80.
// - fastTanh: absolute error 2.7e-7 on [-20, 20] (largest at the clamp, |x| ≈ 7.9), relative
//   2.6e-7 near 0; odd; ±(1 - 2.7e-7) beyond the clamp.
//
// Clamps are written as `x.replacing(with: bound, where: x .> bound)` (one `vminps`/`vmaxps` with
// the operand order that keeps a NaN `x`), never as the generic `clamped`/`pointwiseMin`, which
// may stay out of line (see the performance notes).

/// `x` limited to `[lo, hi]`; NaN stays NaN.
@inlinable @inline(__always)
func clampKeepingNaN(_ x: SIMD8<Float>, _ lo: Float, _ hi: Float) -> SIMD8<Float> {
    let upper = x.replacing(with: hi, where: x .> hi)
    return upper.replacing(with: lo, where: upper .< lo)
}

/// e^x for x already in [-87.34, 88.38] (so that 2ⁿ is a normal float with one exponent field).
/// Cephes `expf`: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 polynomial, 2ⁿ from bits.
@inlinable @inline(__always)
func expInNormalRange(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let (y, n) = expReduced(x)
    let scale = unsafeBitCast((n &+ 127) &<< 23, to: SIMD8<Float>.self)
    return y * scale
}

/// Splits e^x = y · 2ⁿ with y = e^r, r = x - n·ln2, n = round(x·log2 e). Valid for |x| < 2²¹.
@inlinable @inline(__always)
func expReduced(_ x: SIMD8<Float>) -> (y: SIMD8<Float>, n: SIMD8<Int32>) {
    typealias V = SIMD8<Float>
    // Round x·log2(e) to the nearest integer by adding 1.5·2²³ (the float's ulp there is 1).
    let magic = V(repeating: 12_582_912)
    let t = magic.addingProduct(x, V(repeating: 1.442_695_040_888_963_4))
    let nf = t - magic
    let n = unsafeBitCast(t, to: SIMD8<Int32>.self) &- Int32(0x4B40_0000)
    // r = x - n·ln2 in two steps (ln2 = 0.693359375 - 2.12194440e-4, the first part exact).
    var r = x.addingProduct(nf, V(repeating: -0.693_359_375))
    r = r.addingProduct(nf, V(repeating: 2.121_944_4e-4))
    var p = V(repeating: 1.398_199_950_7e-3).addingProduct(V(repeating: 1.987_569_150_0e-4), r)
    p = V(repeating: 8.333_451_907_3e-3).addingProduct(p, r)
    p = V(repeating: 4.166_579_589_4e-2).addingProduct(p, r)
    p = V(repeating: 1.666_666_545_9e-1).addingProduct(p, r)
    p = V(repeating: 5.000_000_120_1e-1).addingProduct(p, r)
    let y = r.addingProduct(p, r * r) + 1
    return (y, n)
}

/// e^x, lane-wise. Results below the normal range flush to 0 (x < -87.34); x > 88.73 gives +inf.
@inlinable @inline(__always)
public func fastExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    typealias V = SIMD8<Float>
    let xc = clampKeepingNaN(x, -87.336_55, 88.73)
    let (y, n) = expReduced(xc)
    // 2ⁿ as 2^(n/2) · 2^(n - n/2): n may be 128 near the top of the range.
    let half = n &>> 1
    let s1 = unsafeBitCast((half &+ 127) &<< 23, to: V.self)
    let s2 = unsafeBitCast((n &- half &+ 127) &<< 23, to: V.self)
    let e = y * s1 * s2
    return e.replacing(with: 0, where: x .< -87.336_55)
}

/// 1 / (1 + e^-x), lane-wise. The argument is limited to ±80 (where the result is within 2e-35
/// of 0 or is exactly 1), so no intermediate is subnormal or infinite.
@inlinable @inline(__always)
public func fastSigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let z = clampKeepingNaN(-x, -80, 80)
    return 1 / (1 + expInNormalRange(z))
}

/// tanh(x), lane-wise: odd rational approximation of degrees 13/6 on x clamped to ±7.9053
/// (coefficients as in Eigen's fast tanh).
@inlinable @inline(__always)
public func fastTanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
    typealias V = SIMD8<Float>
    let xc = clampKeepingNaN(x, -7.905_311_107_635_498, 7.905_311_107_635_498)
    let x2 = xc * xc
    var p = V(repeating: 2.000_187_904_824_77e-13).addingProduct(x2, V(repeating: -2.760_768_477_423_55e-16))
    p = V(repeating: -8.604_671_522_137_35e-11).addingProduct(p, x2)
    p = V(repeating: 5.122_297_090_371_14e-08).addingProduct(p, x2)
    p = V(repeating: 1.485_722_357_179_79e-05).addingProduct(p, x2)
    p = V(repeating: 6.372_619_288_754_36e-04).addingProduct(p, x2)
    p = V(repeating: 4.893_524_558_917_86e-03).addingProduct(p, x2)
    p = p * xc
    var q = V(repeating: 1.185_347_056_866_54e-04).addingProduct(x2, V(repeating: 1.198_258_394_667_02e-06))
    q = V(repeating: 2.268_434_632_439_00e-03).addingProduct(q, x2)
    q = V(repeating: 4.893_525_185_543_85e-03).addingProduct(q, x2)
    return p / q
}

/// Scalar forms computed by the vector code (identical results to a lane of the vector forms).
@inlinable public func fastExp(_ x: Float) -> Float { fastExp(SIMD8<Float>(repeating: x))[0] }
@inlinable public func fastSigmoid(_ x: Float) -> Float { fastSigmoid(SIMD8<Float>(repeating: x))[0] }
@inlinable public func fastTanh(_ x: Float) -> Float { fastTanh(SIMD8<Float>(repeating: x))[0] }

/// Applies `f` to `count` floats at `p` in place, 8 at a time; the tail goes through one
/// zero-padded vector, so every element gets exactly the vector result.
@inline(__always)
private func mapInPlace(_ p: UnsafeMutablePointer<Float>, count: Int,
                        _ f: (SIMD8<Float>) -> SIMD8<Float>) {
    let raw = UnsafeMutableRawPointer(p)
    var i = 0
    while i &+ 8 <= count {
        let v = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
        raw.storeBytes(of: f(v), toByteOffset: i &* 4, as: SIMD8<Float>.self)
        i &+= 8
    }
    if i < count {
        var v = SIMD8<Float>()
        let rest = count &- i
        for j in 0..<rest { v[j] = p[i &+ j] }
        let r = f(v)
        for j in 0..<rest { p[i &+ j] = r[j] }
    }
}

/// In-place sigmoid over `count` floats.
public func sigmoidInPlace(_ p: UnsafeMutablePointer<Float>, count: Int) {
    mapInPlace(p, count: count, fastSigmoid)
}
/// In-place tanh over `count` floats.
public func tanhInPlace(_ p: UnsafeMutablePointer<Float>, count: Int) {
    mapInPlace(p, count: count, fastTanh)
}
/// In-place e^x over `count` floats.
public func expInPlace(_ p: UnsafeMutablePointer<Float>, count: Int) {
    mapInPlace(p, count: count, fastExp)
}
