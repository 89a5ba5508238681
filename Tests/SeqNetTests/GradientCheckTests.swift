import Testing
@testable import SeqNet

/// The engine against the independent Float64 reference: forward values, and analytic gradients
/// against central finite differences of the reference (Float32 differences would be too noisy).
///
/// Setting: 2 layers, hidden size 12 (one 8-wide SIMD block plus a scalar tail), input 5, output 2,
/// a masked batch of 3 sequences of lengths 8, 5, 2 with garbage in the padding, and the loss
/// `Σ w ⊙ output` with fixed random `w` that is nonzero at padded steps too (the engine must ignore it).
@Suite struct GradientCheckTests {
    static let lengths = [8, 5, 2]
    static let steps = 8

    static func makeNetwork(_ cell: CellType, bidirectional: Bool, dropout: Float = 0) -> SequenceNetwork {
        let config = NetworkConfig(cell: cell, inputSize: 5, hiddenSize: 12, numLayers: 2,
                                   bidirectional: bidirectional, outputSize: 2, dropout: dropout)
        return SequenceNetwork(config: config, seed: 1234)
    }

    static func makeBatch() -> SequenceBatch {
        TestData.batch(steps: steps, lengths: lengths, features: 5, seed: 99, padding: 1e6)
    }

    /// `Σ w ⊙ output` of the reference.
    static func referenceLoss(_ ref: ReferenceNetwork, _ x: [Double], _ w: [Double], masks: [[Double]]?) -> Double {
        let out = ref.forward(x, steps: steps, batch: lengths.count, lengths: lengths, masks: masks)
        return zip(out, w).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// Passes when `|a − n| ≤ 1e-3 · max(|a|, |n|, 1e-2)` (relative 1e-3, absolute floor 1e-5).
    static func close(_ analytic: Float, _ numeric: Double) -> Bool {
        let a = Double(analytic)
        return abs(a - numeric) <= 1e-3 * max(abs(a), abs(numeric), 1e-2)
    }

    @Test(arguments: CellType.allCases, [false, true])
    func forwardMatchesReference(cell: CellType, bidirectional: Bool) {
        let net = Self.makeNetwork(cell, bidirectional: bidirectional)
        let batch = Self.makeBatch()
        var rng = RandomSource(seed: 5)
        let ref = ReferenceNetwork(net)
        let expected = ref.forward(batch.values.array.map(Double.init), steps: Self.steps,
                                   batch: Self.lengths.count, lengths: Self.lengths)
        for training in [false, true] {
            let out = net.forward(batch, training: training, rng: &rng)
            #expect(out.count == expected.count)
            let maxErr = zip(out.array, expected).map { abs(Double($0) - $1) }.max()!
            #expect(maxErr <= 1e-5, "max |engine − reference| = \(maxErr) (training: \(training))")
        }
    }

    @Test(arguments: CellType.allCases, [false, true])
    func gradientsMatchFiniteDifferences(cell: CellType, bidirectional: Bool) {
        checkGradients(Self.makeNetwork(cell, bidirectional: bidirectional), withMasks: false)
    }

    /// Dropout on (p = 0.3): the reference applies the masks the engine drew, so this checks the
    /// backward pass through the masks.
    @Test(arguments: CellType.allCases)
    func gradientsWithDropoutMatchFiniteDifferences(cell: CellType) {
        checkGradients(Self.makeNetwork(cell, bidirectional: true, dropout: 0.3), withMasks: true)
    }

    func checkGradients(_ net: SequenceNetwork, withMasks: Bool) {
        let batch = Self.makeBatch()
        let w = TestData.weights(count: batch.steps * batch.batchSize * 2, seed: 77)
        var rng = RandomSource(seed: 3)
        let (_, dx) = TestData.forwardBackward(net, batch, lossWeights: w, rng: &rng)

        var masks: [[Double]]? = nil
        if withMasks {
            let ws = net.trainingWorkspace!
            let count = batch.steps * batch.batchSize * 2 * net.config.hiddenSize
            masks = (0..<(net.config.numLayers - 1)).map { k in
                Array(ws.masks[k]!.array.prefix(count)).map(Double.init)
            }
            let zeros = masks![0].filter { $0 == 0 }.count
            #expect(zeros > 0 && zeros < count, "dropout drew a degenerate mask")
        }

        var ref = ReferenceNetwork(net)
        let x = batch.values.array.map(Double.init)
        let wd = w.array.map(Double.init)
        let eps = 1e-6
        var sampler = RandomSource(seed: 11)
        var worst = 0.0
        for p in net.parameters {
            let indices = p.count <= 24 ? Array(0..<p.count) : (0..<24).map { _ in sampler.nextInt(below: p.count) }
            for i in indices {
                let saved = ref.params[p.name]![i]
                ref.params[p.name]![i] = saved + eps
                let up = Self.referenceLoss(ref, x, wd, masks: masks)
                ref.params[p.name]![i] = saved - eps
                let down = Self.referenceLoss(ref, x, wd, masks: masks)
                ref.params[p.name]![i] = saved
                let numeric = (up - down) / (2 * eps)
                worst = max(worst, abs(Double(p.grad[i]) - numeric))
                #expect(Self.close(p.grad[i], numeric),
                        "\(p.name)[\(i)]: analytic \(p.grad[i]), numeric \(numeric)")
            }
        }

        // Input gradient: every valid entry by finite differences, exactly zero in the padding.
        let B = batch.batchSize, I = batch.features
        for t in 0..<batch.steps {
            for b in 0..<B {
                for f in 0..<I {
                    let i = (t * B + b) * I + f
                    if t >= Self.lengths[b] {
                        #expect(dx[i] == 0, "input gradient at padded step t=\(t) b=\(b) is \(dx[i])")
                        continue
                    }
                    var xp = x; xp[i] += eps
                    var xm = x; xm[i] -= eps
                    let numeric = (Self.referenceLoss(ref, xp, wd, masks: masks)
                                   - Self.referenceLoss(ref, xm, wd, masks: masks)) / (2 * eps)
                    #expect(Self.close(dx[i], numeric), "input[\(t),\(b),\(f)]: analytic \(dx[i]), numeric \(numeric)")
                }
            }
        }
        #expect(worst < 1e-3)
    }
}
