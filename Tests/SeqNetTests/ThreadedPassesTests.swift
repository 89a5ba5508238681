import Testing
@testable import SeqNet

/// The memory-bound passes between the parallel products (pointwise losses, the head's bias add
/// and bias-gradient sums) split rows or columns over threads; the bits must not change. Shapes
/// are large enough that two threads really split (see `forEachChunk`'s minimum chunks).
@Suite struct ThreadedPassesTests {
    @Test func forEachChunkCoversEveryIndexOnce() {
        for (count, threads, minimum) in [(0, 2, 1), (1, 4, 1), (10, 3, 1), (1000, 2, 64), (100, 2, 64), (7, 8, 2)] {
            var seen = [Int](repeating: 0, count: count)
            seen.withUnsafeMutableBufferPointer { s in
                forEachChunk(of: count, threads: threads, minimumChunk: minimum) { part in
                    for i in part { s[i] += 1 }
                }
            }
            #expect(seen.allSatisfy { $0 == 1 }, "count \(count), threads \(threads), minimum \(minimum)")
        }
    }

    @Test(arguments: [LossKind.mse, .l1])
    func pointwiseLossDoesNotDependOnThreads(kind: LossKind) {
        let (steps, batch, outputs) = (40, 9, 70)   // 360 rows of 70: split on 2 and 3 threads
        var rng = RandomSource(seed: 8)
        let p = FloatBuffer((0..<(steps * batch * outputs)).map { _ in rng.uniform(-2, 2) })
        let y = FloatBuffer((0..<(steps * batch * outputs)).map { _ in rng.uniform(-2, 2) })
        let mask = FloatBuffer(count: steps * batch)
        for i in 0..<mask.count { mask[i] = i % 7 == 3 ? 0 : 1 }
        var results: [(Double, [Float])] = []
        for threads in [1, 2, 3] {
            let grad = FloatBuffer(count: p.count)
            grad.fill(5)
            let loss = sequenceLoss(kind, predictions: p, targets: y, mask: mask, steps: steps, batchSize: batch,
                                    outputs: outputs, gradient: grad, threads: threads)
            results.append((loss, grad.array))
        }
        for r in results.dropFirst() {
            #expect(r.0.bitPattern == results[0].0.bitPattern, "\(kind) loss")
            #expect(r.1 == results[0].1, "\(kind) gradient")
        }
        #expect(!results[0].1.contains(5), "every gradient entry written")
    }

    /// Column sums on 1–3 threads against a plain Float64 sum (up to rounding) and each other (bits).
    @Test func columnSumsDoNotDependOnThreads() {
        let (rows, cols, ld) = (130, 515, 520)
        var rng = RandomSource(seed: 12)
        let src = FloatBuffer((0..<(rows * ld)).map { _ in rng.uniform(-1, 1) })
        var results: [[Float]] = []
        for threads in [1, 2, 3] {
            let sums = FloatBuffer(count: cols), scratch = FloatBuffer(count: 2 * cols)
            sums.fill(1)
            addColumnSums(rows: rows, cols: cols, src: src.pointer, ld: ld, into: sums.pointer,
                          scratch: scratch.pointer, threads: threads)
            results.append(sums.array)
        }
        for j in 0..<cols {
            var exact = 1.0
            for r in 0..<rows { exact += Double(src[r * ld + j]) }
            #expect(abs(Double(results[0][j]) - exact) < 1e-4, "column \(j)")
        }
        #expect(results[1] == results[0] && results[2] == results[0])
    }

    /// 515 outputs: the bias add splits rows, the bias gradient splits columns (65 vectors of 8,
    /// at least 32 per chunk: two chunks; 515 is not a multiple of 8, so the last column chunk
    /// has a scalar tail).
    @Test func linearDoesNotDependOnThreads() {
        let (rows, inSize, outSize) = (600, 12, 515)
        var results: [([Float], [Float], [Float], [Float])] = []
        for threads in [1, 2] {
            var rng = RandomSource(seed: 4)
            let layer = Linear(inputSize: inSize, outputSize: outSize, name: "l", rng: &rng)
            let x = FloatBuffer((0..<(rows * inSize)).map { _ in rng.uniform(-1, 1) })
            let dy = FloatBuffer((0..<(rows * outSize)).map { _ in rng.uniform(-1, 1) })
            let y = FloatBuffer(count: rows * outSize), dx = FloatBuffer(count: rows * inSize)
            layer.forward(rows: rows, input: x.pointer, inputStride: inSize, output: y.pointer, threads: threads)
            layer.backward(rows: rows, input: x.pointer, inputStride: inSize, gradOutput: dy.pointer,
                           gradInput: dx.pointer, gradInputStride: inSize, threads: threads)
            results.append((y.array, layer.weight.grad.array, layer.bias.grad.array, dx.array))
        }
        #expect(results[1].0 == results[0].0, "output")
        #expect(results[1].1 == results[0].1, "weight gradient")
        #expect(results[1].2 == results[0].2, "bias gradient")
        #expect(results[1].3 == results[0].3, "input gradient")
    }
}
