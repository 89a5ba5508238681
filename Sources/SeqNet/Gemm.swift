import Dispatch
#if arch(x86_64)
import SeqNetAVX512
#endif

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
/// - `threads`: rows (or, for short wide products, columns) of C are split across up to this many
///   threads when the product is large enough to pay (about 4·10⁶ multiply-adds; a 64×64×192
///   recurrent step stays on the caller's thread). Every element is computed by the same sequence
///   of operations whatever the split, so results do not depend on `threads`.
///
/// Any sizes (0 included) and leading dimensions are accepted. Implementation: 6×16 register tile of
/// `SIMD8<Float>` FMAs (on AVX-512 CPUs, full 6×32 blocks in one `SIMD16<Float>` tile, same bits:
/// `GemmKernels`) over k-blocks of at most 256 (512 or 1024 when C has ≥ 2¹⁹ elements and
/// k > `GemmPlan.shapeIndependentDepth`, 1024);
/// op(B) is packed into 16-wide panels, or read in place when it is not transposed, m ≤ 512 and
/// k·n ≤ 2¹⁸;
/// op(A) is read in place when not transposed or when C is small (m ≤ 512, n ≤ 128), packed
/// otherwise. Packing buffers are per thread and reused, so steady-state calls do not allocate.
public func gemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
                 a: UnsafePointer<Float>, lda: Int,
                 b: UnsafePointer<Float>, ldb: Int,
                 beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
                 threads: Int = 1) {
    gemm(transA, transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc,
         threads: threads, avx512: GemmKernels.useAVX512)
}

/// As the public `gemm`, with the micro-kernel chosen by the caller (`avx512` only where
/// `GemmKernels.cpuHasAVX512`): the tests compare the two kernels' bits.
func gemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
          a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
          beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int, avx512: Bool) {
    precondition(beta == 0 || beta == 1, "gemm: beta must be 0 or 1")
    precondition(m >= 0 && n >= 0 && k >= 0, "gemm: negative size m=\(m) n=\(n) k=\(k)")
    precondition(!avx512 || GemmKernels.cpuHasAVX512, "gemm: the AVX-512 kernel needs an AVX-512 CPU")
    if m == 0 || n == 0 { return }
    if k == 0 {
        if beta == 0 { zeroRows(c, ldc: ldc, m: m, n: n) }
        return
    }
    let op = GemmOperands(transA: transA, transB: transB, k: k, a: a, lda: lda, b: b, ldb: ldb,
                          packedB: nil, accumulate: beta != 0, c: c, ldc: ldc,
                          plan: GemmPlan(transA: transA, transB: transB, m: m, n: n, k: k), avx512: avx512)
    runSplit(op, m: m, n: n, threads: threads)
}

/// `C[m×n] = op(A)[m×k] · B + beta · C` with op(B) `[k×n]` pre-packed in `packedB`
/// (`k` and `n` are `packedB.k`, `packedB.n`). Same layouts, threading and determinism as
/// ``gemm(_:_:m:n:k:a:lda:b:ldb:beta:c:ldc:threads:)``; the result is bit-identical to it unless
/// C has ≥ 2¹⁹ elements and k > `GemmPlan.shapeIndependentDepth` (1024), where the unpacked call
/// uses deeper k-blocks.
public func gemm(_ transA: Transpose, m: Int, a: UnsafePointer<Float>, lda: Int,
                 packedB: GemmPackedB,
                 beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
                 threads: Int = 1) {
    precondition(beta == 0 || beta == 1, "gemm: beta must be 0 or 1")
    precondition(m >= 0, "gemm: negative size m=\(m)")
    let n = packedB.n, k = packedB.k
    if m == 0 || n == 0 { return }
    if k == 0 {
        if beta == 0 { zeroRows(c, ldc: ldc, m: m, n: n) }
        return
    }
    let op = GemmOperands(transA: transA, transB: packedB.transB, k: k, a: a, lda: lda,
                          b: packedB.storage.pointer, ldb: 16,
                          packedB: packedB, accumulate: beta != 0, c: c, ldc: ldc,
                          plan: GemmPlan(kc: packedB.blockDepth, nc: n, bInPlace: false),
                          avx512: GemmKernels.useAVX512)
    runSplit(op, m: m, n: n, threads: threads)
}

private func zeroRows(_ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, n: Int) {
    for i in 0..<m { (c + i &* ldc).update(repeating: 0, count: n) }
}

