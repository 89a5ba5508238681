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
}
