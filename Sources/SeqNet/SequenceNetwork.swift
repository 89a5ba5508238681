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
/// Steps `t >= lengths[b]` are padding: their content (NaN included) never influences any output or
/// gradient, their outputs are zero and their input gradient is zero.
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
///
/// Shapes: input `[T × B × I]` time-major (a ``SequenceBatch``), each recurrent layer's output
/// `[T × B × dirs·H]` (`[h_forward ; h_reverse]`), output `[T × B × outputSize]`.
/// Sequence `b` is valid for steps `0..<lengths[b]`; the forward direction runs those steps, the
/// reverse direction starts at its own last valid step, states start at zero, padded steps give
/// zero output and receive zero gradient.
///
/// Not safe for concurrent calls on one instance (it owns its workspaces); use one per thread.
public final class SequenceNetwork: @unchecked Sendable {
    public let config: NetworkConfig
    /// Worker threads (directions of a layer run in parallel; large products are row-split; a
    /// unidirectional stack runs as a wavefront of layers, see `forwardWavefront`).
    /// Results are bit-identical for every value.
    public var threads: Int = 1

    /// `[layer][direction]`, direction 0 forward, 1 reverse.
    let layers: [[RecurrentDirection]]
    /// The per-step output layer (`head.weight [out, dirs·H]`, `head.bias [out]`).
    public let head: Linear

    var trainingWorkspace: Workspace?
    var inferenceWorkspace: Workspace?
    /// The GEMM packing buffers of the wavefront's helper thread (a new thread each pass).
    let wavefrontScratch = GemmScratch()
    /// What `backward` needs from the last training forward.
    private var pending: PendingPass?
    /// The storage of the last forward's result (training or inference: one slot, so the devel
    /// prediction between epochs uses the training output's memory), reused by the next forward
    /// that fits once the caller has let go of it (a 4097-wide output is 315 MB per batch to
    /// fault in and zero).
    private var lastOutput: FloatBuffer?

    private struct PendingPass {
        let steps: Int
        let batch: Int
        let lengths: [Int]
        let masked: Bool
        let dropout: Bool
        /// Whether the forward ran as a wavefront (the backward does too).
        let wavefront: Bool
        /// The layer-0 input the forward read (the caller's buffer, or a copy with zeroed padding
        /// when the padding holds non-finite values).
        let input: FloatBuffer
    }

    /// PyTorch default initialisation drawn from `RandomSource(seed:)`: every recurrent tensor
    /// uniform in `±1/√H` (in `parameters` order, each row-major), then the head like `nn.Linear`.
    public init(config: NetworkConfig, seed: UInt64) {
        precondition(config.inputSize > 0 && config.hiddenSize > 0 && config.numLayers > 0
                     && config.outputSize > 0, "SequenceNetwork: sizes must be positive: \(config)")
        precondition(config.dropout >= 0 && config.dropout < 1,
                     "SequenceNetwork: dropout must be in [0, 1), got \(config.dropout)")
        self.config = config
        var rng = RandomSource(seed: seed)
        let dirs = config.bidirectional ? 2 : 1
        var built: [[RecurrentDirection]] = []
        for k in 0..<config.numLayers {
            let inputSize = k == 0 ? config.inputSize : dirs * config.hiddenSize
            built.append((0..<dirs).map { d in
                RecurrentDirection(cell: config.cell, inputSize: inputSize, hiddenSize: config.hiddenSize,
                                   layer: k, reverse: d == 1, rng: &rng)
            })
        }
        layers = built
        head = Linear(inputSize: dirs * config.hiddenSize, outputSize: config.outputSize,
                      name: "head", rng: &rng)
    }

    /// All trainable tensors in PyTorch `state_dict` order (`rnn.*` then `head.weight`, `head.bias`).
    public var parameters: [Parameter] {
        layers.flatMap { $0.flatMap { $0.parameters } } + head.parameters
    }

    private var directions: Int { config.bidirectional ? 2 : 1 }
    /// Whether the two directions of a layer run on two threads.
    private var parallelDirections: Bool { threads >= 2 && directions == 2 }
    /// Threads for a GEMM issued by one direction.
    private var directionThreads: Int { parallelDirections ? max(1, threads / 2) : max(1, threads) }