/// Blocking decisions, made once from the whole product's shape (never from a thread's share,
/// so every split performs the same arithmetic).
struct GemmPlan {
    /// Depth of a k-block.
    var kc: Int
    /// Columns of op(B) packed at a time (packed B stays within ~768 KiB, half of L2 plus).
    var nc: Int
    /// Whether op(B) panels are read where they are stored.
    var bInPlace: Bool
    /// Rows of a packed block of Aᵀ (a multiple of 6; the block stays within ~144 KiB).
    var mc: Int
    /// Whether op(A) = Aᵀ is read where it is stored (6 floats per k step at a stride of `lda`)
    /// instead of packed: for a small C (m ≤ 512, n ≤ 128) over a long k, the weight gradients
    /// of narrow layers, packing costs more than the few panels that reuse it save (measured
    /// `bench gemm`: 192×19200×64 +15%, 192×19200×89 +5%; 4097×19200×128 −22%, hence m ≤ 512).
    var aInPlace = false

    init(kc: Int, nc: Int, bInPlace: Bool) {
        self.kc = kc; self.nc = nc; self.bInPlace = bInPlace
        mc = GemmPlan.blockRows(kc: kc)
    }

    init(transA: Transpose, transB: Transpose, m: Int, n: Int, k: Int) {
        kc = GemmPlan.blockDepth(transA: transA, m: m, n: n, k: k)
        // In place only while B is small enough to stay in cache: its panels are read with a
        // row stride, which is slower to stream from memory than packing it row by row.
        bInPlace = transB == .none && m <= 512 && k &* n <= 1 << 18
        nc = bInPlace ? n : max(16, (196_608 / kc) / 16 * 16)
        mc = GemmPlan.blockRows(kc: kc)
        aInPlace = transA == .transposed && m <= 512 && n <= 128
    }

    static func blockRows(kc: Int) -> Int { min(240, max(6, (36_864 / kc) / 6 * 6)) }

    /// Up to this depth a product's k-blocks depend on k alone, so cutting its rows or columns
    /// into separate calls gives every element the same bits (deeper products of a large C use
    /// deeper blocks).
    static let shapeIndependentDepth = 1024

    /// k-block depth: k split into equal blocks of at most 256, or, when C is large (fewer passes
    /// over C) and k > 1024, of at most 1024 (512 when Aᵀ blocks are packed too, so that they
    /// and the packed B block share L2: measured +6–10% on 192×19200×4097 and 4097×19200×192).
    static func blockDepth(transA: Transpose, m: Int, n: Int, k: Int) -> Int {
        let large = m &* n >= 1 << 19 && k > shapeIndependentDepth
        let maxDepth = large ? (transA == .transposed ? 512 : 1024) : 256
        let blocks = (k &+ maxDepth &- 1) / maxDepth
        return (k &+ blocks &- 1) / blocks
    }
}

/// Everything one tile of work needs (pointers boxed for the worker threads).
struct GemmOperands: @unchecked Sendable {
    var transA: Transpose
    var transB: Transpose
    var k: Int
    var a: UnsafePointer<Float>
    var lda: Int
    var b: UnsafePointer<Float>
    var ldb: Int
    var packedB: GemmPackedB?
    var accumulate: Bool
    var c: UnsafeMutablePointer<Float>
    var ldc: Int
    var plan: GemmPlan
    /// Full 6×32 blocks go to the AVX-512 kernel (same bits as two 6×16 AVX2 tiles).
    var avx512: Bool
}

/// Splits C among threads when the product is big enough, and runs the tiles.
private func runSplit(_ op: GemmOperands, m: Int, n: Int, threads: Int) {
    let work = m &* n &* op.k
    let rowTiles = (m &+ 5) / 6, colPanels = (n &+ 15) / 16
    if threads > 1 && work >= 1 << 22 {
        if rowTiles >= 16 {
            // Rows, in whole 6-row tiles, at least 8 tiles (48 rows) per worker.
            let workers = min(threads, rowTiles / 8)
            let chunk = (rowTiles &+ workers &- 1) / workers &* 6
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let i0 = w &* chunk, i1 = min(m, i0 &+ chunk)
                if i0 < i1 { gemmTile(op, i0: i0, i1: i1, j0: 0, j1: n) }
            }
            return
        }
        if colPanels >= 4 {
            // Short, wide C: columns, in whole 16-column panels.
            let workers = min(threads, colPanels / 2)
            let chunk = (colPanels &+ workers &- 1) / workers &* 16
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let j0 = w &* chunk, j1 = min(n, j0 &+ chunk)
                if j0 < j1 { gemmTile(op, i0: 0, i1: m, j0: j0, j1: j1) }
            }
            return
        }
    }
    gemmTile(op, i0: 0, i1: m, j0: 0, j1: n)
}

