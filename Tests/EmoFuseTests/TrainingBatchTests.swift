import Testing
import SeqNet
@testable import EmoFuse

/// `TrainingBatch` copies its pieces on several threads when the batch is large; the buffers must
/// be the same bytes as one thread's, for a regressor (separate targets with unlabelled steps) and
/// an auto-encoder (targets are the inputs, one of them NaN), fresh and reusing a batch's memory.
@Suite struct TrainingBatchTests {
    @Test(arguments: [false, true])
    func threadsGiveTheSameBatch(autoencoder: Bool) {
        let (width, rows) = (520, 300)   // 8 pieces × 300 steps × 520 features: above the split size
        var rng = RandomSource(seed: 6)
        let sequences = (0..<5).map { i -> ModelSequence in
            var x = (0..<rows * width).map { _ in rng.uniform(-1, 1) }
            if i == 2 { x[17 * width + 3] = .nan }
            var y = (0..<rows).map { _ in rng.uniform(-1, 1) }
            y[40] = .nan
            return ModelSequence(id: "s\(i)", partition: .train, rows: rows, inputs: x, targets: autoencoder ? x : y)
        }
        let pieces = (0..<8).map { j in (sequence: sequences[j % 5], start: j * 20, length: rows - j * 20 - (j % 3) * 7) }
        let outputSize = autoencoder ? width : 1
        func contents(_ b: TrainingBatch) -> [[Float]] { [b.input.values.array, b.targets.array, b.mask.array] }
        let one = TrainingBatch(pieces, inputSize: width, outputSize: outputSize, threads: 1)
        let two = TrainingBatch(pieces, inputSize: width, outputSize: outputSize, threads: 2)
        #expect(contents(two) == contents(one))
        #expect(one.mask.array.contains(0) && one.mask.array.contains(1))
        // Reusing a batch whose memory holds other values.
        let other = TrainingBatch(Array(pieces.reversed()), inputSize: width, outputSize: outputSize, threads: 1)
        let reused = TrainingBatch(pieces, inputSize: width, outputSize: outputSize, reusing: other, threads: 2)
        #expect(contents(reused) == contents(one))
    }
}
