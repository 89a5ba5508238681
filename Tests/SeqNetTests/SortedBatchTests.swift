import Testing
@testable import SeqNet

/// Lengths in non-increasing order take the path that runs each step's hidden product and gate
/// kernel on the still-running rows only. It must give what the masked path gives, row by row.
@Suite struct SortedBatchTests {
    @Test func activeRowsCountsLeadingValidRows() {
        let lengths = [9, 7, 7, 4, 0]
        lengths.withUnsafeBufferPointer { p in
            let base = p.baseAddress!
            #expect(isNonIncreasing(base, count: 5))
            #expect((0..<11).map { activeRows(base, count: 5, step: $0) } == [4, 4, 4, 4, 3, 3, 3, 1, 1, 0, 0])
        }
        [3, 5].withUnsafeBufferPointer { #expect(!isNonIncreasing($0.baseAddress!, count: 2)) }
    }

    /// The same sequences sorted and in a mixed order: outputs and input gradients equal bit for
    /// bit (rows are independent), parameter gradients equal up to summation order; the
    /// inference forward (in-place LSTM state) too.
    @Test(arguments: CellType.allCases, [false, true])
    func sortedBatchMatchesMixedOrder(cell: CellType, bidirectional: Bool) {
        let cfg = NetworkConfig(cell: cell, inputSize: 5, hiddenSize: 12, numLayers: 3,
                                bidirectional: bidirectional, outputSize: 2)
        let sortedLengths = [9, 7, 7, 4, 0, 0]
        let mixed = [2, 4, 0, 3, 5, 1]                     // row b of the mixed batch = sorted row mixed[b]
        let T = 9, F = 5, O = 2, B = sortedLengths.count
        let sorted = TestData.batch(steps: T, lengths: sortedLengths, features: F, seed: 21)
        let wSorted = TestData.weights(count: T * B * O, seed: 22)
        func permuted(_ buffer: FloatBuffer, width: Int) -> FloatBuffer {
            let out = FloatBuffer(count: buffer.count)
            for t in 0..<T { for b in 0..<B { for f in 0..<width {
                out[(t * B + b) * width + f] = buffer[(t * B + mixed[b]) * width + f]
            } } }
            return out
        }
        let other = SequenceBatch(steps: T, batchSize: B, features: F, lengths: mixed.map { sortedLengths[$0] },
                                  values: permuted(sorted.values, width: F))
        var rng = RandomSource(seed: 1)
        let n1 = SequenceNetwork(config: cfg, seed: 4), n2 = SequenceNetwork(config: cfg, seed: 4)
        let (o1, dx1) = TestData.forwardBackward(n1, sorted, lossWeights: wSorted, rng: &rng)
        let (o2, dx2) = TestData.forwardBackward(n2, other, lossWeights: permuted(wSorted, width: O), rng: &rng)
        #expect(permuted(o1, width: O).array == o2.array)
        #expect(permuted(dx1, width: F).array == dx2.array)
        #expect(o1.array.contains { $0 != 0 })
        for (g1, g2) in zip(TestData.gradients(n1), TestData.gradients(n2)) {
            #expect(abs(g1 - g2) <= 1e-5 * max(1, abs(g2)))
        }
        let i1 = n1.forward(sorted, training: false, rng: &rng)
        let i2 = n2.forward(other, training: false, rng: &rng)
        #expect(permuted(i1, width: O).array == i2.array)
        #expect(i1.array == o1.array)
    }
}

/// The analytic FLOP count `bench train` divides by, checked on a network small enough to
/// count by hand.
@Suite struct FlopCountTests {
    @Test func countsEveryProductAndGatePass() {
        // GRU, 1 layer, one direction, I = 2, H = 1, 1 output; T = 2 steps, B = 1.
        let cfg = NetworkConfig(cell: .gru, inputSize: 2, hiddenSize: 1, numLayers: 1,
                                bidirectional: false, outputSize: 1)
        // Forward: X·W_ihᵀ 2·2·2·3 = 24, h·W_hhᵀ of step 2 only 2·1·1·3 = 6, head 2·2·1·1 = 4.
        #expect(cfg.forwardFlops(steps: 2, batch: 1) == PassFlops(gemm: 34, gates: 28))
        // Backward: dG·W_hh (step 2) 6, dW_hh 6, dW_ih 24, no input gradient; head dW 4, dX 4.
        #expect(cfg.backwardFlops(steps: 2, batch: 1) == PassFlops(gemm: 44, gates: 34))
        #expect(cfg.backwardFlops(steps: 2, batch: 1, inputGradient: true) == PassFlops(gemm: 68, gates: 34))
        // A second layer's input is dirs·H wide and always gets its input gradient.
        let two = NetworkConfig(cell: .lstm, inputSize: 2, hiddenSize: 1, numLayers: 2,
                                bidirectional: true, outputSize: 1)
        // Layer 1 per direction: G = 4, I = 2: input 2·2·2·4 = 32, hidden 2·1·4 = 8; ×2 directions.
        let layer0 = 2.0 * (32 + 8), layer1 = 2.0 * (32 + 8), head = 2.0 * 2 * 2
        #expect(two.forwardFlops(steps: 2, batch: 1).gemm == layer0 + layer1 + head)
        #expect(two.forwardFlops(steps: 2, batch: 1).gates == 2 * 2 * 2 * 17)
    }
}
