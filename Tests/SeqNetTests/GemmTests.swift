import Testing
@testable import SeqNet

/// A row-major matrix stored with extra columns (padding) filled with NaN, so that a kernel which
/// reads outside the logical matrix poisons its result.
private struct PaddedMatrix {
    let rows: Int, cols: Int, ld: Int
    let buffer: FloatBuffer

    init(rows: Int, cols: Int, pad: Int, rng: inout RandomSource) {
        self.rows = rows; self.cols = cols; ld = cols + pad
        buffer = FloatBuffer(count: max(rows * ld, 1))
        buffer.fill(.nan)
        for i in 0..<rows { for j in 0..<cols { buffer[i * ld + j] = rng.uniform(-1, 1) } }
    }

    func at(_ i: Int, _ j: Int) -> Float { buffer[i * ld + j] }
}

/// op(X)[i, p] for a stored matrix.
private func element(_ x: PaddedMatrix, _ t: Transpose, _ i: Int, _ p: Int) -> Float {
    t == .none ? x.at(i, p) : x.at(p, i)
}

private let sentinel: Float = 12345

/// Runs one product and checks every element against a Float64 reference (within the worst-case
/// bound of a length-k FMA chain), the padding of C against change, and threads 1 vs 2 bitwise.
private func checkProduct(_ ta: Transpose, _ tb: Transpose, m: Int, n: Int, k: Int, beta: Float,
                          pad: Int, seed: UInt64, threads: [Int] = [1, 2],
                          sampleElements: Int? = nil) {
    var rng = RandomSource(seed: seed)
    let a = ta == .none ? PaddedMatrix(rows: m, cols: k, pad: pad, rng: &rng)
                        : PaddedMatrix(rows: k, cols: m, pad: pad, rng: &rng)
    let b = tb == .none ? PaddedMatrix(rows: k, cols: n, pad: pad, rng: &rng)
                        : PaddedMatrix(rows: n, cols: k, pad: pad, rng: &rng)
    let ldc = n + pad
    let c0 = FloatBuffer(count: max(m * ldc, 1))
    for i in 0..<m {
        for j in 0..<ldc { c0[i * ldc + j] = j < n ? (beta == 0 ? .nan : rng.uniform(-1, 1)) : sentinel }
    }
    var results: [FloatBuffer] = []
    for t in threads {
        let c = c0.copy()
        gemm(ta, tb, m: m, n: n, k: k, a: a.buffer.pointer, lda: a.ld, b: b.buffer.pointer, ldb: b.ld,
             beta: beta, c: c.pointer, ldc: ldc, threads: t)
        results.append(c)
    }
    let c = results[0]
    let label = "\(ta)\(tb) m=\(m) n=\(n) k=\(k) beta=\(beta) pad=\(pad)"
    for r in results.dropFirst() {
        #expect(r.array == c.array, "threads change the result: \(label)")
    }
    // Padding of C untouched.
    var paddingIntact = true
    for i in 0..<m { for j in n..<ldc where c[i * ldc + j] != sentinel { paddingIntact = false } }
    #expect(paddingIntact, "gemm wrote outside C: \(label)")

    var cells: [(Int, Int)] = []
    if let s = sampleElements {
        for _ in 0..<s { cells.append((rng.nextInt(below: m), rng.nextInt(below: n))) }
    } else {
        for i in 0..<m { for j in 0..<n { cells.append((i, j)) } }
    }
    let eps = Double(Float.ulpOfOne) / 2
    var worst = 0.0, sqErr = 0.0, sqRef = 0.0
    for (i, j) in cells {
        var ref = beta == 0 ? 0.0 : Double(c0[i * ldc + j])
        var magnitude = abs(ref)
        for p in 0..<k {
            let prod = Double(element(a, ta, i, p)) * Double(element(b, tb, p, j))
            ref += prod; magnitude += abs(prod)
        }
        let err = abs(Double(c[i * ldc + j]) - ref)
        let bound = Double(k + 2) * eps * magnitude * 1.01 + 1e-30
        if !(err <= bound) { worst = max(worst, err.isNaN ? .infinity : err / bound) }
        sqErr += err * err; sqRef += ref * ref
    }
    #expect(worst == 0, "error above the FMA-chain bound (ratio \(worst)): \(label)")
    #expect(sqErr <= 1e-12 * max(sqRef, 1e-30), "relative RMS error \((sqErr / max(sqRef, 1e-30)).squareRoot()): \(label)")
}

@Suite struct GemmTests {
    static let layouts: [(Transpose, Transpose)] = [(.none, .none), (.none, .transposed),
                                                    (.transposed, .none), (.transposed, .transposed)]
    /// (m, n, k) with awkward sizes: 1, 5, 17, 63, 64, 65, 130, k up to 600.
    static let shapes: [(Int, Int, Int)] = [
        (1, 1, 1), (1, 17, 5), (5, 1, 17), (5, 5, 600), (17, 63, 64), (63, 17, 65),
        (64, 64, 192), (64, 192, 64), (65, 65, 63), (130, 17, 257), (17, 130, 130),
        (63, 64, 1), (64, 65, 600), (130, 130, 17), (6, 16, 300), (7, 33, 513),
    ]