    /// Runs the network. Returns `[steps × batchSize × outputSize]` time-major, zero at padded steps.
    /// With `training` true, dropout is applied (masks drawn from `rng`) and activations are kept for `backward`;
    /// `batch.values` is then retained and read again by `backward`, so it must not change in between.
    /// An inference forward (`training` false) uses separate, smaller buffers and leaves the last
    /// training forward's state intact. The result is the caller's: the network reuses a result's
    /// memory for a later forward (of either kind) only once the caller no longer holds it.
    public func forward(_ batch: SequenceBatch, training: Bool, rng: inout RandomSource) -> FloatBuffer {
        precondition(batch.features == config.inputSize,
                     "SequenceNetwork.forward: batch has \(batch.features) features, network expects \(config.inputSize)")
        let T = batch.steps, B = batch.batchSize, rows = T * B
        for (b, n) in batch.lengths.enumerated() {
            precondition(n >= 0 && n <= T, "SequenceNetwork.forward: lengths[\(b)] = \(n) outside 0...\(T)")
        }
        let masked = batch.lengths.contains { $0 < T }
        let useDropout = training && config.dropout > 0 && config.numLayers > 1
        let ws: Workspace
        if training {
            ws = trainingWorkspace ?? Workspace(config: config, training: true)
            trainingWorkspace = ws
        } else {
            ws = inferenceWorkspace ?? Workspace(config: config, training: false)
            inferenceWorkspace = ws
        }
        var wavefront = false
        if #available(macOS 15, *) { wavefront = usesWavefront(steps: T, batch: B) }
        ws.reserveForward(steps: T, batch: B, dropout: useDropout, wavefront: wavefront)
        for layer in layers { for dir in layer { dir.refresh() } }

        // Backward multiplies the layer-0 input by zero gradients at padded rows, which adds
        // exactly nothing for finite values; only non-finite padding needs a zeroed copy.
        var input = batch.values
        if training && masked && !paddingIsFinite(batch) {
            let clean = ensureCapacity(ws.cleanInput, batch.values.count)
            ws.cleanInput = clean
            clean.pointer.update(from: batch.values.pointer, count: batch.values.count)
            zeroPaddedRows(steps: T, batch: B, lengths: batch.lengths, matrix: clean.pointer,
                           width: config.inputSize)
            input = clean
        }

        let H = config.hiddenSize, dirs = directions, width = dirs * H
        let result = FloatBuffer.reused(&lastOutput, count: rows * config.outputSize)
        batch.lengths.withUnsafeBufferPointer { lengthsBuffer in
            let lengths = masked ? lengthsBuffer.baseAddress : nil
            var x = UnsafePointer(input.pointer), xStride = config.inputSize
            var y = UnsafePointer(input.pointer)
            if wavefront, #available(macOS 15, *) {
                y = forwardWavefront(steps: T, batch: B, lengths: lengths, input: x, workspace: ws,
                                     training: training, dropout: useDropout, rng: &rng)
            } else {
                for k in 0..<config.numLayers {
                    let out = ws.outputs[training ? k : k % 2]!.pointer
                    let caches = ws.caches[training ? k : 0]
                    let layerInput = x, layerStride = xStride
                    let gemmThreads = directionThreads
                    runConcurrently(dirs, parallel: parallelDirections) { d in
                        let cache = caches[d]
                        layers[k][d].forward(steps: T, batch: B, lengths: lengths,
                                             input: layerInput, inputStride: layerStride,
                                             output: out + d * H, outputStride: width,
                                             gates: cache.gates!.pointer, aux: cache.aux!.pointer,
                                             aux2: cache.aux2!.pointer, auxStepStride: training ? B * H : 0,
                                             hidden: ws.scratch[d].hidden!.pointer,
                                             zeros: ws.zeros!.pointer, threads: gemmThreads)
                    }
                    y = UnsafePointer(out)
                    if useDropout && k < config.numLayers - 1 {
                        let dropped = ws.dropped[k]!.pointer
                        Dropout.apply(p: config.dropout, count: rows * width, input: out,
                                      mask: ws.masks[k]!.pointer, output: dropped, rng: &rng,
                                      threads: max(1, threads))
                        x = UnsafePointer(dropped)
                    } else {
                        x = y
                    }
                    xStride = width
                }
            }
            head.forward(rows: rows, input: y, inputStride: width, output: result.pointer,
                         threads: max(1, threads))
        }
        if masked {
            zeroPaddedRows(steps: T, batch: B, lengths: batch.lengths, matrix: result.pointer,
                           width: config.outputSize)
        }
        if training {
            pending = PendingPass(steps: T, batch: B, lengths: batch.lengths, masked: masked,
                                  dropout: useDropout, wavefront: wavefront, input: input)
        }
        return result
    }

    /// Back-propagates `gradOutput` (same layout as the last training forward's output) and
    /// ADDS the parameter gradients into each `Parameter.grad`.
    public func backward(_ gradOutput: FloatBuffer) {
        backward(gradOutput, inputGradient: nil)
    }

    /// As ``backward(_:)``; also WRITES `∂L/∂input` (`[steps × batchSize × inputSize]`, zero at
    /// padded steps) into `inputGradient` when given. The gradient at padded output steps is ignored.
    /// The weights must not have changed since the training forward.
    public func backward(_ gradOutput: FloatBuffer, inputGradient: FloatBuffer?) {
        guard let pass = pending, let ws = trainingWorkspace else {
            preconditionFailure("SequenceNetwork.backward called without a training forward")
        }
        let T = pass.steps, B = pass.batch, rows = T * B
        let H = config.hiddenSize, dirs = directions, width = dirs * H, L = config.numLayers
        precondition(gradOutput.count == rows * config.outputSize,
                     "SequenceNetwork.backward: gradient has \(gradOutput.count) values, expected \(rows * config.outputSize)")
        if let inputGradient {
            precondition(inputGradient.count == rows * config.inputSize,
                         "SequenceNetwork.backward: input gradient has \(inputGradient.count) values, expected \(rows * config.inputSize)")
        }
        ws.reserveBackward(steps: T, batch: B, wavefront: pass.wavefront)
        var dOut = UnsafePointer(gradOutput.pointer)
        if pass.masked {
            let copy = ws.gradOutput!.pointer
            copy.update(from: gradOutput.pointer, count: rows * config.outputSize)
            zeroPaddedRows(steps: T, batch: B, lengths: pass.lengths, matrix: copy, width: config.outputSize)
            dOut = UnsafePointer(copy)
        }
        var current = 0
        head.backward(rows: rows, input: ws.outputs[L - 1]!.pointer, inputStride: width,
                      gradOutput: dOut, gradInput: ws.gradLayers[current]!.pointer,
                      gradInputStride: width, threads: max(1, threads))
        pass.lengths.withUnsafeBufferPointer { lengthsBuffer in
            let lengths = pass.masked ? lengthsBuffer.baseAddress : nil
            if pass.wavefront, #available(macOS 15, *) {
                backwardWavefront(steps: T, batch: B, lengths: lengths, input: pass.input.pointer,
                                  dropout: pass.dropout, workspace: ws, inputGradient: inputGradient?.pointer)
                return
            }
            for k in stride(from: L - 1, through: 0, by: -1) {
                let x: UnsafePointer<Float>
                if k == 0 { x = UnsafePointer(pass.input.pointer) }
                else if pass.dropout { x = UnsafePointer(ws.dropped[k - 1]!.pointer) }
                else { x = UnsafePointer(ws.outputs[k - 1]!.pointer) }
                let xStride = k == 0 ? config.inputSize : width
                let out = UnsafePointer(ws.outputs[k]!.pointer)
                let dY = UnsafePointer(ws.gradLayers[current]!.pointer)
                let caches = ws.caches[k]
                let gemmThreads = directionThreads
                runConcurrently(dirs, parallel: parallelDirections) { d in
                    let cache = caches[d], s = ws.scratch[d]
                    layers[k][d].backward(steps: T, batch: B, lengths: lengths,
                                          input: x, inputStride: xStride,
                                          output: out + d * H, outputStride: width,
                                          gradOutput: dY + d * H, gradOutputStride: width,
                                          gates: cache.gates!.pointer, aux: cache.aux!.pointer,
                                          aux2: cache.aux2!.pointer,
                                          gradGates: s.gradGates!.pointer, gradHidden: s.gradHidden!.pointer,
                                          hCarry: s.hCarry!.pointer, cCarry: s.cCarry!.pointer,
                                          sums: s.sums!.pointer, weightGradT: s.weightGradT!.pointer,
                                          zeros: ws.zeros!.pointer,
                                          threads: gemmThreads)
                }
                let dX: UnsafeMutablePointer<Float>
                if k > 0 { dX = ws.gradLayers[1 - current]!.pointer }
                else if let inputGradient { dX = inputGradient.pointer }
                else { break }
                for d in 0..<dirs {
                    layers[k][d].inputGradient(rows: rows, gradGates: ws.scratch[d].gradGates!.pointer,
                                               gradInput: dX, gradInputStride: xStride,
                                               accumulate: d > 0, threads: max(1, threads))
                }
                if k > 0 && pass.dropout {
                    Dropout.backward(count: rows * width, mask: ws.masks[k - 1]!.pointer, grad: dX,
                                     threads: max(1, threads))
                }
                current = 1 - current
            }
        }
    }

    /// Sets every parameter gradient to zero.
    public func zeroGradients() { for p in parameters { p.grad.zero() } }

    /// Frees the workspaces and the caches of the last training forward (they are rebuilt on demand).
    public func releaseWorkspaces() {
        trainingWorkspace = nil
        inferenceWorkspace = nil
        lastOutput = nil
        pending = nil
    }
}

