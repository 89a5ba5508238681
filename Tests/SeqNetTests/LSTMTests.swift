import Foundation
import Testing
@testable import SeqNet

@Suite struct LSTMTests {
    @Test func productionShapeMatchesReference() {
        ProductionShapeCheck.run(cell: .lstm)
    }

    /// Two steps by hand with all weights zero: every step has the same gates
    /// i, f, o = σ(b), g = tanh(b), so c₁ = i·g, c₂ = f·c₁ + i·g, h = o·tanh(c).
    @Test func twoStepsByHand() {
        let config = NetworkConfig(cell: .lstm, inputSize: 2, hiddenSize: 2, numLayers: 1,
                                   bidirectional: false, outputSize: 2)
        let net = SequenceNetwork(config: config, seed: 1)
        let p = Dictionary(uniqueKeysWithValues: net.parameters.map { ($0.name, $0) })
        p["rnn.weight_ih_l0"]!.value.zero(); p["rnn.weight_hh_l0"]!.value.zero()
        let bih: [Float] = [0.1, -0.2, 0.3, 0.4, 0.5, -0.6, 0.7, -0.8]
        let bhh: [Float] = [0.2, 0.1, -0.1, -0.3, 0.2, 0.1, 0.5, 0.25]
        for j in 0..<8 { p["rnn.bias_ih_l0"]!.value[j] = bih[j]; p["rnn.bias_hh_l0"]!.value[j] = bhh[j] }
        p["head.weight"]!.value.copy(from: FloatBuffer([1, 0, 0, 1]))
        p["head.bias"]!.value.zero()
        var rng = RandomSource(seed: 1)
        let batch = SequenceBatch(steps: 2, batchSize: 1, features: 2, lengths: [2],
                                  values: FloatBuffer([3, -4, 1, 2]))
        let out = net.forward(batch, training: true, rng: &rng)
        func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
        for j in 0..<2 {
            let b = (0..<4).map { Double(bih[$0 * 2 + j] + bhh[$0 * 2 + j]) }
            let i = sigmoid(b[0]), f = sigmoid(b[1]), g = tanh(b[2]), o = sigmoid(b[3])
            let c1 = i * g, c2 = f * c1 + i * g
            #expect(abs(Double(out[j]) - o * tanh(c1)) <= 1e-6)
            #expect(abs(Double(out[2 + j]) - o * tanh(c2)) <= 1e-6)
        }
    }
}