/// Computes `C[i0..<i1, j0..<j1]`; `j0` is a multiple of 16.
private func gemmTile(_ op: GemmOperands, i0: Int, i1: Int, j0: Int, j1: Int) {
    let plan = op.plan, k = op.k
    let wide = op.avx512
    let packsB = op.packedB == nil && (!plan.bInPlace || (j1 &- j0) % 16 != 0)
    let scratch: GemmScratch? = packsB || op.transA == .transposed ? GemmScratch.current : nil
    var jc = j0
    while jc < j1 {
        let ncur = min(plan.nc, j1 &- jc)
        let panels = (ncur &+ 15) / 16
        var p0 = 0
        while p0 < k {
            let kcur = min(plan.kc, k &- p0)
            let accumulate = op.accumulate || p0 > 0
            // Where the B panels of this (k-block, column block) are.
            let bBase: UnsafePointer<Float>, bPanelStride: Int, bld: Int, fullPanels: Int
            var edge: UnsafePointer<Float> = op.b
            if let packed = op.packedB {
                bBase = UnsafePointer(packed.storage.pointer) + (p0 &* packed.panels &* 16 &+ (jc / 16) &* kcur &* 16)
                bPanelStride = kcur &* 16; bld = 16; fullPanels = panels
            } else if plan.bInPlace {
                bBase = op.b + (p0 &* op.ldb &+ jc)
                bPanelStride = 16; bld = op.ldb; fullPanels = ncur / 16
                if fullPanels < panels {
                    let buf = scratch.unsafelyUnwrapped.bBuffer(kcur &* 16)
                    packBPanels(op.transB, b: op.b, ldb: op.ldb, p0: p0, kc: kcur,
                                j0: jc &+ fullPanels &* 16, ncur: ncur &- fullPanels &* 16, dst: buf)
                    edge = UnsafePointer(buf)
                }
            } else {
                let buf = scratch.unsafelyUnwrapped.bBuffer(kcur &* panels &* 16)
                packBPanels(op.transB, b: op.b, ldb: op.ldb, p0: p0, kc: kcur, j0: jc, ncur: ncur, dst: buf)
                bBase = UnsafePointer(buf)
                bPanelStride = kcur &* 16; bld = 16; fullPanels = panels
            }
            // op(A) = Aᵀ is packed a block of `mc` rows at a time (reading mc contiguous floats
            // of each stored row) unless `plan.aInPlace`; op(A) = A is read in place.
            let aBlock: UnsafeMutablePointer<Float>? = op.transA == .transposed && !plan.aInPlace
                ? scratch.unsafelyUnwrapped.aBuffer(plan.mc &* kcur) : nil
            var ic = i0
            while ic < i1 {
                let mcur = aBlock == nil ? i1 &- ic : min(plan.mc, i1 &- ic)
                if let aBlock {
                    packATransposed(op.a, lda: op.lda, i0: ic, rows: mcur, p0: p0, kc: kcur, dst: aBlock)
                }
                var i = ic
                let iEnd = ic &+ mcur
                while i < iEnd {
                    let rows = min(6, iEnd &- i)
                    let aDesc = aBlock.map { KernelA(base: UnsafePointer($0 + (i &- ic) &* kcur), rowStride: 1, kStride: 6) }
                        ?? (op.transA == .transposed
                            ? KernelA(base: op.a + (p0 &* op.lda &+ i), rowStride: 1, kStride: op.lda)
                            : KernelA(base: op.a + (i &* op.lda &+ p0), rowStride: op.lda, kStride: 1))
                    let cRow = op.c + (i &* op.ldc &+ jc)
                    var jp = 0
                    while jp < panels {
                        #if arch(x86_64)
                        // Two full panels side by side for a full 6-row tile: the AVX-512 kernel
                        // (same per-element FMA chains, same bits).
                        if wide && rows == 6 && jp &+ 1 < fullPanels && (jp &+ 2) &* 16 <= ncur {
                            avx512Kernel6x32(kcur, aDesc.base, aDesc.rowStride, aDesc.kStride,
                                             bBase + jp &* bPanelStride, bBase + (jp &+ 1) &* bPanelStride,
                                             bld, cRow + jp &* 16, op.ldc, accumulate)
                            jp &+= 2
                            continue
                        }
                        #endif
                        let cols = min(16, ncur &- jp &* 16)
                        let full = jp < fullPanels
                        runMicroKernel(rows: rows, kc: kcur, a: aDesc,
                                       b: full ? bBase + jp &* bPanelStride : edge, ldb: full ? bld : 16,
                                       c: cRow + jp &* 16, ldc: op.ldc, cols: cols, accumulate: accumulate)
                        jp &+= 1
                    }
                    i &+= 6
                }
                ic = iEnd
            }
            p0 &+= kcur
        }
        jc &+= ncur
    }
}