    @Test(arguments: 0..<4)
    func everyLayoutMatchesFloat64Reference(layout: Int) {
        let (ta, tb) = GemmTests.layouts[layout]
        for (s, (m, n, k)) in GemmTests.shapes.enumerated() {
            for beta: Float in [0, 1] {
                let pad = s % 3 == 0 ? 0 : (s % 3 == 1 ? 3 : 16)
                checkProduct(ta, tb, m: m, n: n, k: k, beta: beta, pad: pad, seed: UInt64(100 * layout + s))
            }
        }
    }

    /// m > 512 packs B even when it is not transposed; large enough to be split over rows.
    @Test(arguments: 0..<4)
    func tallProductsSplitByRows(layout: Int) {
        let (ta, tb) = GemmTests.layouts[layout]
        checkProduct(ta, tb, m: 701, n: 37, k: 300, beta: 1, pad: 5, seed: 7, sampleElements: 3000)
        checkProduct(ta, tb, m: 515, n: 48, k: 170, beta: 0, pad: 0, seed: 8, threads: [1, 2, 3], sampleElements: 3000)
    }

    /// Short, wide products are split over columns.
    @Test(arguments: 0..<4)
    func shortWideProductsSplitByColumns(layout: Int) {
        let (ta, tb) = GemmTests.layouts[layout]
        checkProduct(ta, tb, m: 40, n: 301, k: 400, beta: 0, pad: 2, seed: 9, threads: [1, 2, 4], sampleElements: 3000)
        checkProduct(ta, tb, m: 64, n: 192, k: 2000, beta: 1, pad: 0, seed: 10, sampleElements: 2000)
    }

    /// Large C with k > 1024 uses 1024-deep k-blocks (and B wider than one packed column block).
    @Test func deepBlocksOnLargeProducts() {
        checkProduct(.transposed, .none, m: 600, n: 900, k: 1100, beta: 1, pad: 1, seed: 11, sampleElements: 400)
        checkProduct(.none, .transposed, m: 530, n: 1000, k: 1030, beta: 0, pad: 0, seed: 12, sampleElements: 400)
    }

    @Test func emptyDimensions() {
        var rng = RandomSource(seed: 3)
        let a = PaddedMatrix(rows: 4, cols: 4, pad: 0, rng: &rng)
        let c = FloatBuffer([1, 2, 3, 4, 5, 6, 7, 8])
        // k == 0: C = beta·C.
        gemm(.none, .none, m: 2, n: 3, k: 0, a: a.buffer.pointer, lda: 4, b: a.buffer.pointer, ldb: 4,
             beta: 1, c: c.pointer, ldc: 4)
        #expect(c.array == [1, 2, 3, 4, 5, 6, 7, 8])
        gemm(.none, .none, m: 2, n: 3, k: 0, a: a.buffer.pointer, lda: 4, b: a.buffer.pointer, ldb: 4,
             beta: 0, c: c.pointer, ldc: 4)
        #expect(c.array == [0, 0, 0, 4, 0, 0, 0, 8])
        // m == 0 or n == 0: nothing is touched.
        let d = FloatBuffer([9, 9])
        gemm(.none, .none, m: 0, n: 2, k: 3, a: a.buffer.pointer, lda: 4, b: a.buffer.pointer, ldb: 4,
             beta: 0, c: d.pointer, ldc: 2)
        gemm(.transposed, .transposed, m: 1, n: 0, k: 3, a: a.buffer.pointer, lda: 4, b: a.buffer.pointer, ldb: 4,
             beta: 0, c: d.pointer, ldc: 2)
        #expect(d.array == [9, 9])
    }

