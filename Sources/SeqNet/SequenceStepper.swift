/// Step-by-step inference of a unidirectional ``SequenceNetwork``, for live use: feed one frame
/// per stream, get that step's output, with the recurrent state kept in a ``StreamState``.
///
/// ```swift
/// let stepper = try SequenceStepper(network)          // snapshot of the weights
/// let state = stepper.makeState(streams: 4)           // 4 independent streams, zero state
/// stepper.step(frames, state: state, output: out)     // frames [4 × I], out [4 × outputSize]
/// ```
///
/// Each step does, per layer, exactly what ``SequenceNetwork/forward(_:training:rng:)`` does at
/// one time step: one GEMM for the input side, one for the hidden side, the same fused GRU/LSTM
/// kernel, then the same head. So stepping through a sequence gives the whole-sequence forward's
/// outputs bit for bit, with one documented exception: GEMM splits the reduction into k-blocks of
/// at most 256, except when the product is large (`m·n ≥ 2¹⁹`) and k exceeds
/// `GemmPlan.shapeIndependentDepth` (1024), where the whole-sequence input projection uses
/// deeper blocks. For a layer-0 input wider than 1024
/// features (deepspectrum's 4096) the two then differ by rounding only (relative ~1e-6; the tests
/// bound it). `step` allocates nothing: every buffer lives in the stepper or the state.
///
/// A stepper is immutable after `init` (until ``refresh()``); one stepper may serve any number
/// of states, but a state must not be stepped from two threads at once.
public final class SequenceStepper: @unchecked Sendable {
    public let config: NetworkConfig
    /// The network whose head is applied (its recurrent weights are copied by `refresh`).
    private let network: SequenceNetwork
    private let layers: [StepLayer]

    /// Fails for a bidirectional network: its reverse direction needs frames that have not arrived.
    public init(_ network: SequenceNetwork) throws(StepperError) {
        guard !network.config.bidirectional else { throw .bidirectional(network.config) }
        self.config = network.config
        self.network = network
        layers = network.layers.map { StepLayer($0[0]) }
        refresh()
    }

    /// Copies the network's current recurrent weights (call after changing them).
    public func refresh() {
        for (k, layer) in layers.enumerated() { layer.refresh(from: network.layers[k][0]) }
    }

    /// A zero state for `streams` independent streams, with the scratch one step needs.
    public func makeState(streams: Int) -> StreamState {
        precondition(streams > 0, "SequenceStepper.makeState: streams must be positive")
        return StreamState(config: config, streams: streams)
    }

    /// Advances every stream of `state` by one step.
    /// - `frames`: `[streams × inputSize]` row-major (row `b` is stream `b`'s frame; finite values).
    /// - `output`: `[streams × outputSize]` receives the step's outputs.
    public func step(_ frames: UnsafePointer<Float>, state: StreamState,
                     output: UnsafeMutablePointer<Float>) {
        precondition(state.inputSize == config.inputSize && state.hiddenSize == config.hiddenSize
                     && state.hidden.count == config.numLayers && state.isLSTM == (config.cell == .lstm),
                     "SequenceStepper.step: the state was made for another network")
        let B = state.streams, H = config.hiddenSize
        var x = frames, xStride = config.inputSize
        for k in 0..<layers.count {
            let layer = layers[k]
            let gh = layer.gateWidth
            let h = state.hidden[k].pointer, out = state.layerOutput[k].pointer
            let gates = state.gates.pointer, hidden = state.hiddenProjection.pointer
            gemm(.none, .none, m: B, n: gh, k: layer.inputSize, a: x, lda: xStride,
                 b: layer.weightIHT.pointer, ldb: gh, beta: 0, c: gates, ldc: gh)
            gemm(.none, .none, m: B, n: gh, k: H, a: h, lda: H,
                 b: layer.weightHHT.pointer, ldb: gh, beta: 0, c: hidden, ldc: gh)
            switch config.cell {
            case .gru:
                GRUKernels.forward(batch: B, hiddenSize: H, t: 0, lengths: nil,
                                   gates: gates, hidden: hidden, biasRZ: layer.combinedBias.pointer,
                                   biasIN: layer.biasIN.pointer, biasHN: layer.biasHN.pointer,
                                   hPrev: h, hOut: out, hStride: H, hnOut: state.aux.pointer)
            case .lstm:
                let c = state.cell[k].pointer
                LSTMKernels.forward(batch: B, hiddenSize: H, t: 0, lengths: nil,
                                    gates: gates, hidden: hidden, bias: layer.combinedBias.pointer,
                                    hOut: out, hStride: H, cPrev: c, cOut: c,
                                    tanhCOut: state.aux.pointer)
            }
            h.update(from: out, count: B * H)
            x = UnsafePointer(out)
            xStride = H
        }
        network.head.forward(rows: B, input: x, inputStride: H, output: output)
        state.steps += 1
    }

