import Testing
import SeqNet
@testable import EmoFuse

/// `Inference.predict` sorts and batches sequences; the predictions must not depend on that.
@Suite struct InferenceTests {
    @Test(arguments: CellType.allCases)
    func predictionsDoNotDependOnBatching(cell: CellType) {
        let lengths = [5, 12, 3, 12, 7, 1, 9]
        var rng = RandomSource(seed: 3)
        let sequences = lengths.enumerated().map { i, n in
            ModelSequence(id: "s\(i)", partition: .devel, rows: n,
                          inputs: (0..<n * 4).map { _ in rng.uniform(-1, 1) },
                          targets: [Float](repeating: 0, count: n * 2))
        }
        let network = SequenceNetwork(config: NetworkConfig(cell: cell, inputSize: 4, hiddenSize: 8, numLayers: 2,
                                                            bidirectional: true, outputSize: 2), seed: 5)
        let alone = sequences.map { Inference.predict(network, sequences: [$0])[0] }
        for batchSize in [1, 3, 6, Inference.defaultBatchSize] {
            let together = Inference.predict(network, sequences: sequences, batchSize: batchSize)
            #expect(together == alone, "batchSize \(batchSize)")
        }
        #expect(zip(alone, lengths).allSatisfy { $0.count == $1 * 2 })
    }

    /// With two or three threads the sequences of a batch are dealt to threads: predictions,
    /// reconstruction errors and the devel MSE keep their bits, each under its own index.
    @Test func threadsDealSequencesWithoutChangingResults() {
        let lengths = [5, 12, 3, 12, 7, 1, 9, 4]
        var rng = RandomSource(seed: 7)
        let sequences = lengths.enumerated().map { i, n -> ModelSequence in
            let x = (0..<n * 4).map { _ in rng.uniform(-1, 1) }
            return ModelSequence(id: "s\(i)", partition: .devel, rows: n, inputs: x, targets: x)
        }
        let network = SequenceNetwork(config: NetworkConfig(cell: .gru, inputSize: 4, hiddenSize: 8, numLayers: 2,
                                                            bidirectional: true, outputSize: 4), seed: 6)
        var seen: [(predictions: [[Float]], errors: [[Float]], mse: Double)] = []
        for threads in [1, 2, 3] {
            network.threads = threads
            seen.append((Inference.predict(network, sequences: sequences, batchSize: 6),
                         Inference.reconstructionErrors(network, sequences: sequences),
                         Trainer.evaluate(network, sequences: sequences, objective: .reconstruction,
                                          outputSize: 4, threads: threads)))
        }
        for s in seen.dropFirst() {
            #expect(s.predictions == seen[0].predictions)
            #expect(s.errors == seen[0].errors)
            #expect(s.mse == seen[0].mse)
        }
        // Every index got its own sequence: the REs are the per-step errors of its predictions.
        for (i, seq) in sequences.enumerated() {
            #expect(seen[1].errors[i].count == seq.rows)
            let predicted: [Float] = seen[1].predictions[i], errors: [Float] = seen[1].errors[i]
            for t in 0..<seq.rows {
                var sum: Float = 0
                for k in 0..<4 {
                    let e: Float = seq.inputs[t * 4 + k] - predicted[t * 4 + k]
                    sum += e * e
                }
                let re: Float = sum / 4
                #expect(abs(errors[t] - re) <= 1e-6 * max(1, re))
            }
        }
    }
}
