// Packing of GEMM operands into the layouts the micro-kernel streams.
//
// B panel: `kc × 16` floats, k-major (row p holds op(B)[p, j0 ..< j0+16]); columns past the edge of
// op(B) are zero. A panel: `kc × 6` floats, k-major (row p holds op(A)[i0 ..< i0+6, p]); rows past
// the edge are left as they are (the kernel for fewer rows never reads them).

/// Packs `ncur` columns of op(B) starting at column `j0`, rows `p0 ..< p0+kc`, into
/// `ceil(ncur/16)` consecutive `kc × 16` panels at `dst`.
///
/// - `b`: `k×n` row-major (`transB == .none`) or `n×k` row-major (`.transposed`), row stride `ldb`.
func packBPanels(_ transB: Transpose, b: UnsafePointer<Float>, ldb: Int,
                 p0: Int, kc: Int, j0: Int, ncur: Int, dst: UnsafeMutablePointer<Float>) {
    var jp = 0
    var out = dst
    while jp < ncur {
        let cols = min(16, ncur &- jp)
        if transB == .none {
            packBPanelRows(b + (p0 &* ldb &+ j0 &+ jp), ldb: ldb, kc: kc, cols: cols, dst: out)
        } else {
            packBPanelColumns(b + ((j0 &+ jp) &* ldb &+ p0), ldb: ldb, kc: kc, cols: cols, dst: out)
        }
        out += kc &* 16
        jp &+= 16
    }
}

/// One panel from row-major op(B): row p of the panel is `src[p*ldb ..< p*ldb+cols]`.
@inline(__always)
private func packBPanelRows(_ src: UnsafePointer<Float>, ldb: Int, kc: Int, cols: Int,
                            dst: UnsafeMutablePointer<Float>) {
    typealias V = SIMD8<Float>
    let out = UnsafeMutableRawPointer(dst)
    if cols == 16 {
        var s = UnsafeRawPointer(src)
        let step = ldb &* 4
        var p = 0
        while p < kc {
            out.storeBytes(of: s.loadUnaligned(fromByteOffset: 0, as: V.self), toByteOffset: p &* 64, as: V.self)
            out.storeBytes(of: s.loadUnaligned(fromByteOffset: 32, as: V.self), toByteOffset: p &* 64 &+ 32, as: V.self)
            s += step
            p &+= 1
        }
    } else {
        var p = 0
        while p < kc {
            let row = dst + p &* 16
            let s = src + p &* ldb
            var j = 0
            while j < cols { row[j] = s[j]; j &+= 1 }
            while j < 16 { row[j] = 0; j &+= 1 }
            p &+= 1
        }
    }
}

/// One panel from transposed op(B) (stored `n×k`): column j of the panel is `src[j*ldb ..< j*ldb+kc]`.
@inline(__always)
private func packBPanelColumns(_ src: UnsafePointer<Float>, ldb: Int, kc: Int, cols: Int,
                               dst: UnsafeMutablePointer<Float>) {
    // Column by column: reads are sequential, writes go to stride 16 (the panel stays in L1).
    var j = 0
    while j < cols {
        let s = src + j &* ldb
        var p = 0
        while p < kc {
            dst[p &* 16 &+ j] = s[p]
            p &+= 1
        }
        j &+= 1
    }
    if cols < 16 {
        var p = 0
        while p < kc {
            let row = dst + p &* 16
            var jj = cols
            while jj < 16 { row[jj] = 0; jj &+= 1 }
            p &+= 1
        }
    }
}

/// Packs rows `i0 ..< i0+rows` (rows ≤ 6), k range `p0 ..< p0+kc` of op(A) = Aᵀ, with A stored
/// `k×m` row-major (row stride `lda`), into a `kc × 6` panel at `dst`.
@inline(__always)
func packATransposed(_ a: UnsafePointer<Float>, lda: Int, i0: Int, rows: Int, p0: Int, kc: Int,
                     dst: UnsafeMutablePointer<Float>) {
    var s = a + (p0 &* lda &+ i0)
    var d = dst
    if rows == 6 {
        var p = 0
        while p < kc {
            d[0] = s[0]; d[1] = s[1]; d[2] = s[2]; d[3] = s[3]; d[4] = s[4]; d[5] = s[5]
            s += lda; d += 6
            p &+= 1
        }
    } else {
        var p = 0
        while p < kc {
            var r = 0
            while r < rows { d[r] = s[r]; r &+= 1 }
            s += lda; d += 6
            p &+= 1
        }
    }
}

/// Packs rows `i0 ..< i0+rows` (rows ≤ 6), k range `p0 ..< p0+kc` of row-major op(A) = A
/// (row stride `lda`) into a `kc × 6` panel at `dst`.
@inline(__always)
func packARows(_ a: UnsafePointer<Float>, lda: Int, i0: Int, rows: Int, p0: Int, kc: Int,
               dst: UnsafeMutablePointer<Float>) {
    var r = 0
    while r < rows {
        let s = a + ((i0 &+ r) &* lda &+ p0)
        var p = 0
        while p < kc { dst[p &* 6 &+ r] = s[p]; p &+= 1 }
        r &+= 1
    }
}
