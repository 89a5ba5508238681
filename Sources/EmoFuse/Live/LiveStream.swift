import SeqNet

/// A causal system run one step at a time (made by ``LiveSystem/makeStream()``): each model of
/// the chain keeps its recurrent state in a ``SeqNet/StreamState`` and steps once per frame.
///
/// A frame gives each raw feature set's row for one step; a set left out (or a row of NaN, or
/// NaN cells) is missing, as an empty row is in training: it becomes 0 after z-scoring.
/// Stepping a recording's rows in order gives the values of ``LiveSystem/predict(_:)``.
public final class LiveStream: @unchecked Sendable {
    public let system: LiveSystem
    /// Steps taken.
    public private(set) var steps = 0
    /// The reconstruction error of each auto-encoder at the last step, in
    /// ``LiveSystem/reconstructionErrorNames`` order.
    public private(set) var reconstructionErrors: [Float]

    private let steppers: [SequenceStepper]
    private let states: [StreamState]
    /// Per model: its z-scored input row and its output row.
    private let inputRows: [FloatBuffer]
    private let outputRows: [FloatBuffer]
    /// Per model: the value it passes on (prediction or RE) at this step.
    private var values: [Float]
    /// Per raw set (``LiveSystem/featureSets`` order): the row of this step, NaN = missing.
    private let rawRows: [FloatBuffer]
    private let rawIndex: [String: Int]
    private let autoencoders: [Int]

    init(system: LiveSystem) {
        self.system = system
        // The system checked that every model is unidirectional.
        steppers = system.models.map { try! SequenceStepper($0.network) }
        states = steppers.map { $0.makeState(streams: 1) }
        inputRows = system.models.map { FloatBuffer(count: $0.network.config.inputSize) }
        outputRows = system.models.map { FloatBuffer(count: $0.network.config.outputSize) }
        values = [Float](repeating: 0, count: system.models.count)
        rawRows = system.featureSets.map { FloatBuffer(count: system.widths[$0]!) }
        rawIndex = Dictionary(uniqueKeysWithValues: system.featureSets.enumerated().map { ($1, $0) })
        autoencoders = system.models.indices.filter { system.models[$0].card.role == .autoencoder }
        reconstructionErrors = [Float](repeating: 0, count: autoencoders.count)
        clearFrame()
    }

    /// One step: `frame` maps raw feature sets to their row for this step (sets left out are
    /// missing). Returns the output model's value.
    public func push(_ frame: [String: [Float]]) throws(LiveError) -> Float {
        for (set, row) in frame {
            guard let i = rawIndex[set] else { throw .unknownFeatureSet(set, known: system.featureSets) }
            guard row.count == rawRows[i].count else { throw .wrongWidth(set: set, expected: rawRows[i].count, got: row.count) }
        }
        for (set, row) in frame {
            let dst = rawRows[rawIndex[set]!].pointer
            row.withUnsafeBufferPointer { dst.update(from: $0.baseAddress!, count: row.count) }
        }
        return advance()
    }

    /// Starts a new recording: zero state, no step taken.
    public func reset() {
        for s in states { s.reset() }
        steps = 0
        clearFrame()
    }

    // MARK: The allocation-free path (the CLI fills rows in place)

    /// Where raw set `set`'s row for the next step goes (`width(of: set)` floats), or nil.
    func rowBuffer(_ set: String) -> UnsafeMutablePointer<Float>? { rawIndex[set].map { rawRows[$0].pointer } }

    /// Marks every raw set missing for the next step.
    func clearFrame() { for r in rawRows { r.fill(.nan) } }

    /// Steps every model once on the rows in the buffers, then marks them missing again.
    func advance() -> Float {
        for (m, model) in system.models.enumerated() {
            let row = inputRows[m].pointer
            var offset = 0
            for input in model.inputs {
                switch input {
                case .raw(let set):
                    let src = rawRows[rawIndex[set]!]
                    (row + offset).update(from: src.pointer, count: src.count)
                    offset += src.count
                case .model(let j):
                    row[offset] = values[j]
                    offset += 1
                }
            }
            model.card.normalizer.apply(to: row, rows: 1)
            let out = outputRows[m].pointer
            steppers[m].step(UnsafePointer(row), state: states[m], output: out)
            values[m] = model.card.role == .autoencoder
                ? reconstructionError(row, out, count: outputRows[m].count) : out[0]
        }
        for (k, m) in autoencoders.enumerated() { reconstructionErrors[k] = values[m] }
        steps += 1
        clearFrame()
        return values[values.count - 1]
    }
}
