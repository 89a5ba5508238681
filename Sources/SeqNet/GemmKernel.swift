import Foundation

// The register-tile micro-kernel of `gemm`: C[rows×16] (+)= A[rows×kc] · B[kc×16].
//
// Written in portable Swift SIMD (`SIMD8<Float>`, `addingProduct`): with AVX2+FMA code generation
// (x86-64-v3) every `addingProduct` is one `vfmadd231ps ymm`, and the 12 accumulators of a 6×16
// tile, 2 B vectors and 1 broadcast fit the 16 ymm registers. On arm64 the same code becomes NEON.
//
// Every C element is the FMA chain `acc = fma(a[r,p], b[p,j], acc)` for p = 0, 1, … kc-1 starting
// from 0, then stored (`accumulate == false`) or added to C once. It does not depend on the
// tile, the row count or the thread that computes it: that is what makes results bit-identical
// for any thread split.

/// Tile width in columns (two `SIMD8<Float>`).
@usableFromInline let gemmNR = 16
/// Tile height in rows.
@usableFromInline let gemmMR = 6

/// Where the micro-kernel reads A: element (r, p) of the rows×kc block is at `base[r*rowStride + p*kStride]`.
/// Packed panels use (1, 6); row-major A read in place uses (lda, 1).
struct KernelA {
    var base: UnsafePointer<Float>
    var rowStride: Int
    var kStride: Int
}

/// The micro-kernel for a constant `rows` (1…6); inlined into one specialised function per row count
/// so the unused accumulators disappear.
///
/// - `b`: kc rows of 16 floats, row stride `ldb` (16 for a packed panel, the real ldb in place).
/// - `c`: rows×cols block of C with row stride `ldc`; `cols` 1…16 (only `cols` columns are written).
@inline(__always)
private func microKernel(_ rows: Int, _ kc: Int, _ a: KernelA,
                         _ b: UnsafePointer<Float>, _ ldb: Int,
                         _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ cols: Int, _ accumulate: Bool) {
    typealias V = SIMD8<Float>
    var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
    var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
    let rs = a.rowStride, ks = a.kStride
    let r1 = rs, r2 = rs &* 2, r3 = rs &* 3, r4 = rs &* 4, r5 = rs &* 5
    var ap = a.base
    var bp = UnsafeRawPointer(b)
    let bStep = ldb &* 4
    var p = 0
    while p < kc {
        let b0 = bp.loadUnaligned(fromByteOffset: 0, as: V.self)
        let b1 = bp.loadUnaligned(fromByteOffset: 32, as: V.self)
        let a0 = V(repeating: ap[0])
        c00 = c00.addingProduct(a0, b0); c01 = c01.addingProduct(a0, b1)
        if rows > 1 {
            let a1 = V(repeating: ap[r1])
            c10 = c10.addingProduct(a1, b0); c11 = c11.addingProduct(a1, b1)
        }
        if rows > 2 {
            let a2 = V(repeating: ap[r2])
            c20 = c20.addingProduct(a2, b0); c21 = c21.addingProduct(a2, b1)
        }
        if rows > 3 {
            let a3 = V(repeating: ap[r3])
            c30 = c30.addingProduct(a3, b0); c31 = c31.addingProduct(a3, b1)
        }
        if rows > 4 {
            let a4 = V(repeating: ap[r4])
            c40 = c40.addingProduct(a4, b0); c41 = c41.addingProduct(a4, b1)
        }
        if rows > 5 {
            let a5 = V(repeating: ap[r5])
            c50 = c50.addingProduct(a5, b0); c51 = c51.addingProduct(a5, b1)
        }
        ap += ks
        bp += bStep
        p &+= 1
    }
    storeRow(c00, c01, c, cols, accumulate)
    if rows > 1 { storeRow(c10, c11, c + ldc, cols, accumulate) }
    if rows > 2 { storeRow(c20, c21, c + ldc &* 2, cols, accumulate) }
    if rows > 3 { storeRow(c30, c31, c + ldc &* 3, cols, accumulate) }
    if rows > 4 { storeRow(c40, c41, c + ldc &* 4, cols, accumulate) }
    if rows > 5 { storeRow(c50, c51, c + ldc &* 5, cols, accumulate) }
}