    /// The pre-packed B path gives exactly what `gemm` gives, for both storage orders of B,
    /// both of A, beta 0 and 1, and after re-packing new values.
    @Test func prepackedMatchesPlainBitwise() {
        var rng = RandomSource(seed: 21)
        for (ta, tb) in GemmTests.layouts {
            for (m, n, k) in [(64, 192, 64), (64, 64, 192), (17, 65, 300), (130, 1, 5), (3, 33, 1)] {
                let a = ta == .none ? PaddedMatrix(rows: m, cols: k, pad: 1, rng: &rng)
                                    : PaddedMatrix(rows: k, cols: m, pad: 1, rng: &rng)
                let b = tb == .none ? PaddedMatrix(rows: k, cols: n, pad: 2, rng: &rng)
                                    : PaddedMatrix(rows: n, cols: k, pad: 2, rng: &rng)
                let packed = GemmPackedB(tb, k: k, n: n)
                packed.pack(from: b.buffer.pointer, ldb: b.ld)
                for beta: Float in [0, 1] {
                    let start = FloatBuffer(count: m * n)
                    for i in 0..<start.count { start[i] = rng.uniform(-1, 1) }
                    let plain = start.copy(), viaPacked = start.copy()
                    gemm(ta, tb, m: m, n: n, k: k, a: a.buffer.pointer, lda: a.ld, b: b.buffer.pointer,
                         ldb: b.ld, beta: beta, c: plain.pointer, ldc: n)
                    gemm(ta, m: m, a: a.buffer.pointer, lda: a.ld, packedB: packed, beta: beta,
                         c: viaPacked.pointer, ldc: n)
                    #expect(plain.array == viaPacked.array, "\(ta)\(tb) \(m)x\(n)x\(k) beta \(beta)")
                }
                // New values of B after an "optimizer step".
                for i in 0..<b.rows { for j in 0..<b.cols { b.buffer[i * b.ld + j] *= -0.5 } }
                packed.pack(from: b.buffer.pointer, ldb: b.ld)
                let plain = FloatBuffer(count: m * n), viaPacked = FloatBuffer(count: m * n)
                gemm(ta, tb, m: m, n: n, k: k, a: a.buffer.pointer, lda: a.ld, b: b.buffer.pointer,
                     ldb: b.ld, beta: 0, c: plain.pointer, ldc: n)
                gemm(ta, m: m, a: a.buffer.pointer, lda: a.ld, packedB: packed, beta: 0,
                     c: viaPacked.pointer, ldc: n, threads: 2)
                #expect(plain.array == viaPacked.array, "repacked \(ta)\(tb) \(m)x\(n)x\(k)")
            }
        }
    }

    /// The AVX-512 kernel gives exactly the AVX2 kernel's bits (every layout, beta 0 and 1, B in
    /// place or packed, deep k-blocks, 1 and 2 threads), so a result does not depend on whether
    /// the machine has AVX-512. Runs only on an AVX-512 CPU: elsewhere only the AVX2 kernel exists.
    @Test(.enabled(if: GemmKernels.cpuHasAVX512, "this CPU has no AVX-512: only the AVX2 kernel runs here"))
    func avx512KernelMatchesAVX2Bitwise() {
        var rng = RandomSource(seed: 41)
        let shapes = GemmTests.shapes + [(64, 64, 256), (14, 192, 64), (701, 37, 300), (40, 301, 400),
                                         (600, 200, 1100), (19, 512, 700)]
        for (ta, tb) in GemmTests.layouts {
            for (s, (m, n, k)) in shapes.enumerated() {
                let pad = s % 2 == 0 ? 0 : 5
                let a = ta == .none ? PaddedMatrix(rows: m, cols: k, pad: pad, rng: &rng)
                                    : PaddedMatrix(rows: k, cols: m, pad: pad, rng: &rng)
                let b = tb == .none ? PaddedMatrix(rows: k, cols: n, pad: pad, rng: &rng)
                                    : PaddedMatrix(rows: n, cols: k, pad: pad, rng: &rng)
                for beta: Float in [0, 1] {
                    let start = FloatBuffer(count: m * n)
                    for i in 0..<start.count { start[i] = rng.uniform(-1, 1) }
                    var results: [[Float]] = []
                    for (avx512, threads) in [(false, 1), (true, 1), (true, 2)] {
                        let c = start.copy()
                        gemm(ta, tb, m: m, n: n, k: k, a: a.buffer.pointer, lda: a.ld, b: b.buffer.pointer,
                             ldb: b.ld, beta: beta, c: c.pointer, ldc: n, threads: threads, avx512: avx512)
                        results.append(c.array)
                    }
                    #expect(results[1] == results[0], "\(ta)\(tb) \(m)x\(n)x\(k) beta \(beta)")
                    #expect(results[2] == results[0], "2 threads: \(ta)\(tb) \(m)x\(n)x\(k) beta \(beta)")
                }
            }
        }
    }

    /// Products running at the same time on different threads (each with its own scratch) agree
    /// with the same products run one after another.
    @Test func concurrentCallersDoNotShareScratch() {
        var rng = RandomSource(seed: 33)
        let m = 70, n = 45, k = 333
        let a = PaddedMatrix(rows: k, cols: m, pad: 0, rng: &rng)
        let b = PaddedMatrix(rows: n, cols: k, pad: 0, rng: &rng)
        let expected = FloatBuffer(count: m * n)
        gemm(.transposed, .transposed, m: m, n: n, k: k, a: a.buffer.pointer, lda: a.ld,
             b: b.buffer.pointer, ldb: b.ld, beta: 0, c: expected.pointer, ldc: n)
        let outputs = (0..<4).map { _ in FloatBuffer(count: m * n) }
        DispatchQueueRunner.run(count: 4) { w in
            for _ in 0..<5 {
                gemm(.transposed, .transposed, m: m, n: n, k: k, a: a.buffer.pointer, lda: a.ld,
                     b: b.buffer.pointer, ldb: b.ld, beta: 0, c: outputs[w].pointer, ldc: n)
            }
        }
        for o in outputs { #expect(o.array == expected.array) }
    }
}

import Dispatch

/// Runs `body(0..<count)` on concurrent threads.
private enum DispatchQueueRunner {
    static func run(count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        DispatchQueue.concurrentPerform(iterations: count, execute: body)
    }
}
