import Foundation
import Testing
@testable import SeqNet

/// The production shape (4 × BiGRU 64, 89 inputs) against the Float64 reference: forward values
/// and a sample of gradients by finite differences (the gradient checks use a small network).
@Suite struct GRUTests {
    @Test func productionShapeMatchesReference() {
        ProductionShapeCheck.run(cell: .gru)
    }

    /// One step by hand: with all weights zero, r = z = σ(b), n = tanh(b_in + r·b_hn),
    /// h = (1 − z)·n (h_prev = 0), and the head reads h.
    @Test func singleStepByHand() {
        let config = NetworkConfig(cell: .gru, inputSize: 2, hiddenSize: 3, numLayers: 1,
                                   bidirectional: false, outputSize: 3)
        let net = SequenceNetwork(config: config, seed: 1)
        let p = Dictionary(uniqueKeysWithValues: net.parameters.map { ($0.name, $0) })
        p["rnn.weight_ih_l0"]!.value.zero(); p["rnn.weight_hh_l0"]!.value.zero()
        let bih: [Float] = [0.1, -0.2, 0.3, 0.4, 0.5, -0.6, 0.7, -0.8, 0.9]
        let bhh: [Float] = [0.2, 0.1, -0.1, -0.3, 0.2, 0.1, 0.5, 0.25, -0.5]
        for j in 0..<9 { p["rnn.bias_ih_l0"]!.value[j] = bih[j]; p["rnn.bias_hh_l0"]!.value[j] = bhh[j] }
        p["head.weight"]!.value.zero(); p["head.bias"]!.value.zero()
        for j in 0..<3 { p["head.weight"]!.value[j * 3 + j] = 1 }   // identity head
        var rng = RandomSource(seed: 1)
        let batch = SequenceBatch(steps: 1, batchSize: 1, features: 2, lengths: [1], values: FloatBuffer([3, -4]))
        let out = net.forward(batch, training: false, rng: &rng)
        func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
        for j in 0..<3 {
            let r = sigmoid(Double(bih[j] + bhh[j])), z = sigmoid(Double(bih[3 + j] + bhh[3 + j]))
            let n = tanh(Double(bih[6 + j]) + r * Double(bhh[6 + j]))
            #expect(abs(Double(out[j]) - (1 - z) * n) <= 1e-6)
        }
    }
}

/// Shared by the GRU and LSTM production-shape tests.
enum ProductionShapeCheck {
    static func run(cell: CellType) {
        let config = NetworkConfig(cell: cell, inputSize: 89, hiddenSize: 64, numLayers: 4,
                                   bidirectional: true, outputSize: 1)
        let net = SequenceNetwork(config: config, seed: 21)
        net.threads = 2
        let lengths = [6, 3, 5]
        let batch = TestData.batch(steps: 6, lengths: lengths, features: 89, seed: 22, padding: .nan)
        let w = TestData.weights(count: 6 * 3, seed: 23)
        var rng = RandomSource(seed: 1)
        let (out, dx) = TestData.forwardBackward(net, batch, lossWeights: w, rng: &rng)
        var ref = ReferenceNetwork(net)
        let x = batch.values.array.map(Double.init), wd = w.array.map(Double.init)
        let expected = ref.forward(x, steps: 6, batch: 3, lengths: lengths)
        let maxErr = zip(out.array, expected).map { abs(Double($0) - $1) }.max()!
        #expect(maxErr <= 1e-5, "max |engine − reference| = \(maxErr)")

        func loss() -> Double {
            zip(ref.forward(x, steps: 6, batch: 3, lengths: lengths), wd).reduce(0) { $0 + $1.0 * $1.1 }
        }
        let eps = 1e-6
        var sampler = RandomSource(seed: 3)
        // First and last layer, both directions, and the head: two entries each.
        let names = ["rnn.weight_ih_l0", "rnn.weight_hh_l0_reverse", "rnn.bias_hh_l3", "rnn.weight_ih_l3_reverse",
                     "rnn.bias_ih_l1_reverse", "head.weight"]
        for p in net.parameters where names.contains(p.name) {
            for _ in 0..<2 {
                let i = sampler.nextInt(below: p.count)
                let saved = ref.params[p.name]![i]
                ref.params[p.name]![i] = saved + eps
                let up = loss()
                ref.params[p.name]![i] = saved - eps
                let down = loss()
                ref.params[p.name]![i] = saved
                let numeric = (up - down) / (2 * eps)
                #expect(GradientCheckTests.close(p.grad[i], numeric), "\(p.name)[\(i)]: analytic \(p.grad[i]), numeric \(numeric)")
            }
        }
        let i = (2 * 3 + 2) * 89 + 40   // t = 2, sequence 2
        var xp = x; xp[i] += eps
        let up = zip(ref.forward(xp, steps: 6, batch: 3, lengths: lengths), wd).reduce(0) { $0 + $1.0 * $1.1 }
        xp[i] -= 2 * eps
        let down = zip(ref.forward(xp, steps: 6, batch: 3, lengths: lengths), wd).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(GradientCheckTests.close(dx[i], (up - down) / (2 * eps)))
    }
}
