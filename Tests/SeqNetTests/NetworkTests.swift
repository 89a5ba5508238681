import Testing
@testable import SeqNet

/// Behaviour of the whole network: names and shapes, initialisation, masking, threads, dropout,
/// workspace reuse, gradient accumulation.
@Suite struct NetworkTests {
    static func config(_ cell: CellType, bidirectional: Bool = true, dropout: Float = 0,
                       hidden: Int = 12, layers: Int = 2) -> NetworkConfig {
        NetworkConfig(cell: cell, inputSize: 5, hiddenSize: hidden, numLayers: layers,
                      bidirectional: bidirectional, outputSize: 2, dropout: dropout)
    }

    @Test func parameterNamesShapesAndOrderGRU() {
        let net = SequenceNetwork(config: NetworkConfig(cell: .gru, inputSize: 5, hiddenSize: 4, numLayers: 2,
                                                        bidirectional: true, outputSize: 3), seed: 1)
        let expected: [(String, [Int])] = [
            ("rnn.weight_ih_l0", [12, 5]), ("rnn.weight_hh_l0", [12, 4]), ("rnn.bias_ih_l0", [12]), ("rnn.bias_hh_l0", [12]),
            ("rnn.weight_ih_l0_reverse", [12, 5]), ("rnn.weight_hh_l0_reverse", [12, 4]),
            ("rnn.bias_ih_l0_reverse", [12]), ("rnn.bias_hh_l0_reverse", [12]),
            ("rnn.weight_ih_l1", [12, 8]), ("rnn.weight_hh_l1", [12, 4]), ("rnn.bias_ih_l1", [12]), ("rnn.bias_hh_l1", [12]),
            ("rnn.weight_ih_l1_reverse", [12, 8]), ("rnn.weight_hh_l1_reverse", [12, 4]),
            ("rnn.bias_ih_l1_reverse", [12]), ("rnn.bias_hh_l1_reverse", [12]),
            ("head.weight", [3, 8]), ("head.bias", [3]),
        ]
        #expect(net.parameters.map(\.name) == expected.map(\.0))
        #expect(net.parameters.map(\.shape) == expected.map(\.1))
        #expect(net.parameters.allSatisfy { $0.count == $0.shape.reduce(1, *) && $0.grad.count == $0.count })
    }

    @Test func parameterNamesShapesAndOrderLSTM() {
        let net = SequenceNetwork(config: NetworkConfig(cell: .lstm, inputSize: 5, hiddenSize: 4, numLayers: 2,
                                                        bidirectional: true, outputSize: 1), seed: 1)
        let expected: [(String, [Int])] = [
            ("rnn.weight_ih_l0", [16, 5]), ("rnn.weight_hh_l0", [16, 4]), ("rnn.bias_ih_l0", [16]), ("rnn.bias_hh_l0", [16]),
            ("rnn.weight_ih_l0_reverse", [16, 5]), ("rnn.weight_hh_l0_reverse", [16, 4]),
            ("rnn.bias_ih_l0_reverse", [16]), ("rnn.bias_hh_l0_reverse", [16]),
            ("rnn.weight_ih_l1", [16, 8]), ("rnn.weight_hh_l1", [16, 4]), ("rnn.bias_ih_l1", [16]), ("rnn.bias_hh_l1", [16]),
            ("rnn.weight_ih_l1_reverse", [16, 8]), ("rnn.weight_hh_l1_reverse", [16, 4]),
            ("rnn.bias_ih_l1_reverse", [16]), ("rnn.bias_hh_l1_reverse", [16]),
            ("head.weight", [1, 8]), ("head.bias", [1]),
        ]
        #expect(net.parameters.map(\.name) == expected.map(\.0))
        #expect(net.parameters.map(\.shape) == expected.map(\.1))
    }

