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
    if transB == .none {
        packBRows(b + (p0 &* ldb &+ j0), ldb: ldb, kc: kc, ncur: ncur, dst: dst)
        return
    }
    var jp = 0
    var out = dst
    while jp < ncur {
        let cols = min(16, ncur &- jp)
        packBPanelColumns(b + ((j0 &+ jp) &* ldb &+ p0), ldb: ldb, kc: kc, cols: cols, dst: out)
        out += kc &* 16
        jp &+= 16
    }
}

/// Panels from row-major op(B), one source row at a time (sequential reads, which the hardware
/// prefetchers follow even when B comes from memory): row p of panel q is
/// `src[p*ldb + 16q ..< p*ldb + 16q + 16]`.
@inline(__always)
private func packBRows(_ src: UnsafePointer<Float>, ldb: Int, kc: Int, ncur: Int,
                       dst: UnsafeMutablePointer<Float>) {
    typealias V = SIMD8<Float>
    let fullPanels = ncur / 16, rest = ncur &- fullPanels &* 16
    let panelBytes = kc &* 64
    var p = 0
    while p < kc {
        let s = UnsafeRawPointer(src + p &* ldb)
        var d = UnsafeMutableRawPointer(dst + p &* 16)
        var q = 0
        while q < fullPanels {
            d.storeBytes(of: s.loadUnaligned(fromByteOffset: q &* 64, as: V.self), toByteOffset: 0, as: V.self)
            d.storeBytes(of: s.loadUnaligned(fromByteOffset: q &* 64 &+ 32, as: V.self), toByteOffset: 32, as: V.self)
            d += panelBytes
            q &+= 1
        }
        if rest > 0 {
            let t = src + (p &* ldb &+ fullPanels &* 16)
            let row = d.assumingMemoryBound(to: Float.self)
            var j = 0
            while j < rest { row[j] = t[j]; j &+= 1 }
            while j < 16 { row[j] = 0; j &+= 1 }
        }
        p &+= 1
    }
}

/// One panel from transposed op(B) (stored `n×k`): column j of the panel is `src[j*ldb ..< j*ldb+kc]`.
@inline(__always)
private func packBPanelColumns(_ src: UnsafePointer<Float>, ldb: Int, kc: Int, cols: Int,
                               dst: UnsafeMutablePointer<Float>) {
    var p = 0
    if cols == 16 {
        // 8 k values × 16 columns at a time: two 8×8 register transposes.
        let rowBytes = ldb &* 4
        while p &+ 8 <= kc {
            let s = UnsafeRawPointer(src + p)
            let o = UnsafeMutableRawPointer(dst + p &* 16)
            transposeBlock8x8(s, rowBytes, o)
            transposeBlock8x8(s + rowBytes &* 8, rowBytes, o + 32)
            p &+= 8
        }
    }
    // Remaining k values (and narrow edge panels) one by one.
    while p < kc {
        let row = dst + p &* 16
        var j = 0
        while j < cols { row[j] = src[j &* ldb &+ p]; j &+= 1 }
        while j < 16 { row[j] = 0; j &+= 1 }
        p &+= 1
    }
}

/// 8×8 transpose of the rows v0…v7: three perfect unshuffles (the even lanes of each pair of
/// rows, then the odd lanes) rotate the 6-bit element index by 3, i.e. swap row and column.
/// Compiles to `vshufps` + `vpermpd` with AVX2.
@inline(__always)
private func transpose8x8(_ v0: inout SIMD8<Float>, _ v1: inout SIMD8<Float>,
                          _ v2: inout SIMD8<Float>, _ v3: inout SIMD8<Float>,
                          _ v4: inout SIMD8<Float>, _ v5: inout SIMD8<Float>,
                          _ v6: inout SIMD8<Float>, _ v7: inout SIMD8<Float>) {
    for _ in 0..<3 {
        let p0 = SIMD16(lowHalf: v0, highHalf: v1), p1 = SIMD16(lowHalf: v2, highHalf: v3)
        let p2 = SIMD16(lowHalf: v4, highHalf: v5), p3 = SIMD16(lowHalf: v6, highHalf: v7)
        v0 = p0.evenHalf; v1 = p1.evenHalf; v2 = p2.evenHalf; v3 = p3.evenHalf
        v4 = p0.oddHalf; v5 = p1.oddHalf; v6 = p2.oddHalf; v7 = p3.oddHalf
    }
}

