import Testing
@testable import SeqNet

/// A unidirectional stack on two or more threads runs as a wavefront (layers on alternating
/// threads, chunks of steps). It must give the bits of one thread (checked by finite differences
/// and against PyTorch elsewhere) in every pass: training forward with dropout, backward with and
/// without the input gradient, inference over unsorted and sorted (longest first) batches.
@Suite struct WavefrontTests {
    struct Results: Equatable {
        var output: [Float] = []
        var gradients: [Float] = []
        var inputGradient: [Float] = []
        var inference: [Float] = []
        var sortedInference: [Float] = []
    }

    static func run(_ cfg: NetworkConfig, steps: Int, lengths: [Int], threads: Int,
                    inputGradient: Bool, nanPadding: Bool = false) -> Results {
        let clean = TestData.batch(steps: steps, lengths: lengths, features: cfg.inputSize, seed: 31)
        let batch = nanPadding ? TestData.withPadding(clean) { _ in .nan } : clean
        let sortedLengths = lengths.sorted(by: >)
        let sorted = TestData.batch(steps: steps, lengths: sortedLengths, features: cfg.inputSize, seed: 32)
        let w = TestData.weights(count: steps * lengths.count * cfg.outputSize, seed: 33)
        let net = SequenceNetwork(config: cfg, seed: 7)
        net.threads = threads
        var rng = RandomSource(seed: 99)
        var r = Results()
        // Two training steps, so that the second reuses the workspaces of the first.
        for _ in 0..<2 {
            net.zeroGradients()
            r.output = net.forward(batch, training: true, rng: &rng).array
            if inputGradient {
                let dx = FloatBuffer(count: batch.values.count)
                net.backward(w, inputGradient: dx)
                r.inputGradient = dx.array
            } else {
                net.backward(w)
            }
        }
        r.gradients = TestData.gradients(net)
        r.inference = net.forward(batch, training: false, rng: &rng).array
        r.sortedInference = net.forward(sorted, training: false, rng: &rng).array
        return r
    }

    /// 2–5 layers (the last layer on either thread), GRU and LSTM, dropout, padded rows,
    /// 13 steps in chunks of 3 (the last chunk a single step).
    @available(macOS 15, *)
    @Test(arguments: CellType.allCases, [2, 3, 4, 5])
    func wavefrontGivesTheBitsOfOneThread(cell: CellType, layers: Int) {
        let cfg = NetworkConfig(cell: cell, inputSize: 7, hiddenSize: 12, numLayers: layers,
                                bidirectional: false, outputSize: 2, dropout: 0.25)
        let lengths = [13, 7, 13, 1, 5, 13]
        let net = SequenceNetwork(config: cfg, seed: 1)
        net.threads = 2
        #expect(net.usesWavefront(steps: 13, batch: lengths.count))
        #expect(net.wavefrontChunkSteps(steps: 13, batch: lengths.count) == 3)
        for inputGradient in [false, true] {
            let one = Self.run(cfg, steps: 13, lengths: lengths, threads: 1, inputGradient: inputGradient)
            #expect(one.gradients.contains { $0 != 0 } && one.output.contains { $0 != 0 })
            for threads in [2, 3] {
                let many = Self.run(cfg, steps: 13, lengths: lengths, threads: threads, inputGradient: inputGradient)
                #expect(many == one, "\(cell), \(layers) layers, \(threads) threads, input gradient \(inputGradient)")
            }
        }
    }

    /// A layer-0 input wider than 1024 is projected whole (chunks would change the GEMM's
    /// k-blocking); the rest still runs as a wavefront with the bits of one thread.
    @available(macOS 15, *)
    @Test func wideInputGivesTheBitsOfOneThread() {
        let cfg = NetworkConfig(cell: .gru, inputSize: 1100, hiddenSize: 8, numLayers: 2,
                                bidirectional: false, outputSize: 3, dropout: 0.1)
        let lengths = [9, 9, 4]
        let one = Self.run(cfg, steps: 9, lengths: lengths, threads: 1, inputGradient: true)
        let two = Self.run(cfg, steps: 9, lengths: lengths, threads: 2, inputGradient: true)
        #expect(two == one)
    }

    /// NaN in the padding (the layer-0 input is then a zeroed copy) and batch rows that do not
    /// fill whole 6-row GEMM tiles per chunk (7 rows, chunks of 5 steps).
    @available(macOS 15, *)
    @Test(arguments: CellType.allCases)
    func nonFinitePaddingGivesTheBitsOfOneThread(cell: CellType) {
        let cfg = NetworkConfig(cell: cell, inputSize: 5, hiddenSize: 10, numLayers: 3,
                                bidirectional: false, outputSize: 1, dropout: 0.3)
        let lengths = [20, 3, 20, 11, 1, 20, 17]
        let one = Self.run(cfg, steps: 20, lengths: lengths, threads: 1, inputGradient: true, nanPadding: true)
        let two = Self.run(cfg, steps: 20, lengths: lengths, threads: 2, inputGradient: true, nanPadding: true)
        #expect(!one.output.contains { $0.isNaN } && !one.gradients.contains { $0.isNaN })
        #expect(two == one)
    }

    /// Bidirectional stacks, a single layer, one thread and very short passes keep the
    /// layer-by-layer path.
    @available(macOS 15, *)
    @Test func onlyMultiLayerUnidirectionalStacksOnTwoThreadsUseIt() {
        func uses(bidirectional: Bool = false, layers: Int = 3, threads: Int = 2, steps: Int = 20) -> Bool {
            let net = SequenceNetwork(config: NetworkConfig(cell: .gru, inputSize: 4, hiddenSize: 8, numLayers: layers,
                                                            bidirectional: bidirectional), seed: 1)
            net.threads = threads
            return net.usesWavefront(steps: steps, batch: 5)
        }
        #expect(uses())
        #expect(!uses(bidirectional: true))
        #expect(!uses(layers: 1))
        #expect(!uses(threads: 1))
        #expect(!uses(steps: 3))
    }
}