    @Test func unidirectionalNamesHaveNoReverse() {
        let net = SequenceNetwork(config: Self.config(.gru, bidirectional: false, hidden: 4), seed: 1)
        #expect(net.parameters.map(\.name) == [
            "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
            "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1",
            "head.weight", "head.bias"])
        #expect(net.parameters[4].shape == [12, 4])
        #expect(net.parameters[8].shape == [2, 4])
    }

    @Test(arguments: CellType.allCases)
    func initialisationFollowsPyTorchBoundsAndSeed(cell: CellType) {
        let cfg = NetworkConfig(cell: cell, inputSize: 7, hiddenSize: 16, numLayers: 2, bidirectional: true, outputSize: 3)
        let a = SequenceNetwork(config: cfg, seed: 5), b = SequenceNetwork(config: cfg, seed: 5)
        let c = SequenceNetwork(config: cfg, seed: 6)
        let rnnBound: Float = 1 / 4, headBound = 1 / Float(32).squareRoot()
        for p in a.parameters {
            let bound = p.name.hasPrefix("head") ? headBound : rnnBound
            let v = p.value.array
            #expect(v.allSatisfy { abs($0) <= bound }, "\(p.name) outside ±\(bound)")
            // Uniform on ±bound: the largest magnitude is close to the bound, the mean near 0.
            if v.count >= 100 {
                #expect(v.map(abs).max()! > 0.9 * bound)
                #expect(abs(v.reduce(0, +) / Float(v.count)) < 0.2 * bound)
            }
        }
        #expect(zip(a.parameters, b.parameters).allSatisfy { $0.value.array == $1.value.array })
        #expect(!zip(a.parameters, c.parameters).allSatisfy { $0.value.array == $1.value.array })
        #expect(a.parameters.allSatisfy { $0.grad.array.allSatisfy { $0 == 0 } })
    }

    /// Padded steps output exactly 0; padding content (huge values, NaN, ±Inf) changes no output
    /// and no gradient, bit for bit; the input gradient is zero in the padding.
    @Test(arguments: CellType.allCases, [false, true])
    func paddingIsNeverRead(cell: CellType, bidirectional: Bool) {
        let cfg = Self.config(cell, bidirectional: bidirectional)
        let lengths = [9, 4, 0, 7]
        let clean = TestData.batch(steps: 9, lengths: lengths, features: 5, seed: 3)
        let garbage: [(Int) -> Float] = [
            { _ in 1e30 }, { _ in .nan }, { i in i % 2 == 0 ? .infinity : -.infinity },
        ]
        let w = TestData.weights(count: 9 * 4 * 2, seed: 8)
        var rng = RandomSource(seed: 1)
        let ref = SequenceNetwork(config: cfg, seed: 2)
        let (out0, dx0) = TestData.forwardBackward(ref, clean, lossWeights: w, rng: &rng)
        let grads0 = TestData.gradients(ref)
        #expect(grads0.allSatisfy { $0.isFinite } && grads0.contains { $0 != 0 })
        for t in 0..<9 {
            for b in 0..<4 where t >= lengths[b] {
                for o in 0..<2 { #expect(out0[(t * 4 + b) * 2 + o] == 0) }
                for f in 0..<5 { #expect(dx0[(t * 4 + b) * 5 + f] == 0) }
            }
        }
        for fill in garbage {
            let dirty = TestData.withPadding(clean, fill)
            let net = SequenceNetwork(config: cfg, seed: 2)
            let (out, dx) = TestData.forwardBackward(net, dirty, lossWeights: w, rng: &rng)
            #expect(out.array == out0.array)
            #expect(dx.array == dx0.array)
            #expect(TestData.gradients(net) == grads0)
            let inference = net.forward(dirty, training: false, rng: &rng)
            #expect(inference.array == out0.array)
        }
    }

    /// A short sequence inside a long batch gives the same outputs and gradients as run alone:
    /// the reverse direction starts at its own last valid step.
    @Test(arguments: CellType.allCases)
    func shortSequenceMatchesRunningAlone(cell: CellType) {
        let cfg = Self.config(cell)
        let batch = TestData.batch(steps: 10, lengths: [10, 3], features: 5, seed: 4)
        let alone = SequenceBatch(steps: 3, batchSize: 1, features: 5, lengths: [3], values: FloatBuffer(
            (0..<3).flatMap { t in (0..<5).map { f in batch.values[(t * 2 + 1) * 5 + f] } }))
        // The loss weights only the short sequence.
        let wBatch = TestData.weights(count: 10 * 2 * 2, seed: 9)
        for t in 0..<10 { for o in 0..<2 { wBatch[(t * 2) * 2 + o] = 0 } }
        let wAlone = FloatBuffer((0..<3).flatMap { t in (0..<2).map { o in wBatch[(t * 2 + 1) * 2 + o] } })
        var rng = RandomSource(seed: 1)
        let n1 = SequenceNetwork(config: cfg, seed: 7), n2 = SequenceNetwork(config: cfg, seed: 7)
        let (o1, dx1) = TestData.forwardBackward(n1, batch, lossWeights: wBatch, rng: &rng)
        let (o2, dx2) = TestData.forwardBackward(n2, alone, lossWeights: wAlone, rng: &rng)
        for t in 0..<3 {
            for o in 0..<2 { #expect(abs(o1[(t * 2 + 1) * 2 + o] - o2[t * 2 + o]) <= 1e-6) }
            for f in 0..<5 { #expect(abs(dx1[(t * 2 + 1) * 5 + f] - dx2[t * 5 + f]) <= 1e-6) }
        }
        for (g1, g2) in zip(TestData.gradients(n1), TestData.gradients(n2)) {
            #expect(abs(g1 - g2) <= 1e-5 * max(1, abs(g2)))
        }
    }

    /// Threads 1, 2 and 3 give bit-identical outputs, parameter gradients and input gradients.
    @Test(arguments: CellType.allCases, [false, true])
    func threadCountDoesNotChangeResults(cell: CellType, bidirectional: Bool) {
        let cfg = Self.config(cell, bidirectional: bidirectional, dropout: 0.2, layers: 3)
        let batch = TestData.batch(steps: 12, lengths: [12, 7, 12, 1, 5], features: 5, seed: 5)
        let w = TestData.weights(count: 12 * 5 * 2, seed: 6)
        var results: [([Float], [Float], [Float])] = []
        for threads in [1, 2, 3] {
            let net = SequenceNetwork(config: cfg, seed: 3)
            net.threads = threads
            var rng = RandomSource(seed: 42)
            let (out, dx) = TestData.forwardBackward(net, batch, lossWeights: w, rng: &rng)
            let inference = net.forward(batch, training: false, rng: &rng)
            results.append((out.array, dx.array + inference.array, TestData.gradients(net)))
        }
        for r in results.dropFirst() {
            #expect(r.0 == results[0].0)
            #expect(r.1 == results[0].1)
            #expect(r.2 == results[0].2)
        }
    }

    /// The same with products large enough for GEMM to split them across threads (the case
    /// above is below the split threshold, so for one direction it only runs one code path).
    /// One layer: a deeper unidirectional stack on two threads runs as a wavefront, whose
    /// products each run on one thread (`WavefrontTests`).
    @Test(arguments: CellType.allCases)
    func threadCountDoesNotChangeResultsWhenProductsSplit(cell: CellType) {
        let cfg = NetworkConfig(cell: cell, inputSize: 600, hiddenSize: 64, numLayers: 1,
                                bidirectional: false, outputSize: 2, dropout: 0)
        let lengths = [64, 64, 50, 64, 64, 33, 64, 64]
        let batch = TestData.batch(steps: 64, lengths: lengths, features: 600, seed: 8)
        let w = TestData.weights(count: 64 * lengths.count * 2, seed: 9)
        var results: [([Float], [Float], [Float])] = []
        for threads in [1, 2] {
            let net = SequenceNetwork(config: cfg, seed: 4)
            net.threads = threads
            var rng = RandomSource(seed: 1)
            let (out, dx) = TestData.forwardBackward(net, batch, lossWeights: w, rng: &rng)
            results.append((out.array, dx.array, TestData.gradients(net)))
        }
        #expect(results[1].0 == results[0].0)
        #expect(results[1].1 == results[0].1)
        #expect(results[1].2 == results[0].2)
    }

    /// From 16 rows on, the recurrent loops split the batch in two halves (`rowChunks`), run
    /// on two threads when there are two: threads 1–4 give the same bits (directions and rows
    /// both split at 4), and the gradients equal the sums of those of the two halves run as
    /// batches of their own (which take the unsplit path, checked by finite differences).
    @Test(arguments: CellType.allCases, [false, true])
    func rowSplitBatchesMatchTheirHalvesAndAnyThreadCount(cell: CellType, bidirectional: Bool) {
        let cfg = Self.config(cell, bidirectional: bidirectional, dropout: 0, layers: 2)
        let lengths = [9, 9, 4, 9, 1, 7, 9, 9, 2, 9, 8, 9, 9, 3, 9, 9, 5, 9]
        let steps = 9, B = lengths.count, half = B / 2
        let batch = TestData.batch(steps: steps, lengths: lengths, features: 5, seed: 21)
        let w = TestData.weights(count: steps * B * 2, seed: 22)
        var results: [([Float], [Float], [Float], [Float])] = []
        for threads in [1, 2, 3, 4] {
            let net = SequenceNetwork(config: cfg, seed: 8)
            net.threads = threads
            var rng = RandomSource(seed: 2)
            let (out, dx) = TestData.forwardBackward(net, batch, lossWeights: w, rng: &rng)
            let inference = net.forward(batch, training: false, rng: &rng)
            results.append((out.array, dx.array, TestData.gradients(net), inference.array))
        }
        for r in results.dropFirst() {
            #expect(r.0 == results[0].0)
            #expect(r.1 == results[0].1)
            #expect(r.2 == results[0].2)
            #expect(r.3 == results[0].3)
        }
        // The two halves as batches of 9 rows each.
        func rows(_ range: Range<Int>, of values: FloatBuffer, width: Int) -> FloatBuffer {
            FloatBuffer((0..<steps).flatMap { t in range.flatMap { b in
                (0..<width).map { values[(t * B + b) * width + $0] } } })
        }
        var summed = [Float](repeating: 0, count: results[0].2.count)
        for range in [0..<half, half..<B] {
            let part = SequenceBatch(steps: steps, batchSize: range.count, features: 5,
                                     lengths: Array(lengths[range]), values: rows(range, of: batch.values, width: 5))
            let net = SequenceNetwork(config: cfg, seed: 8)
            var rng = RandomSource(seed: 2)
            let (out, dx) = TestData.forwardBackward(net, part, lossWeights: rows(range, of: w, width: 2), rng: &rng)
            #expect(out.array == rows(range, of: FloatBuffer(results[0].0), width: 2).array)
            #expect(dx.array == rows(range, of: FloatBuffer(results[0].1), width: 5).array)
            for (i, g) in TestData.gradients(net).enumerated() { summed[i] += g }
        }
        for (g, expected) in zip(results[0].2, summed) {
            #expect(abs(g - expected) <= 1e-5 * max(1, abs(expected)))
        }
    }

    @Test func dropoutMaskStatisticsAndReproducibility() {
        let n = 100_000
        let ones = FloatBuffer(Array(repeating: 1, count: n))
        let mask = FloatBuffer(count: n), out = FloatBuffer(count: n)
        var rng = RandomSource(seed: 17)
        Dropout.apply(p: 0.5, count: n, input: ones.pointer, mask: mask.pointer, output: out.pointer, rng: &rng)
        let values = out.array
        let zeros = values.filter { $0 == 0 }.count
        #expect(abs(Double(zeros) / Double(n) - 0.5) < 0.01)
        #expect(values.allSatisfy { $0 == 0 || $0 == 2 })
        #expect(mask.array == values)
        // Same generator state, same mask; later draws differ.
        var again = RandomSource(seed: 17)
        let out2 = FloatBuffer(count: n)
        Dropout.apply(p: 0.5, count: n, input: ones.pointer, mask: mask.pointer, output: out2.pointer, rng: &again)
        #expect(out2.array == values)
        Dropout.apply(p: 0.5, count: n, input: ones.pointer, mask: mask.pointer, output: out2.pointer, rng: &again)
        #expect(out2.array != values)
        // p = 0.1 keeps about 90%, scaled by 1/0.9.
        Dropout.apply(p: 0.1, count: n, input: ones.pointer, mask: mask.pointer, output: out2.pointer, rng: &again)
        let kept = out2.array.filter { $0 != 0 }
        #expect(abs(Double(kept.count) / Double(n) - 0.9) < 0.01)
        #expect(kept.allSatisfy { $0 == 1 / Float(0.9) })
        // Backward multiplies by the mask.
        let grad = FloatBuffer(Array(repeating: 3, count: n))
        Dropout.backward(count: n, mask: mask.pointer, grad: grad.pointer)
        #expect(grad.array == mask.array.map { $0 * 3 })
    }

    /// Dropout acts in training only, draws from the given generator, and reproduces with its seed.
    @Test func dropoutInTheNetwork() {
        let batch = TestData.batch(steps: 6, lengths: [6, 6, 4], features: 5, seed: 2)
        let withDropout = SequenceNetwork(config: Self.config(.gru, dropout: 0.5), seed: 4)
        let without = SequenceNetwork(config: Self.config(.gru, dropout: 0), seed: 4)
        var r1 = RandomSource(seed: 10), r2 = RandomSource(seed: 10), r3 = RandomSource(seed: 11)
        let a = withDropout.forward(batch, training: true, rng: &r1).array
        let b = withDropout.forward(batch, training: true, rng: &r2).array
        let c = withDropout.forward(batch, training: true, rng: &r3).array
        let plain = without.forward(batch, training: true, rng: &r3).array
        #expect(a == b)
        #expect(a != c)
        #expect(a != plain)
        #expect(r1.next() == r2.next())
        let inference = withDropout.forward(batch, training: false, rng: &r3).array
        #expect(inference == plain)
        // One layer: nothing to drop (PyTorch applies dropout between layers only).
        let single = SequenceNetwork(config: Self.config(.gru, dropout: 0.5, layers: 1), seed: 4)
        var r4 = RandomSource(seed: 10)
        #expect(single.forward(batch, training: true, rng: &r4).array
                == single.forward(batch, training: false, rng: &r4).array)
    }

    /// Training and inference forwards (different workspaces; LSTM keeps its cell state in place
    /// in inference) give bit-identical outputs without dropout.
    @Test(arguments: CellType.allCases, [false, true])
    func trainingAndInferenceForwardsAgree(cell: CellType, bidirectional: Bool) {
        let net = SequenceNetwork(config: Self.config(cell, bidirectional: bidirectional, layers: 3), seed: 8)
        let batch = TestData.batch(steps: 11, lengths: [11, 2, 9], features: 5, seed: 12)
        var rng = RandomSource(seed: 1)
        #expect(net.forward(batch, training: true, rng: &rng).array
                == net.forward(batch, training: false, rng: &rng).array)
    }

    /// After a larger batch, a smaller one reuses the workspace and gives the same results as a
    /// fresh network; an inference forward in between does not disturb the training caches.
    @Test(arguments: CellType.allCases)
    func workspaceReuseAcrossShapes(cell: CellType) {
        let cfg = Self.config(cell, dropout: 0.3)
        let big = TestData.batch(steps: 20, lengths: [20, 13, 20, 2], features: 5, seed: 1)
        let small = TestData.batch(steps: 7, lengths: [7, 3], features: 5, seed: 2)
        let w = TestData.weights(count: 7 * 2 * 2, seed: 3)
        let used = SequenceNetwork(config: cfg, seed: 9), fresh = SequenceNetwork(config: cfg, seed: 9)
        var r0 = RandomSource(seed: 0)
        TestData.forwardBackward(used, big, lossWeights: TestData.weights(count: 20 * 4 * 2, seed: 4), rng: &r0)
        _ = used.forward(big, training: false, rng: &r0)
        used.zeroGradients()
        var r1 = RandomSource(seed: 5), r2 = RandomSource(seed: 5)
        let o1 = used.forward(small, training: true, rng: &r1)
        _ = used.forward(big, training: false, rng: &r1)
        let dx1 = FloatBuffer(count: small.values.count)
        used.backward(w, inputGradient: dx1)
        let (o2, dx2) = TestData.forwardBackward(fresh, small, lossWeights: w, rng: &r2)
        #expect(o1.array == o2.array)
        #expect(dx1.array == dx2.array)
        #expect(TestData.gradients(used) == TestData.gradients(fresh))
    }

    /// `backward` adds into the gradients: twice the same backward doubles them (up to rounding:
    /// the second pass adds its products onto the first's sums).
    @Test func gradientsAccumulate() {
        let net = SequenceNetwork(config: Self.config(.lstm), seed: 2)
        let batch = TestData.batch(steps: 5, lengths: [5, 3], features: 5, seed: 3)
        let w = TestData.weights(count: 5 * 2 * 2, seed: 4)
        var rng = RandomSource(seed: 1)
        TestData.forwardBackward(net, batch, lossWeights: w, rng: &rng)
        let once = TestData.gradients(net)
        net.backward(w)
        for (g, g1) in zip(TestData.gradients(net), once) {
            #expect(abs(g - 2 * g1) <= 1e-6 * max(1, abs(g1)))
        }
        #expect(once.contains { $0 != 0 })
        net.zeroGradients()
        #expect(TestData.gradients(net).allSatisfy { $0 == 0 })
    }
}
