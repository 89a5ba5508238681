/// What a model sees: one sequence per subject, inputs and targets row-aligned.
///
/// Built from ``AlignedData``: inputs are the z-scored feature columns, targets are either one
/// emotion column (a regressor; NaN = unlabelled step, masked out of loss and metric) or the
/// inputs themselves (an auto-encoder).
public struct ModelSequence: Sendable {
    public let id: String
    public let partition: Partition
    public let rows: Int
    /// `rows × inputSize`, row-major, no NaN.
    public let inputs: [Float]
    /// `rows × outputSize`, row-major; NaN marks a step without a label.
    public let targets: [Float]

    /// `inputs.count` and `targets.count` must be multiples of `rows` (the caller's sizes).
    public init(id: String, partition: Partition, rows: Int, inputs: [Float], targets: [Float]) {
        precondition(rows >= 0 && (rows == 0 || (inputs.count % rows == 0 && targets.count % rows == 0)),
                     "ModelSequence \(id): \(inputs.count) inputs and \(targets.count) targets for \(rows) rows")
        self.id = id; self.partition = partition; self.rows = rows
        self.inputs = inputs; self.targets = targets
    }
}

/// A set of sequences with fixed input and output sizes.
public struct ModelData: Sendable {
    public let inputSize: Int
    public let outputSize: Int
    public let sequences: [ModelSequence]

    public init(inputSize: Int, outputSize: Int, sequences: [ModelSequence]) {
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.sequences = sequences
    }

    /// Regression data: inputs = aligned features, target = the column of `emotion`.
    public static func regression(_ data: AlignedData, emotion: String) -> ModelData {
        guard let e = data.emotions.firstIndex(of: emotion) else {
            preconditionFailure("emotion \(emotion) not in aligned data \(data.emotions)")
        }
        let ne = data.emotions.count
        let seqs = data.subjects.map { s in
            ModelSequence(id: s.id, partition: s.partition, rows: s.rows, inputs: s.features,
                          targets: (0..<s.rows).map { s.targets[$0 * ne + e] })
        }
        return ModelData(inputSize: data.featureDim, outputSize: 1, sequences: seqs)
    }

    /// Auto-encoder data: targets are the inputs.
    public static func autoencoder(_ data: AlignedData) -> ModelData {
        let seqs = data.subjects.map { s in
            ModelSequence(id: s.id, partition: s.partition, rows: s.rows, inputs: s.features, targets: s.features)
        }
        return ModelData(inputSize: data.featureDim, outputSize: data.featureDim, sequences: seqs)
    }

    public func sequences(in partition: Partition) -> [ModelSequence] {
        sequences.filter { $0.partition == partition }
    }
}

/// A padded, time-major batch of (parts of) sequences with targets and a loss mask.
public struct TrainingBatch {
    public let input: SequenceBatch
    /// `[steps × batchSize × outputSize]`, 0 where masked.
    public let targets: FloatBuffer
    /// `[steps × batchSize]`: 1 where the step is inside the sequence and every target is labelled.
    public let mask: FloatBuffer
    public var steps: Int { input.steps }
    public var batchSize: Int { input.batchSize }

