#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// REFERENCE IMPLEMENTATION (development only; to be replaced by SIMD polynomial kernels).

/// e^x, lane-wise.
@inlinable public func fastExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    var r = SIMD8<Float>(); for i in 0..<8 { r[i] = expf(x[i]) }; return r
}
/// 1 / (1 + e^-x), lane-wise.
@inlinable public func fastSigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> {
    var r = SIMD8<Float>(); for i in 0..<8 { r[i] = 1 / (1 + expf(-x[i])) }; return r
}
/// tanh(x), lane-wise.
@inlinable public func fastTanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
    var r = SIMD8<Float>(); for i in 0..<8 { r[i] = tanhf(x[i]) }; return r
}
/// Scalar forms with the same accuracy as the vector ones (for tails of arrays).
@inlinable public func fastSigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }
@inlinable public func fastTanh(_ x: Float) -> Float { tanhf(x) }

/// In-place sigmoid over `count` floats.
public func sigmoidInPlace(_ p: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { p[i] = fastSigmoid(p[i]) }
}
/// In-place tanh over `count` floats.
public func tanhInPlace(_ p: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { p[i] = fastTanh(p[i]) }
}