/// Whether every value at the padded steps of `batch` is finite (reads only the padding).
func paddingIsFinite(_ batch: SequenceBatch) -> Bool {
    let p = batch.values.pointer, B = batch.batchSize, width = batch.features
    for b in 0..<B where batch.lengths[b] < batch.steps {
        for t in batch.lengths[b]..<batch.steps {
            let row = p + (t * B + b) * width
            for f in 0..<width where !row[f].isFinite { return false }
        }
    }
    return true
}

/// Zeroes row `t·batch + b` (`width` floats) of `matrix` for every padded step `t >= lengths[b]`.
func zeroPaddedRows(steps: Int, batch: Int, lengths: [Int], matrix: UnsafeMutablePointer<Float>, width: Int) {
    for b in 0..<batch where lengths[b] < steps {
        for t in lengths[b]..<steps {
            (matrix + (t * batch + b) * width).update(repeating: 0, count: width)
        }
    }
}

/// Floating-point operations of one pass of ``SequenceNetwork``, counted analytically from the
/// products and gate passes it performs (for a batch whose sequences all have `steps` steps).
///
/// - `gemm`: 2·m·n·k for every product issued: per layer and direction the input projection
///   (all steps), the hidden product of every step but the first (its state is zero and it is
///   skipped); backward adds the per-step `dG·W_hh`, `dW_ih`, `dW_hh` (first step left out) and
///   the input gradient `dG·W_ih`, which layer 0 skips unless the caller asks for it; the head's
///   forward, weight gradient and input gradient.
/// - `gates`: the fused element-wise step kernels, counting every add, subtract and multiply as
///   written and each σ / tanh as one (GRU: 14 per unit forward, 17 backward; LSTM: 17 and 23).
/// Not counted: dropout, bias-gradient sums, the loss and the optimizer (a few operations per
/// element or parameter; under 1% of the total for the benchmarked models).
public struct PassFlops: Sendable, Equatable {
    public var gemm: Double = 0
    public var gates: Double = 0
    public var total: Double { gemm + gates }