/// Writes (or adds) the first `cols` of the 16 values `lo ++ hi` to `c`.
@inline(__always)
private func storeRow(_ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ c: UnsafeMutablePointer<Float>,
                      _ cols: Int, _ accumulate: Bool) {
    let raw = UnsafeMutableRawPointer(c)
    if cols == 16 {
        if accumulate {
            let o0 = raw.loadUnaligned(fromByteOffset: 0, as: SIMD8<Float>.self)
            let o1 = raw.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            raw.storeBytes(of: o0 + lo, toByteOffset: 0, as: SIMD8<Float>.self)
            raw.storeBytes(of: o1 + hi, toByteOffset: 32, as: SIMD8<Float>.self)
        } else {
            raw.storeBytes(of: lo, toByteOffset: 0, as: SIMD8<Float>.self)
            raw.storeBytes(of: hi, toByteOffset: 32, as: SIMD8<Float>.self)
        }
    } else {
        storePartialRow(lo, hi, c, cols, accumulate)
    }
}

/// Edge-column store (cols < 16), out of line to keep the kernels small.
@inline(never)
private func storePartialRow(_ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ c: UnsafeMutablePointer<Float>,
                             _ cols: Int, _ accumulate: Bool) {
    var j = 0
    while j < cols {
        let v = j < 8 ? lo[j] : hi[j &- 8]
        if accumulate { c[j] += v } else { c[j] = v }
        j &+= 1
    }
}

@inline(never) private func kernel6(_ kc: Int, _ a: KernelA, _ b: UnsafePointer<Float>, _ ldb: Int,
                                    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ cols: Int, _ acc: Bool) {
    microKernel(6, kc, a, b, ldb, c, ldc, cols, acc)
}
@inline(never) private func kernel5(_ kc: Int, _ a: KernelA, _ b: UnsafePointer<Float>, _ ldb: Int,
                                    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ cols: Int, _ acc: Bool) {
    microKernel(5, kc, a, b, ldb, c, ldc, cols, acc)
}
@inline(never) private func kernel4(_ kc: Int, _ a: KernelA, _ b: UnsafePointer<Float>, _ ldb: Int,
                                    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ cols: Int, _ acc: Bool) {
    microKernel(4, kc, a, b, ldb, c, ldc, cols, acc)
}
@inline(never) private func kernel3(_ kc: Int, _ a: KernelA, _ b: UnsafePointer<Float>, _ ldb: Int,
                                    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ cols: Int, _ acc: Bool) {
    microKernel(3, kc, a, b, ldb, c, ldc, cols, acc)
}
@inline(never) private func kernel2(_ kc: Int, _ a: KernelA, _ b: UnsafePointer<Float>, _ ldb: Int,
                                    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ cols: Int, _ acc: Bool) {
    microKernel(2, kc, a, b, ldb, c, ldc, cols, acc)
}
@inline(never) private func kernel1(_ kc: Int, _ a: KernelA, _ b: UnsafePointer<Float>, _ ldb: Int,
                                    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ cols: Int, _ acc: Bool) {
    microKernel(1, kc, a, b, ldb, c, ldc, cols, acc)
}

/// Runs the micro-kernel for `rows` (1…6) rows.
@inline(__always)
func runMicroKernel(rows: Int, kc: Int, a: KernelA, b: UnsafePointer<Float>, ldb: Int,
                    c: UnsafeMutablePointer<Float>, ldc: Int, cols: Int, accumulate: Bool) {
    switch rows {
    case 6: kernel6(kc, a, b, ldb, c, ldc, cols, accumulate)
    case 5: kernel5(kc, a, b, ldb, c, ldc, cols, accumulate)
    case 4: kernel4(kc, a, b, ldb, c, ldc, cols, accumulate)
    case 3: kernel3(kc, a, b, ldb, c, ldc, cols, accumulate)
    case 2: kernel2(kc, a, b, ldb, c, ldc, cols, accumulate)
    default: kernel1(kc, a, b, ldb, c, ldc, cols, accumulate)
    }
}

/// Which micro-kernels `gemm` runs.
public enum GemmKernels {
    /// Whether this CPU runs AVX-512 (Linux on x86-64: `avx512f` among the flags of
    /// /proc/cpuinfo, which the kernel lists only when it also saves the AVX-512 state).
    public static let cpuHasAVX512: Bool = {
        #if arch(x86_64) && os(Linux)
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
        return flags.split(separator: " ").contains("avx512f")
        #else
        return false
        #endif
    }()

    /// Whether full 6×32 blocks go to the AVX-512 kernel (`SeqNetAVX512`) rather than two calls
    /// of the 6×16 AVX2 kernel. Both compute every element by the same FMA chain, so results are
    /// bit-identical either way. On where the CPU has AVX-512, unless the environment variable
    /// `EMOFUSE_GEMM_KERNEL=avx2` turns it off (to measure the difference).
    public static let useAVX512: Bool =
        cpuHasAVX512 && ProcessInfo.processInfo.environment["EMOFUSE_GEMM_KERNEL"] != "avx2"
}