    /// Packs `pieces` (sequence, first row, row count) into one batch padded to the longest piece.
    /// With `reusing` another batch, its memory is overwritten wherever it has room instead of
    /// allocating new buffers (for a 4097-wide input a fresh batch is 315 MB to fault in and zero);
    /// the caller must be done with that batch.
    /// With `threads ≥ 2` the pieces are copied on that many threads (same bytes).
    public init(_ pieces: [(sequence: ModelSequence, start: Int, length: Int)], inputSize: Int, outputSize: Int,
                reusing previous: TrainingBatch? = nil, threads: Int = 1) {
        let b = pieces.count
        let steps = pieces.map(\.length).max() ?? 0
        // An auto-encoder's targets are its inputs (the same array storage): the batch then
        // holds them once (`targets` is `input.values`; 315 MB less for a 4097-wide batch).
        let shared = outputSize == inputSize && pieces.allSatisfy { sameStorage($0.sequence.inputs, $0.sequence.targets) }
        let (xCount, yCount, mCount) = (steps * b * inputSize, steps * b * outputSize, steps * b)
        // Prefixes of the previous batch's storage where it has room, whatever its shape or kind
        // (a training batch's memory serves the devel prediction that follows): every row of this
        // shape is written below (valid rows) or zeroed here (padded rows).
        func reused(_ buffer: FloatBuffer?, _ count: Int) -> FloatBuffer {
            guard let buffer, buffer.storage.count >= count else { return FloatBuffer(count: count) }
            return FloatBuffer(prefixOf: buffer, count: count)
        }
        let separateTargets = previous.map { $0.targets.pointer != $0.input.values.pointer } ?? false
        let x = reused(previous?.input.values, xCount)
        let y = shared ? x : reused(separateTargets ? previous?.targets : nil, yCount)
        let m = reused(previous?.mask, mCount)
        if previous != nil {
            // Padded rows: inputs, targets and mask zero, as in a fresh batch.
            for (j, piece) in pieces.enumerated() where piece.length < steps {
                for t in piece.length..<steps {
                    (x.pointer + (t * b + j) * inputSize).update(repeating: 0, count: inputSize)
                    (y.pointer + (t * b + j) * outputSize).update(repeating: 0, count: outputSize)
                    m[t * b + j] = 0
                }
            }
        }
        // Each piece writes only its own rows (t·b + j) and mask entries.
        let copyThreads = steps * b * (inputSize + outputSize) >= 1 << 20 ? threads : 1
        forEachChunk(of: b, threads: copyThreads) { part in
          for j in part {
            let piece = pieces[j]
            piece.sequence.inputs.withUnsafeBufferPointer { src in
                piece.sequence.targets.withUnsafeBufferPointer { tgt in
                    for t in 0..<piece.length {
                        let row = piece.start + t
                        (x.pointer + (t * b + j) * inputSize)
                            .update(from: src.baseAddress! + row * inputSize, count: inputSize)
                        if shared {
                            // Inputs hold no NaN (ModelSequence's contract); should one slip in,
                            // the step is unlabelled and the NaN becomes 0, as a separate copy does.
                            let row = x.pointer + (t * b + j) * inputSize
                            var labelled = true
                            if containsNaN(row, count: inputSize) {
                                for o in 0..<inputSize where row[o].isNaN { labelled = false; row[o] = 0 }
                            }
                            m[t * b + j] = labelled ? 1 : 0
                            continue
                        }
                        var labelled = true
                        let yDst = y.pointer + (t * b + j) * outputSize
                        for o in 0..<outputSize {
                            let v = tgt[row * outputSize + o]
                            if v.isNaN { labelled = false; yDst[o] = 0 } else { yDst[o] = v }
                        }
                        m[t * b + j] = labelled ? 1 : 0
                    }
                }
            }
          }
        }
        input = SequenceBatch(steps: steps, batchSize: b, features: inputSize,
                              lengths: pieces.map(\.length), values: x)
        targets = y
        mask = m
    }
}

/// Whether any of `count` floats at `p` is NaN (8 at a time: a NaN is the one value unequal to itself).
private func containsNaN(_ p: UnsafePointer<Float>, count: Int) -> Bool {
    var i = 0, any = SIMDMask<SIMD8<Int32>>(repeating: false)
    while i + 8 <= count {
        let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
        any = any .| (v .!= v)
        i += 8
    }
    while i < count { if p[i].isNaN { return true }; i += 1 }
    return any != SIMDMask(repeating: false)
}

/// Whether two arrays share one storage (an auto-encoder's targets are its inputs).
private func sameStorage(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in pa.baseAddress == pb.baseAddress }
    }
}
