// The AVX-512 micro-kernel of SeqNet's GEMM, in its own target because it is compiled for
// x86-64-v4 (AVX-512) while the engine is compiled for x86-64-v3 (AVX2 + FMA): SeqNet calls it
// only after checking that the CPU has AVX-512 (`GemmKernels.useAVX512` in SeqNet).
//
// It computes what two side-by-side calls of SeqNet's 6×16 AVX2 kernel compute, with the same
// per-element FMA chain `acc = fma(a[r,p], b[p,j], acc)` for p = 0 … kc-1 from 0, then stored or
// added to C once, so the two kernels give the same bits. With 12 zmm accumulators (6 rows × 32
// columns) it issues two 16-lane FMAs per broadcast where the AVX2 kernel issues two 8-lane ones.

#if arch(x86_64)
/// C[6×32] (+)= A[6×kc] · [B0 | B1][kc×32].
/// - `a`: element (r, p) at `a[r·rowStride + p·kStride]`.
/// - `b0`, `b1`: kc rows of 16 floats each (columns 0–15 and 16–31), row stride `ldb`.
/// - `c`: 6 rows of 32 floats, row stride `ldc`; written (`accumulate == false`) or added to.
@inline(never)
public func avx512Kernel6x32(_ kc: Int, _ a: UnsafePointer<Float>, _ rowStride: Int, _ kStride: Int,
                             _ b0: UnsafePointer<Float>, _ b1: UnsafePointer<Float>, _ ldb: Int,
                             _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool) {
    typealias V = SIMD16<Float>
    var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
    var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
    let r1 = rowStride, r2 = rowStride &* 2, r3 = rowStride &* 3, r4 = rowStride &* 4, r5 = rowStride &* 5
    var ap = a
    var bp0 = UnsafeRawPointer(b0), bp1 = UnsafeRawPointer(b1)
    let bStep = ldb &* 4
    var p = 0
    while p < kc {
        let x0 = bp0.loadUnaligned(as: V.self)
        let x1 = bp1.loadUnaligned(as: V.self)
        let a0 = V(repeating: ap[0])
        c00 = c00.addingProduct(a0, x0); c01 = c01.addingProduct(a0, x1)
        let a1 = V(repeating: ap[r1])
        c10 = c10.addingProduct(a1, x0); c11 = c11.addingProduct(a1, x1)
        let a2 = V(repeating: ap[r2])
        c20 = c20.addingProduct(a2, x0); c21 = c21.addingProduct(a2, x1)
        let a3 = V(repeating: ap[r3])
        c30 = c30.addingProduct(a3, x0); c31 = c31.addingProduct(a3, x1)
        let a4 = V(repeating: ap[r4])
        c40 = c40.addingProduct(a4, x0); c41 = c41.addingProduct(a4, x1)
        let a5 = V(repeating: ap[r5])
        c50 = c50.addingProduct(a5, x0); c51 = c51.addingProduct(a5, x1)
        ap += kStride
        bp0 += bStep
        bp1 += bStep
        p &+= 1
    }
    store(c00, c01, c, accumulate)
    store(c10, c11, c + ldc, accumulate)
    store(c20, c21, c + ldc &* 2, accumulate)
    store(c30, c31, c + ldc &* 3, accumulate)
    store(c40, c41, c + ldc &* 4, accumulate)
    store(c50, c51, c + ldc &* 5, accumulate)
}

@inline(__always)
private func store(_ lo: SIMD16<Float>, _ hi: SIMD16<Float>, _ c: UnsafeMutablePointer<Float>, _ accumulate: Bool) {
    let raw = UnsafeMutableRawPointer(c)
    if accumulate {
        let o0 = raw.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self)
        let o1 = raw.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
        raw.storeBytes(of: o0 + lo, toByteOffset: 0, as: SIMD16<Float>.self)
        raw.storeBytes(of: o1 + hi, toByteOffset: 64, as: SIMD16<Float>.self)
    } else {
        raw.storeBytes(of: lo, toByteOffset: 0, as: SIMD16<Float>.self)
        raw.storeBytes(of: hi, toByteOffset: 64, as: SIMD16<Float>.self)
    }
}
#endif
