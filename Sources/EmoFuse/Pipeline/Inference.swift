/// Running a trained network over whole sequences.
public enum Inference {
    /// Predicts every sequence whole (no windows), in padded batches of up to `batchSize`.
    /// Returns one `rows × outputSize` row-major array per sequence, in order.
    public static func predict(_ network: SequenceNetwork, sequences: [ModelSequence], batchSize: Int = 16) -> [[Float]] {
        let inputSize = network.config.inputSize, outputSize = network.config.outputSize
        var results: [[Float]] = []
        results.reserveCapacity(sequences.count)
        var rng = RandomSource(seed: 0)   // unused: no dropout at inference
        var first = 0
        while first < sequences.count {
            let chunk = Array(sequences[first..<min(first + batchSize, sequences.count)])
            first += batchSize
            let batch = TrainingBatch(chunk.map { ($0, 0, $0.rows) }, inputSize: inputSize, outputSize: 0)
            let output = network.forward(batch.input, training: false, rng: &rng)
            let b = chunk.count
            for (j, s) in chunk.enumerated() {
                var values = [Float](repeating: 0, count: s.rows * outputSize)
                for t in 0..<s.rows {
                    for o in 0..<outputSize { values[t * outputSize + o] = output[(t * b + j) * outputSize + o] }
                }
                results.append(values)
            }
        }
        return results
    }

    /// Global CCC over all frames with a label (single-output predictions and targets).
    public static func ccc(predictions: [[Float]], sequences: [ModelSequence]) -> Double {
        var p: [Float] = [], y: [Float] = []
        for (pred, s) in zip(predictions, sequences) {
            for t in 0..<s.rows where !s.targets[t].isNaN {
                p.append(pred[t]); y.append(s.targets[t])
            }
        }
        return concordanceCorrelation(p, y)
    }

    /// Per-step reconstruction error `RE_t = (1/d) Σ_i (x_t,i − x̂_t,i)²` for every sequence.
    public static func reconstructionErrors(_ network: SequenceNetwork, sequences: [ModelSequence]) -> [[Float]] {
        let d = network.config.outputSize
        let reconstructions = predict(network, sequences: sequences)
        return zip(reconstructions, sequences).map { xHat, s in
            (0..<s.rows).map { t in
                var sum: Float = 0
                for i in 0..<d { let e = s.inputs[t * d + i] - xHat[t * d + i]; sum += e * e }
                return sum / Float(d)
            }
        }
    }
}
