import Testing
@testable import SeqNet

/// `RandomSource.jumped(by:)` against drawing one by one, and the two-thread dropout it serves
/// against one thread.
@Suite struct RandomJumpTests {
    @Test func characteristicPolynomialHasFullDegreeAndAnnihilatesTheUpdate() {
        // Degree 256 is checked on construction; here, P(M)·s = 0: Σ pᵢ·(state after i draws)
        // plus the state after 256 draws vanishes for an arbitrary state.
        let p = RandomSource.characteristic
        var g = RandomSource(seed: 12345)
        var sum = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        for i in 0...256 {
            if i == 256 || p.bit(i) {
                let s = g.stateWords
                sum = (sum.0 ^ s.0, sum.1 ^ s.1, sum.2 ^ s.2, sum.3 ^ s.3)
            }
            _ = g.next()
        }
        #expect(sum == (0, 0, 0, 0))
    }

    @Test(arguments: [0, 1, 2, 255, 256, 257, 1000, 65_537, 1_228_800])
    func jumpEqualsDrawing(draws: Int) {
        for seed: UInt64 in [1, 99] {
            var stepped = RandomSource(seed: seed)
            _ = stepped.next()                     // start from a state that is not a fresh seed's
            let start = stepped
            for _ in 0..<draws { _ = stepped.next() }
            var jumped = start.jumped(by: draws)
            #expect(jumped.stateWords == stepped.stateWords, "seed \(seed), \(draws) draws")
            #expect(jumped.next() == stepped.next())
        }
    }

    /// Two threads give the mask, output and final generator state of one, and the same
    /// backward, for even and odd counts around the split threshold.
    @Test(arguments: [Dropout.parallelCount, Dropout.parallelCount + 1, 300_001, 1_228_800])
    func twoThreadDropoutEqualsOneThread(count: Int) {
        let input = FloatBuffer((0..<count).map { Float($0 % 97) - 48 })
        var results: [([Float], [Float], UInt64)] = []
        for threads in [1, 2] {
            let mask = FloatBuffer(count: count), output = FloatBuffer(count: count)
            var rng = RandomSource(seed: 5)
            Dropout.apply(p: 0.2, count: count, input: input.pointer, mask: mask.pointer,
                          output: output.pointer, rng: &rng, threads: threads)
            results.append((mask.array, output.array, rng.next()))
        }
        #expect(results[1].0 == results[0].0)
        #expect(results[1].1 == results[0].1)
        #expect(results[1].2 == results[0].2)
        #expect(results[0].0.contains(0) && results[0].0.contains(1 / Float(0.8)))
        // Backward through the mask: two halves on two threads, the same bits as one pass.
        let maskValues: [Float] = results[0].0
        var gradValues = [Float](repeating: 0, count: count), expected = gradValues
        for i in 0..<count {
            gradValues[i] = Float(i % 89) * 0.25 - 11
            expected[i] = gradValues[i] * maskValues[i]
        }
        let mask = FloatBuffer(maskValues)
        var grads: [[Float]] = []
        for threads in [1, 2] {
            let grad = FloatBuffer(gradValues)
            withExtendedLifetime(mask) {
                Dropout.backward(count: count, mask: mask.pointer, grad: grad.pointer, threads: threads)
            }
            grads.append(grad.array)
        }
        #expect(grads[1] == grads[0])
        #expect(grads[0] == expected)
    }

    /// In the network: a bidirectional layer output of 64 steps × 8 rows × 128 reaches the
    /// two-thread split; training results at 1 and 2 threads are the same bits.
    @Test func networkDropoutOnTwoThreadsGivesTheBitsOfOne() {
        let cfg = NetworkConfig(cell: .gru, inputSize: 6, hiddenSize: 64, numLayers: 2,
                                bidirectional: true, outputSize: 1, dropout: 0.2)
        #expect(64 * 8 * 128 >= Dropout.parallelCount)
        let batch = TestData.batch(steps: 64, lengths: Array(repeating: 64, count: 8), features: 6, seed: 3)
        let w = TestData.weights(count: 64 * 8, seed: 4)
        var results: [([Float], [Float], UInt64)] = []
        for threads in [1, 2] {
            let net = SequenceNetwork(config: cfg, seed: 2)
            net.threads = threads
            var rng = RandomSource(seed: 8)
            let (out, dx) = TestData.forwardBackward(net, batch, lossWeights: w, rng: &rng)
            results.append((out.array + dx.array, TestData.gradients(net), rng.next()))
        }
        #expect(results[1].0 == results[0].0)
        #expect(results[1].1 == results[0].1)
        #expect(results[1].2 == results[0].2)
    }
}
