import Testing
@testable import SeqNet

/// The step API's contract: stepping a sequence frame by frame gives the whole-sequence
/// forward's outputs (bit for bit where `SequenceStepper` says so, within its stated bound where not).
@Suite struct StepperTests {
    /// Random frames `[T × B × I]` in `±2`, time-major like a `SequenceBatch`.
    static func frames(steps: Int, streams: Int, features: Int, seed: UInt64) -> [Float] {
        var rng = RandomSource(seed: seed)
        return (0..<(steps * streams * features)).map { _ in rng.uniform(-2, 2) }
    }

    /// The whole-sequence inference forward of every stream at once (all of length `steps`).
    static func forward(_ net: SequenceNetwork, _ x: [Float], steps: Int, streams: Int) -> [Float] {
        var rng = RandomSource(seed: 0)
        let batch = SequenceBatch(steps: steps, batchSize: streams, features: net.config.inputSize,
                                  lengths: Array(repeating: steps, count: streams), values: FloatBuffer(x))
        return net.forward(batch, training: false, rng: &rng).array
    }

    /// Steps the frames one time step at a time (all streams together).
    static func stepped(_ net: SequenceNetwork, _ x: [Float], steps: Int, streams: Int) throws -> [Float] {
        let stepper = try SequenceStepper(net)
        let state = stepper.makeState(streams: streams)
        let width = streams * net.config.inputSize
        var out: [Float] = []
        for t in 0..<steps { out += stepper.step(Array(x[(t * width)..<((t + 1) * width)]), state: state) }
        #expect(state.steps == steps)
        return out
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var cell: CellType, input: Int, hidden: Int, layers: Int, outputs: Int, streams: Int
        var testDescription: String { "\(cell) I\(input) H\(hidden) L\(layers) O\(outputs) B\(streams)" }
    }

    static let cases: [Case] = [
        Case(cell: .gru, input: 7, hidden: 16, layers: 2, outputs: 1, streams: 1),
        Case(cell: .gru, input: 89, hidden: 64, layers: 4, outputs: 1, streams: 3),
        Case(cell: .gru, input: 17, hidden: 12, layers: 3, outputs: 17, streams: 7),   // H not a multiple of 8; AE head
        Case(cell: .lstm, input: 7, hidden: 16, layers: 2, outputs: 1, streams: 1),
        Case(cell: .lstm, input: 513, hidden: 64, layers: 4, outputs: 5, streams: 2),
        Case(cell: .lstm, input: 30, hidden: 20, layers: 1, outputs: 30, streams: 13),
    ]

    @Test(arguments: cases)
    func steppingEqualsWholeSequenceForwardBitForBit(_ c: Case) throws {
        let net = SequenceNetwork(config: NetworkConfig(cell: c.cell, inputSize: c.input, hiddenSize: c.hidden,
                                                        numLayers: c.layers, bidirectional: false,
                                                        outputSize: c.outputs), seed: 21)
        let T = 37
        let x = Self.frames(steps: T, streams: c.streams, features: c.input, seed: 4)
        let whole = Self.forward(net, x, steps: T, streams: c.streams)
        let steps = try Self.stepped(net, x, steps: T, streams: c.streams)
        #expect(whole.count == steps.count)
        let differing = zip(whole, steps).filter { $0 != $1 }.count
        #expect(differing == 0, "\(differing) of \(whole.count) outputs differ")
        #expect(whole.allSatisfy { $0.isFinite })
    }

