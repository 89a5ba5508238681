/// Forward caches of one direction of one layer. `T·B` rows; `G·H` gate width.
final class DirectionCache {
    /// `[T·B, G·H]`: input projection, then the gate activations.
    var gates: FloatBuffer?
    /// `[T·B, H]`: GRU `W_hn h + b_hn`, LSTM cell state `c` (inference: `[B, H]`).
    var aux: FloatBuffer?
    /// `[T·B, H]`: LSTM `tanh(c)` (inference: `[B, H]`; unused by GRU).
    var aux2: FloatBuffer?
}

/// Scratch owned by the thread that runs one direction.
final class DirectionScratch {
    /// `[B, G·H]`: `h_prev · W_hhᵀ` of the current step.
    var hidden: FloatBuffer?
    /// `[T·B, G·H]` (backward): `∂L/∂(W_ih x + b_ih)`.
    var gradGates: FloatBuffer?
    /// `[T·B, G·H]` (backward, GRU): `∂L/∂(W_hh h + b_hh)`.
    var gradHidden: FloatBuffer?
    /// `[B, H]` (backward): gradients carried to the previous step.
    var hCarry: FloatBuffer?
    var cCarry: FloatBuffer?
    /// `[8·G·H]` (backward): per row chunk (`rowChunks`), running bias sums and their per-step block.
    var sums: FloatBuffer?
    /// `[I, G·H]` (backward, layer-0 input of at least `RecurrentDirection.wideInput`): `dW_ihᵀ`.
    var weightGradT: FloatBuffer?

    func reserveForward(batch: Int, gateWidth: Int) {
        hidden = ensureCapacity(hidden, batch * gateWidth)
    }

    func reserveBackward(rows: Int, batch: Int, gateWidth: Int, hiddenSize: Int, gru: Bool,
                         wideInputSize: Int) {
        weightGradT = ensureCapacity(weightGradT, wideInputSize * gateWidth)
        gradGates = ensureCapacity(gradGates, rows * gateWidth)
        gradHidden = ensureCapacity(gradHidden, gru ? rows * gateWidth : 1)
        hCarry = ensureCapacity(hCarry, batch * hiddenSize)
        cCarry = ensureCapacity(cCarry, batch * hiddenSize)
        sums = ensureCapacity(sums, 8 * gateWidth)
    }
}

/// All buffers of a ``SequenceNetwork`` pass, allocated for the largest `(steps, batch)` seen and
/// reused, so that nothing is allocated inside the time loop.
///
/// A training workspace keeps, for every layer, the layer output `[T·B, dirs·H]`, the dropout mask
/// and dropped output (layers but the last, when dropout is on) and each direction's caches.
/// An inference workspace keeps only what one layer needs: two ping-pong layer outputs and one
/// set of direction buffers reused by every layer (`aux`/`aux2` are `[B, H]` running states).
final class Workspace {
    let training: Bool
    let config: NetworkConfig
    /// Training: one per layer. Inference: two, used alternately.
    var outputs: [FloatBuffer?]
    /// Training, per layer `k < L−1` when dropout is on: mask and `output ⊙ mask`.
    var masks: [FloatBuffer?]
    var dropped: [FloatBuffer?]
    /// Training: `[layer][direction]`. Inference: `[set][direction]`, set 0 (a wavefront's second
    /// thread uses set 1).
    var caches: [[DirectionCache]]
    /// One per direction (a wavefront: one per thread).
    var scratch: [DirectionScratch]
    /// At least `B · dirs · H` zeros (the initial states); never written.
    var zeros: FloatBuffer?
    /// Training with non-finite padding: layer-0 input with padded rows set to zero.
    var cleanInput: FloatBuffer?
    /// Backward: masked copy of the output gradient `[T·B, out]` and two `[T·B, dirs·H]`
    /// layer-output gradient buffers used alternately (layer 0's input gradient goes to the caller).
    var gradOutput: FloatBuffer?
    var gradLayers: [FloatBuffer?] = [nil, nil]

    init(config: NetworkConfig, training: Bool) {
        self.training = training
        self.config = config
        let layers = training ? config.numLayers : 2
        let dirs = config.bidirectional ? 2 : 1
        outputs = Array(repeating: nil, count: training ? config.numLayers : 2)
        masks = Array(repeating: nil, count: config.numLayers)
        dropped = Array(repeating: nil, count: config.numLayers)
        caches = (0..<layers).map { _ in (0..<dirs).map { _ in DirectionCache() } }
        scratch = (0..<2).map { _ in DirectionScratch() }
    }

    var directions: Int { config.bidirectional ? 2 : 1 }
    var gateWidth: Int { (config.cell == .gru ? 3 : 4) * config.hiddenSize }

    /// Makes every forward buffer large enough for `steps × batch` (`wavefront`: for
    /// `SequenceNetwork.forwardWavefront`, which needs per-thread sets).
    func reserveForward(steps: Int, batch: Int, dropout: Bool, wavefront: Bool) {
        let rows = steps * batch, H = config.hiddenSize, width = directions * H
        let lstm = config.cell == .lstm
        for k in outputs.indices { outputs[k] = ensureCapacity(outputs[k], rows * width) }
        if training && dropout {
            for k in 0..<(config.numLayers - 1) {
                masks[k] = ensureCapacity(masks[k], rows * width)
                dropped[k] = ensureCapacity(dropped[k], rows * width)
            }
        }
        for layer in caches.prefix(training ? caches.count : (wavefront ? 2 : 1)) {
            for cache in layer {
                // Inference keeps running states of one step, not per-step caches.
                cache.gates = ensureCapacity(cache.gates, rows * gateWidth)
                let auxRows = training ? rows : batch
                cache.aux = ensureCapacity(cache.aux, auxRows * H)
                cache.aux2 = ensureCapacity(cache.aux2, lstm || !training ? auxRows * H : 1)
            }
        }
        for s in scratch.prefix(wavefront ? 2 : directions) { s.reserveForward(batch: batch, gateWidth: gateWidth) }
        zeros = ensureCapacity(zeros, batch * width)
    }

    /// Makes every backward buffer large enough for `steps × batch`.
    func reserveBackward(steps: Int, batch: Int, wavefront: Bool) {
        let rows = steps * batch, H = config.hiddenSize
        let width = directions * H
        for s in scratch.prefix(wavefront ? 2 : directions) {
            let wide = config.inputSize >= RecurrentDirection.wideInput ? config.inputSize : 1
            s.reserveBackward(rows: rows, batch: batch, gateWidth: gateWidth, hiddenSize: H,
                              gru: config.cell == .gru, wideInputSize: wide)
        }
        gradOutput = ensureCapacity(gradOutput, rows * config.outputSize)
        for k in 0..<2 { gradLayers[k] = ensureCapacity(gradLayers[k], rows * width) }
    }
}