    public init(gemm: Double = 0, gates: Double = 0) { self.gemm = gemm; self.gates = gates }

    public static func + (a: PassFlops, b: PassFlops) -> PassFlops {
        PassFlops(gemm: a.gemm + b.gemm, gates: a.gates + b.gates)
    }

    public static func * (n: Double, a: PassFlops) -> PassFlops {
        PassFlops(gemm: n * a.gemm, gates: n * a.gates)
    }
}

extension NetworkConfig {
    /// A forward pass (training or inference) over `batch` sequences of `steps` steps.
    public func forwardFlops(steps: Int, batch: Int) -> PassFlops {
        let T = Double(steps), B = Double(batch), H = Double(hiddenSize)
        let dirs = Double(bidirectional ? 2 : 1), G = Double(cell == .gru ? 3 : 4)
        let later = Double(max(0, steps - 1))
        var f = PassFlops()
        for k in 0..<numLayers {
            let I = Double(k == 0 ? inputSize : (bidirectional ? 2 : 1) * hiddenSize)
            f.gemm += dirs * (2 * T * B * I * G * H + 2 * later * B * H * G * H)
            f.gates += dirs * T * B * H * (cell == .gru ? 14 : 17)
        }
        f.gemm += 2 * T * B * dirs * H * Double(outputSize)
        return f
    }

    /// The backward pass after a training forward of the same shape; `inputGradient`: whether
    /// the caller asked for `∂L/∂input` (layer 0's input gradient product).
    public func backwardFlops(steps: Int, batch: Int, inputGradient: Bool = false) -> PassFlops {
        let T = Double(steps), B = Double(batch), H = Double(hiddenSize)
        let dirs = Double(bidirectional ? 2 : 1), G = Double(cell == .gru ? 3 : 4)
        let later = Double(max(0, steps - 1))
        var f = PassFlops()
        for k in 0..<numLayers {
            let I = Double(k == 0 ? inputSize : (bidirectional ? 2 : 1) * hiddenSize)
            // dG·W_hh per step and dW_hh (first step out), dW_ih, dX (not for layer 0 unless asked).
            f.gemm += dirs * (2 * 2 * later * B * G * H * H + 2 * T * B * G * H * I)
            if k > 0 || inputGradient { f.gemm += dirs * 2 * T * B * G * H * I }
            f.gates += dirs * T * B * H * (cell == .gru ? 17 : 23)
        }
        f.gemm += 2 * 2 * T * B * dirs * H * Double(outputSize)
        return f
    }
}
