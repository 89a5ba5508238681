import Testing
import SeqNet
@testable import EmoFuse

/// `TrainingBatch` copies its pieces on several threads when the batch is large; the buffers must
/// be the same bytes as one thread's, for a regressor (separate targets with unlabelled steps) and
/// an auto-encoder (targets are the inputs, two of them NaN), fresh and reusing a batch's memory;
/// and the mask must be exactly the expected one (padding, unlabelled steps, NaN rows).
@Suite struct TrainingBatchTests {
    @Test(arguments: [false, true])
    func threadsGiveTheSameBatch(autoencoder: Bool) {
        // 8 pieces × 300 steps × 523 features: above the split size; 523 = 65·8 + 3, so the NaN
        // in the last column lies in the NaN scan's scalar tail, the one in column 3 in its vectors.
        let (width, rows) = (523, 300)
        var rng = RandomSource(seed: 6)
        let nanRows = [60, 200]   // of sequence 2, inside both of its pieces (rows 40..<286, 140..<293)
        let sequences = (0..<5).map { i -> ModelSequence in
            var x = (0..<rows * width).map { _ in rng.uniform(-1, 1) }
            if i == 2 { x[nanRows[0] * width + 3] = .nan; x[nanRows[1] * width + width - 1] = .nan }
            var y = (0..<rows).map { _ in rng.uniform(-1, 1) }
            y[40] = .nan
            return ModelSequence(id: "s\(i)", partition: .train, rows: rows, inputs: x, targets: autoencoder ? x : y)
        }
        let pieces = (0..<8).map { j in (sequence: sequences[j % 5], start: j * 20, length: rows - j * 20 - (j % 3) * 7) }
        let outputSize = autoencoder ? width : 1
        // Bit patterns: a regressor's input keeps its NaN, and NaN != NaN.
        func contents(_ b: TrainingBatch) -> [[UInt32]] {
            [b.input.values.array, b.targets.array, b.mask.array].map { $0.map(\.bitPattern) }
        }
        let one = TrainingBatch(pieces, inputSize: width, outputSize: outputSize, threads: 1)
        let two = TrainingBatch(pieces, inputSize: width, outputSize: outputSize, threads: 2)
        #expect(contents(two) == contents(one))
        // The mask, from the definition: valid steps whose target row holds no NaN.
        var expected = [Float](repeating: 0, count: one.mask.count)
        for (j, piece) in pieces.enumerated() {
            for t in 0..<piece.length {
                let row = piece.start + t
                let unlabelled = autoencoder ? (piece.sequence.id == "s2" && nanRows.contains(row))
                                             : piece.sequence.targets[row].isNaN
                expected[t * pieces.count + j] = unlabelled ? 0 : 1
            }
        }
        #expect(one.mask.array == expected)
        if autoencoder {
            #expect(!one.input.values.array.contains { $0.isNaN } && !one.targets.array.contains { $0.isNaN },
                    "the auto-encoder's NaN rows are zeroed in its input and target")
        }
        // Reusing a batch whose memory holds other values.
        let other = TrainingBatch(Array(pieces.reversed()), inputSize: width, outputSize: outputSize, threads: 1)
        let reused = TrainingBatch(pieces, inputSize: width, outputSize: outputSize, reusing: other, threads: 2)
        #expect(contents(reused) == contents(one))
    }
}