/// Transposes 8 stored rows (row stride `rowBytes`) × 8 floats at `s` into 8 rows of stride 16
/// floats at `out`.
@inline(__always)
private func transposeBlock8x8(_ s: UnsafeRawPointer, _ rowBytes: Int, _ out: UnsafeMutableRawPointer) {
    var v0 = s.loadUnaligned(fromByteOffset: 0, as: SIMD8<Float>.self)
    var v1 = s.loadUnaligned(fromByteOffset: rowBytes, as: SIMD8<Float>.self)
    var v2 = s.loadUnaligned(fromByteOffset: rowBytes &* 2, as: SIMD8<Float>.self)
    var v3 = s.loadUnaligned(fromByteOffset: rowBytes &* 3, as: SIMD8<Float>.self)
    var v4 = s.loadUnaligned(fromByteOffset: rowBytes &* 4, as: SIMD8<Float>.self)
    var v5 = s.loadUnaligned(fromByteOffset: rowBytes &* 5, as: SIMD8<Float>.self)
    var v6 = s.loadUnaligned(fromByteOffset: rowBytes &* 6, as: SIMD8<Float>.self)
    var v7 = s.loadUnaligned(fromByteOffset: rowBytes &* 7, as: SIMD8<Float>.self)
    transpose8x8(&v0, &v1, &v2, &v3, &v4, &v5, &v6, &v7)
    out.storeBytes(of: v0, toByteOffset: 0, as: SIMD8<Float>.self)
    out.storeBytes(of: v1, toByteOffset: 64, as: SIMD8<Float>.self)
    out.storeBytes(of: v2, toByteOffset: 128, as: SIMD8<Float>.self)
    out.storeBytes(of: v3, toByteOffset: 192, as: SIMD8<Float>.self)
    out.storeBytes(of: v4, toByteOffset: 256, as: SIMD8<Float>.self)
    out.storeBytes(of: v5, toByteOffset: 320, as: SIMD8<Float>.self)
    out.storeBytes(of: v6, toByteOffset: 384, as: SIMD8<Float>.self)
    out.storeBytes(of: v7, toByteOffset: 448, as: SIMD8<Float>.self)
}

/// Packs rows `i0 ..< i0+rows`, k range `p0 ..< p0+kc` of op(A) = Aᵀ, with A stored `k×m`
/// row-major (row stride `lda`), into `ceil(rows/6)` consecutive `kc × 6` panels at `dst`
/// (panel q holds rows `i0+6q ..< i0+6q+6`; rows past `rows` in the last panel are not written).
@inline(__always)
func packATransposed(_ a: UnsafePointer<Float>, lda: Int, i0: Int, rows: Int, p0: Int, kc: Int,
                     dst: UnsafeMutablePointer<Float>) {
    let fullPanels = rows / 6, rest = rows &- fullPanels &* 6
    let panelStride = kc &* 6
    let src = a + (p0 &* lda &+ i0)
    // Panel by panel: each panel's kc × 6 floats are written contiguously (writing all panels
    // row by row instead stores 24 bytes at a time at a stride of kc·24 bytes, which the
    // store path handles far worse than the strided reads here).
    var q = 0
    while q < fullPanels {
        let d = UnsafeMutableRawPointer(dst + q &* panelStride)
        var s = UnsafeRawPointer(src + q &* 6)
        var p = 0
        while p < kc {
            d.storeBytes(of: s.loadUnaligned(as: SIMD4<Float>.self), toByteOffset: p &* 24, as: SIMD4<Float>.self)
            d.storeBytes(of: s.loadUnaligned(fromByteOffset: 16, as: SIMD2<Float>.self),
                         toByteOffset: p &* 24 &+ 16, as: SIMD2<Float>.self)
            s += lda &* 4
            p &+= 1
        }
        q &+= 1
    }
    if rest > 0 {
        let d = dst + fullPanels &* panelStride
        var p = 0
        while p < kc {
            let t = src + (p &* lda &+ fullPanels &* 6)
            var r = 0
            while r < rest { d[p &* 6 &+ r] = t[r]; r &+= 1 }
            p &+= 1
        }
    }
}
