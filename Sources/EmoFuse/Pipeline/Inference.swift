/// Running a trained network over whole sequences.
public enum Inference {
    /// The most sequences one batch holds (see ``predict(_:sequences:batchSize:reusing:)``):
    /// three of the GEMM's 6-row tiles.
    public static let defaultBatchSize = 18

    /// Predicts every sequence whole (no windows). Returns one `rows × outputSize` row-major
    /// array per sequence, in the order given.
    ///
    /// The sequences run sorted longest first, cut into the fewest batches of at most `batchSize`
    /// with near-equal counts (40 sequences: 14, 14 and 12, not 18, 18 and a partial 4), so
    /// every batch pads little and each step's recurrent product covers only the sequences still
    /// running. Every row of a batch is computed independently of the others, so the results do
    /// not depend on the batching (bit for bit). The cap was 16 (69 sequences: 5 batches of 14,
    /// whose third 6-row tile per step is two-thirds empty); `bench train` on BiGRU-89 (69
    /// sequences of 600 steps, 1 thread, Zen 4 VM, interleaved) measured 18 faster in 10 of 11
    /// pairs, by 0.6–3.7 % in the last 6 and by 7 % in median in the first 5; at 2 threads, and
    /// on the 4097-wide auto-encoder, no difference beyond noise.
    /// With `reusing` a batch the caller is done with, its memory holds the batches.
    public static func predict(_ network: SequenceNetwork, sequences: [ModelSequence],
                               batchSize: Int = defaultBatchSize, reusing batch: TrainingBatch? = nil) -> [[Float]] {
        let outputSize = network.config.outputSize
        let results = Slots<[Float]>(count: sequences.count, initial: [])
        forEachOutput(network, sequences: sequences, batchSize: batchSize, reusing: batch) { i, output, stride in
            let rows = sequences[i].rows
            var values = [Float](repeating: 0, count: rows * outputSize)
            values.withUnsafeMutableBufferPointer { dst in
                for t in 0..<rows {
                    (dst.baseAddress! + t * outputSize).update(from: output + t * stride, count: outputSize)
                }
            }
            results[i] = values
        }
        return results.array
    }

    /// Runs every sequence whole, batched as ``predict(_:sequences:batchSize:reusing:)`` describes, and
    /// hands `body` each sequence's output where the batch holds it: `(index, row 0, row stride)`,
    /// step `t`'s `outputSize` values at `row0 + t · stride`, valid until `body` returns.
    /// With `network.threads ≥ 2` the sequences of a batch are dealt to that many threads
    /// (alternately, so that long and short ones mix): `body` runs concurrently for different
    /// sequences and must write only what belongs to its index (``Slots``). What it computes per
    /// sequence does not depend on the thread, so results keep their bits.
    static func forEachOutput(_ network: SequenceNetwork, sequences: [ModelSequence], batchSize: Int,
                              reusing batch: TrainingBatch? = nil,
                              _ body: (Int, UnsafePointer<Float>, Int) -> Void) {
        precondition(batchSize > 0, "Inference.predict: batchSize must be positive")
        guard !sequences.isEmpty else { return }
        let inputSize = network.config.inputSize, outputSize = network.config.outputSize
        let order = sequences.indices.sorted { (sequences[$0].rows, $1) > (sequences[$1].rows, $0) }
        let batches = (sequences.count + batchSize - 1) / batchSize
        let perBatch = (sequences.count + batches - 1) / batches
        var rng = RandomSource(seed: 0)   // unused: no dropout at inference
        var first = 0
        var previous = batch              // later batches are no larger: they reuse the first's memory
        while first < order.count {
            let chunk = order[first..<min(first + perBatch, order.count)]
            first += perBatch
            let batch = TrainingBatch(chunk.map { (sequences[$0], 0, sequences[$0].rows) },
                                      inputSize: inputSize, outputSize: 0, reusing: previous,
                                      threads: network.threads)
            previous = batch
            let output = network.forward(batch.input, training: false, rng: &rng)
            let b = chunk.count, indices = Array(chunk)
            let parts = max(1, min(network.threads, b))
            forEachChunk(of: parts, threads: parts) { range in
                for part in range {
                    for j in stride(from: part, to: b, by: parts) {
                        body(indices[j], UnsafePointer(output.pointer + j * outputSize), b * outputSize)
                    }
                }
            }
        }
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
        // Straight from the batch output: a 4097-wide reconstruction of every sequence is never
        // materialised (69 sequences of 600 steps: 678 MB).
        let d = network.config.outputSize
        let errors = Slots<[Float]>(count: sequences.count, initial: [])
        forEachOutput(network, sequences: sequences, batchSize: defaultBatchSize) { i, xHat, stride in
            let rows = sequences[i].rows
            errors[i] = sequences[i].inputs.withUnsafeBufferPointer { x in
                [Float](unsafeUninitializedCapacity: rows) { out, count in
                    reconstructionErrorRows(x.baseAddress!, xHat, rows: rows, count: d, stride: stride,
                                         into: out.baseAddress!)
                    count = rows
                }
            }
        }
        return errors.array
    }
}

/// The per-step reconstruction error `(1/d) Σ_i (x_i − x̂_i)²`, summed in order over `i` (the
/// live stream's one step; ``reconstructionErrorRows(_:_:rows:count:stride:into:)`` gives the same bits).
@inline(__always)
func reconstructionError(_ x: UnsafePointer<Float>, _ xHat: UnsafePointer<Float>, count d: Int) -> Float {
    var sum: Float = 0
    for i in 0..<d { let e = x[i] - xHat[i]; sum += e * e }
    return sum / Float(d)
}

/// `reconstructionError` of `rows` steps, `x` row `t` at `x + t·d`, `x̂` row `t` at `xHat + t·stride`,
/// into `out[t]`. Four rows at a time: each row's sum still runs in order over `i` (the same bits
/// as one row at a time), but four independent add chains overlap instead of each add waiting
/// for the previous one.
func reconstructionErrorRows(_ x: UnsafePointer<Float>, _ xHat: UnsafePointer<Float>, rows: Int, count d: Int,
                          stride: Int, into out: UnsafeMutablePointer<Float>) {
    var t = 0
    while t + 4 <= rows {
        let x0 = x + t * d, x1 = x0 + d, x2 = x1 + d, x3 = x2 + d
        let y0 = xHat + t * stride, y1 = y0 + stride, y2 = y1 + stride, y3 = y2 + stride
        var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
        for i in 0..<d {
            let e0 = x0[i] - y0[i], e1 = x1[i] - y1[i], e2 = x2[i] - y2[i], e3 = x3[i] - y3[i]
            s0 += e0 * e0; s1 += e1 * e1; s2 += e2 * e2; s3 += e3 * e3
        }
        out[t] = s0 / Float(d); out[t + 1] = s1 / Float(d); out[t + 2] = s2 / Float(d); out[t + 3] = s3 / Float(d)
        t += 4
    }
    while t < rows {
        out[t] = reconstructionError(x + t * d, xHat + t * stride, count: d)
        t += 1
    }
}
