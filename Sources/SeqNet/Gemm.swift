/// Whether a GEMM operand is used as stored or transposed.
public enum Transpose: Sendable {
    case none
    case transposed
}

/// `C[m×n] = op(A)[m×k] · op(B)[k×n] + beta · C`, all row-major, `beta` 0 or 1.
///
/// - `a`: `m×k` with row stride `lda` (or `k×m` when `transA == .transposed`).
/// - `b`: `k×n` with row stride `ldb` (or `n×k` when `transB == .transposed`).
/// - `c`: `m×n` with row stride `ldc`; with `beta == 0` its old contents are ignored.
/// - `threads`: rows of C are split across this many threads; every element is computed by
///   the same sequence of operations whatever the split, so results do not depend on it.
///
/// REFERENCE IMPLEMENTATION (development only, to be replaced by the SIMD kernel).
public func gemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
                 a: UnsafePointer<Float>, lda: Int,
                 b: UnsafePointer<Float>, ldb: Int,
                 beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
                 threads: Int = 1) {
    precondition(beta == 0 || beta == 1, "gemm: beta must be 0 or 1")
    for i in 0..<m {
        let crow = c + i * ldc
        if beta == 0 { crow.update(repeating: 0, count: n) }
        for p in 0..<k {
            let av = transA == .none ? a[i * lda + p] : a[p * lda + i]
            if transB == .none {
                let brow = b + p * ldb
                for j in 0..<n { crow[j] += av * brow[j] }
            } else {
                for j in 0..<n { crow[j] += av * b[j * ldb + p] }
            }
        }
    }
}
