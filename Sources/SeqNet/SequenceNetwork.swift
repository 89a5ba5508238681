/// API CONTRACT (development placeholder, replaced by the real implementation).

/// Recurrent cell type.
public enum CellType: String, Codable, Sendable, CaseIterable {
    case gru
    case lstm
}

/// The shape of the one network every model in the system uses: a stack of recurrent layers
/// followed by a linear layer applied at every step.
public struct NetworkConfig: Codable, Equatable, Sendable {
    public var cell: CellType
    public var inputSize: Int
    public var hiddenSize: Int
    public var numLayers: Int
    public var bidirectional: Bool
    public var outputSize: Int
    /// Dropout on the outputs of every recurrent layer but the last (as `nn.GRU(dropout:)`).
    public var dropout: Float

    public init(cell: CellType = .gru, inputSize: Int, hiddenSize: Int = 64, numLayers: Int = 4,
                bidirectional: Bool = true, outputSize: Int = 1, dropout: Float = 0) {
        self.cell = cell; self.inputSize = inputSize; self.hiddenSize = hiddenSize
        self.numLayers = numLayers; self.bidirectional = bidirectional
        self.outputSize = outputSize; self.dropout = dropout
    }
}

/// A padded batch of sequences, time-major: element `(t, b, f)` is at `values[(t * batchSize + b) * features + f]`.
/// Steps `t >= lengths[b]` are padding: they are never read by the network and their outputs are zero.
public struct SequenceBatch: @unchecked Sendable {
    public var steps: Int
    public var batchSize: Int
    public var features: Int
    public var lengths: [Int]
    public var values: FloatBuffer

    public init(steps: Int, batchSize: Int, features: Int, lengths: [Int], values: FloatBuffer) {
        precondition(lengths.count == batchSize && values.count == steps * batchSize * features)
        self.steps = steps; self.batchSize = batchSize; self.features = features
        self.lengths = lengths; self.values = values
    }
}

/// Stacked (bi)GRU/LSTM + per-step linear head, with PyTorch's equations, initialisation and names.
public final class SequenceNetwork: @unchecked Sendable {
    public let config: NetworkConfig
    /// Worker threads (directions of a layer run in parallel; large products are row-split).
    public var threads: Int = 1

    /// PyTorch default initialisation drawn from `RandomSource(seed:)`.
    public init(config: NetworkConfig, seed: UInt64) { fatalError("contract") }

    /// All trainable tensors in PyTorch `state_dict` order (`rnn.*` then `head.weight`, `head.bias`).
    public var parameters: [Parameter] { fatalError("contract") }

    /// Runs the network. Returns `[steps × batchSize × outputSize]` time-major, zero at padded steps.
    /// With `training` true, dropout is applied (masks drawn from `rng`) and activations are kept for `backward`.
    public func forward(_ batch: SequenceBatch, training: Bool, rng: inout RandomSource) -> FloatBuffer { fatalError("contract") }

    /// Back-propagates `gradOutput` (same layout as the last training forward's output) and
    /// ADDS the parameter gradients into each `Parameter.grad`.
    public func backward(_ gradOutput: FloatBuffer) { fatalError("contract") }

    /// Sets every parameter gradient to zero.
    public func zeroGradients() { for p in parameters { p.grad.zero() } }
}
