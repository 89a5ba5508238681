@testable import SeqNet

/// Test data helpers.
enum TestData {
    /// A time-major batch with values in [-1, 1) at valid steps and `padding` at padded steps.
    static func batch(steps: Int, lengths: [Int], features: Int, seed: UInt64,
                      padding: Float = 0) -> SequenceBatch {
        var rng = RandomSource(seed: seed)
        let B = lengths.count
        let values = FloatBuffer(count: steps * B * features)
        for t in 0..<steps {
            for b in 0..<B {
                for f in 0..<features {
                    let v = rng.uniform(-1, 1)
                    values[(t * B + b) * features + f] = t < lengths[b] ? v : padding
                }
            }
        }
        return SequenceBatch(steps: steps, batchSize: B, features: features, lengths: lengths, values: values)
    }

    /// The same batch with every padded value replaced by `garbage(index)`.
    static func withPadding(_ batch: SequenceBatch, _ garbage: (Int) -> Float) -> SequenceBatch {
        let values = batch.values.copy()
        let B = batch.batchSize, I = batch.features
        for t in 0..<batch.steps {
            for b in 0..<B where t >= batch.lengths[b] {
                for f in 0..<I { let i = (t * B + b) * I + f; values[i] = garbage(i) }
            }
        }
        return SequenceBatch(steps: batch.steps, batchSize: B, features: I, lengths: batch.lengths, values: values)
    }

    /// Uniform random weights in [-1, 1) (the loss `Σ w ⊙ output`), nonzero at padded steps too.
    static func weights(count: Int, seed: UInt64) -> FloatBuffer {
        var rng = RandomSource(seed: seed)
        let w = FloatBuffer(count: count)
        for i in 0..<count { w[i] = rng.uniform(-1, 1) }
        return w
    }

    /// Runs a training forward and backward of the loss `Σ w ⊙ output` from zeroed gradients.
    /// Returns the output and the input gradient.
    @discardableResult
    static func forwardBackward(_ net: SequenceNetwork, _ batch: SequenceBatch, lossWeights: FloatBuffer,
                                rng: inout RandomSource) -> (output: FloatBuffer, inputGradient: FloatBuffer) {
        net.zeroGradients()
        let out = net.forward(batch, training: true, rng: &rng)
        let dx = FloatBuffer(count: batch.values.count)
        net.backward(lossWeights, inputGradient: dx)
        return (out, dx)
    }

    /// All parameter gradients, concatenated in `parameters` order.
    static func gradients(_ net: SequenceNetwork) -> [Float] {
        net.parameters.flatMap { $0.grad.array }
    }
}