    /// As the pointer form, on arrays (allocates the result; for tests and simple callers).
    public func step(_ frames: [Float], state: StreamState) -> [Float] {
        precondition(frames.count == state.streams * config.inputSize,
                     "SequenceStepper.step: \(frames.count) values, expected \(state.streams) × \(config.inputSize)")
        var result = [Float](repeating: 0, count: state.streams * config.outputSize)
        frames.withUnsafeBufferPointer { f in
            result.withUnsafeMutableBufferPointer { r in step(f.baseAddress!, state: state, output: r.baseAddress!) }
        }
        return result
    }
}

/// The recurrent state of `streams` independent streams (hidden, and cell for an LSTM, per
/// layer) and the scratch of one step. Made by ``SequenceStepper/makeState(streams:)``.
public final class StreamState: @unchecked Sendable {
    public let streams: Int
    /// Steps taken since creation or the last full ``reset()``.
    public internal(set) var steps = 0
    let inputSize: Int
    let hiddenSize: Int
    let isLSTM: Bool
    /// `[layer]`, each `[streams × H]`.
    let hidden: [FloatBuffer]
    /// `[layer]`, each `[streams × H]` (empty for a GRU).
    let cell: [FloatBuffer]
    /// `[layer]`, each `[streams × H]`: the step's new hidden state before it is copied to `hidden`.
    let layerOutput: [FloatBuffer]
    let gates: FloatBuffer
    let hiddenProjection: FloatBuffer
    let aux: FloatBuffer

    init(config: NetworkConfig, streams: Int) {
        let H = config.hiddenSize, gh = (config.cell == .gru ? 3 : 4) * H
        self.streams = streams
        inputSize = config.inputSize
        hiddenSize = H
        isLSTM = config.cell == .lstm
        hidden = (0..<config.numLayers).map { _ in FloatBuffer(count: streams * H) }
        cell = isLSTM ? (0..<config.numLayers).map { _ in FloatBuffer(count: streams * H) } : []
        layerOutput = (0..<config.numLayers).map { _ in FloatBuffer(count: streams * H) }
        gates = FloatBuffer(count: streams * gh)
        hiddenProjection = FloatBuffer(count: streams * gh)
        aux = FloatBuffer(count: streams * H)
    }

    /// Zeroes every stream's state (a new sequence starts on every stream).
    public func reset() {
        for b in hidden + cell { b.zero() }
        steps = 0
    }

    /// Zeroes one stream's state (a new sequence starts on stream `stream`; the others go on).
    public func reset(stream: Int) {
        precondition(stream >= 0 && stream < streams, "StreamState.reset: no stream \(stream)")
        for b in hidden + cell { (b.pointer + stream * hiddenSize).update(repeating: 0, count: hiddenSize) }
    }
}

/// Why a network cannot be stepped.
public enum StepperError: Error, Equatable, CustomStringConvertible {
    case bidirectional(NetworkConfig)

    public var description: String {
        switch self {
        case .bidirectional(let c):
            return "a bidirectional \(c.cell.rawValue.uppercased()) cannot run step by step: its reverse direction reads future frames (train it with bidirectional = false)"
        }
    }
}

/// One layer's weights in the layout a step multiplies by (a copy, so the stepper does not depend
/// on the network's private transposed buffers).
final class StepLayer: @unchecked Sendable {
    let inputSize: Int
    let gateWidth: Int
    let weightIHT: FloatBuffer
    let weightHHT: FloatBuffer
    let combinedBias: FloatBuffer
    let biasIN: FloatBuffer
    let biasHN: FloatBuffer

    init(_ d: RecurrentDirection) {
        inputSize = d.inputSize
        gateWidth = d.gateWidth
        weightIHT = FloatBuffer(count: d.inputSize * d.gateWidth)
        weightHHT = FloatBuffer(count: d.hiddenSize * d.gateWidth)
        combinedBias = FloatBuffer(count: d.gateWidth)
        biasIN = FloatBuffer(count: d.hiddenSize)
        biasHN = FloatBuffer(count: d.hiddenSize)
    }

    /// The same arithmetic as `RecurrentDirection.refresh` (transposes; `b_ih + b_hh`), plus the
    /// GRU's n-gate biases, which the whole-sequence kernel reads in place.
    func refresh(from d: RecurrentDirection) {
        let gh = gateWidth, H = d.hiddenSize
        transpose(rows: gh, cols: inputSize, src: d.weightIH.value.pointer, dst: weightIHT.pointer)
        transpose(rows: gh, cols: H, src: d.weightHH.value.pointer, dst: weightHHT.pointer)
        let cb = combinedBias.pointer, bi = d.biasIH.value.pointer, bh = d.biasHH.value.pointer
        for j in 0..<gh { cb[j] = bi[j] + bh[j] }
        if d.cell == .gru {
            biasIN.pointer.update(from: bi + 2 * H, count: H)
            biasHN.pointer.update(from: bh + 2 * H, count: H)
        }
    }
}