    /// An input wider than 1024 in a product large enough for GEMM's deeper k-blocks: equal up to
    /// the rounding of a different summation grouping (the bound `SequenceStepper` states).
    @Test(arguments: CellType.allCases)
    func wideInputAgreesWithinRounding(cell: CellType) throws {
        let I = 1100, H = 16, B = 2, T = 1400      // T·B·G·H ≥ 2¹⁹ for both cells
        let net = SequenceNetwork(config: NetworkConfig(cell: cell, inputSize: I, hiddenSize: H, numLayers: 2,
                                                        bidirectional: false, outputSize: 1), seed: 3)
        let x = Self.frames(steps: T, streams: B, features: I, seed: 8)
        let whole = Self.forward(net, x, steps: T, streams: B)
        let steps = try Self.stepped(net, x, steps: T, streams: B)
        let worst = zip(whole, steps).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 1e-4, "largest difference \(worst)")
    }

    @Test func streamsAreIndependentAndResetStartsASequence() throws {
        let net = SequenceNetwork(config: NetworkConfig(cell: .gru, inputSize: 6, hiddenSize: 16, numLayers: 2,
                                                        bidirectional: false, outputSize: 1), seed: 9)
        let stepper = try SequenceStepper(net)
        let state = stepper.makeState(streams: 2)
        let T = 20
        let a = Self.frames(steps: T, streams: 1, features: 6, seed: 1)
        let b = Self.frames(steps: T, streams: 1, features: 6, seed: 2)
        // Stream 0 runs a for T steps; stream 1 runs b for 10 steps, is reset, then runs a's first 10.
        var out0: [Float] = [], out1: [Float] = []
        for t in 0..<T {
            if t == 10 { state.reset(stream: 1) }
            let second = t < 10 ? b[(t * 6)..<(t * 6 + 6)] : a[((t - 10) * 6)..<((t - 10) * 6 + 6)]
            let y = stepper.step(Array(a[(t * 6)..<(t * 6 + 6)]) + Array(second), state: state)
            out0.append(y[0]); out1.append(y[1])
        }
        let alone = Self.forward(net, a, steps: T, streams: 1)
        #expect(out0 == alone)
        #expect(Array(out1[10...]) == Array(alone[..<10]))
        state.reset()
        #expect(state.steps == 0)
        #expect(stepper.step(Array(a[..<6]) + Array(a[..<6]), state: state) == [alone[0], alone[0]])
    }

    @Test func bidirectionalNetworkIsRefused() {
        let net = SequenceNetwork(config: NetworkConfig(inputSize: 3, hiddenSize: 4, numLayers: 1,
                                                        bidirectional: true), seed: 1)
        #expect(throws: StepperError.bidirectional(net.config)) { try SequenceStepper(net) }
    }

    /// A stepper snapshots the recurrent weights: after they change it steps the old network until
    /// `refresh`, then the new one bit for bit. Every layer and every parameter kind is changed, so
    /// a refresh that skipped a layer, a direction's matrix or a bias (the GRU's n-gate biases
    /// included) would not match.
    @Test(arguments: CellType.allCases)
    func refreshPicksUpChangedWeights(cell: CellType) throws {
        let net = SequenceNetwork(config: NetworkConfig(cell: cell, inputSize: 4, hiddenSize: 8, numLayers: 2,
                                                        bidirectional: false, outputSize: 1), seed: 2)
        let stepper = try SequenceStepper(net)
        let T = 6
        let x = Self.frames(steps: T, streams: 1, features: 4, seed: 3)
        func run() -> [Float] {
            let state = stepper.makeState(streams: 1)
            var out: [Float] = []
            for t in 0..<T { out += stepper.step(Array(x[(t * 4)..<(t * 4 + 4)]), state: state) }
            return out
        }
        let before = Self.forward(net, x, steps: T, streams: 1)
        #expect(run() == before)

        /// Changes only `parameters` of the recurrent layers, leaving the head alone.
        func perturb(_ parameters: [Parameter], seed: UInt64) {
            var rng = RandomSource(seed: seed)
            for p in parameters { for i in 0..<p.count { p.value[i] += rng.uniform(-0.3, 0.3) } }
        }
        let recurrent = net.layers.flatMap { $0.flatMap(\.parameters) }
        perturb(recurrent, seed: 5)
        let changed = Self.forward(net, x, steps: T, streams: 1)
        #expect(changed != before, "the change matters to the output")
        #expect(run() == before, "without refresh the stepper keeps the weights it copied")
        stepper.refresh()
        #expect(run() == changed)

        // One kind at a time, in the last layer only: each must be picked up.
        let last = net.layers[net.layers.count - 1][0]
        for (k, p) in last.parameters.enumerated() {
            perturb([p], seed: 10 + UInt64(k))
            let expected = Self.forward(net, x, steps: T, streams: 1)
            #expect(run() != expected, "parameter \(k) of the last layer changed the output")
            stepper.refresh()
            #expect(run() == expected, "parameter \(k) of the last layer picked up by refresh")
        }
    }
}
