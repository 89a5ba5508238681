/// op(B) `[k×n]` packed once into the panel layout of the GEMM micro-kernel, for products that
/// reuse the same B many times (a recurrent layer's `W_hh` or `W_hhᵀ` at every time step).
///
/// Layout: for each k-block of depth `blockDepth` (the last may be shorter) starting at row p0,
/// `ceil(n/16)` panels of `kcur × 16` floats, k-major, zero beyond column n; block p0 starts at
/// float `p0 · ceil(n/16) · 16`. Use with ``gemm(_:m:a:lda:packedB:beta:c:ldc:threads:)``.
/// After the source matrix changes (an optimizer step), call ``pack(from:ldb:)`` again.
public final class GemmPackedB: @unchecked Sendable {
    /// Whether the source is stored transposed (`n×k`) or as is (`k×n`).
    public let transB: Transpose
    /// Rows of op(B) (the shared dimension of the product).
    public let k: Int
    /// Columns of op(B) (columns of C).
    public let n: Int
    /// Depth of the k-blocks (what `gemm` uses for products with C under 2¹⁹ elements).
    let blockDepth: Int
    /// Number of 16-wide panels.
    let panels: Int
    /// Packed values, `k · panels · 16` floats.
    let storage: FloatBuffer

    /// Packs op(B) from `b`: `k×n` row-major with row stride `ldb` (`transB == .none`),
    /// or `n×k` row-major with row stride `ldb` (`.transposed`).
    public convenience init(_ transB: Transpose, k: Int, n: Int, b: UnsafePointer<Float>, ldb: Int) {
        self.init(transB, k: k, n: n, b: b, ldb: ldb, packing: true)
    }

    /// Allocates zeros of the right size; fill with ``pack(from:ldb:)``.
    public convenience init(_ transB: Transpose, k: Int, n: Int) {
        let zeros = FloatBuffer(count: 1)
        self.init(transB, k: k, n: n, b: zeros.pointer, ldb: 0, packing: false)
    }

    private init(_ transB: Transpose, k: Int, n: Int, b: UnsafePointer<Float>, ldb: Int, packing: Bool) {
        precondition(k >= 0 && n >= 0, "GemmPackedB: negative size k=\(k) n=\(n)")
        self.transB = transB
        self.k = k
        self.n = n
        blockDepth = k == 0 ? 1 : GemmPlan.blockDepth(transA: .none, m: 0, n: n, k: k)
        panels = (n + 15) / 16
        storage = FloatBuffer(count: k * panels * 16)
        if packing { pack(from: b, ldb: ldb) }
    }

    /// Re-packs from a source of the same shape and layout as given at initialisation.
    public func pack(from b: UnsafePointer<Float>, ldb: Int) {
        guard n > 0 else { return }
        var p0 = 0
        while p0 < k {
            let kcur = min(blockDepth, k - p0)
            packBPanels(transB, b: b, ldb: ldb, p0: p0, kc: kcur, j0: 0, ncur: n,
                        dst: storage.pointer + p0 * panels * 16)
            p0 += kcur
        }
    }
}
