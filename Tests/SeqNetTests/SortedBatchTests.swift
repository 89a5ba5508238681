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
