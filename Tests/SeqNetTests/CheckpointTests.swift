import Foundation
import Testing
@testable import SeqNet

private func tempURL(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID().uuidString)").appendingPathComponent(name)
}

private func expectCheckpointError(_ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation,
                                   _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("no error (expected: \(fragments))", sourceLocation: sourceLocation)
    } catch let e as CheckpointError {
        for f in fragments { #expect(e.message.contains(f), "message: \(e.message)", sourceLocation: sourceLocation) }
    } catch {
        Issue.record("unexpected error type \(error)", sourceLocation: sourceLocation)
    }
}

/// Checkpoint logic that needs no network implementation: layouts, validation, error reports.
@Suite struct CheckpointTests {
    @Test func parameterShapesFollowPyTorchOrder() {
        let config = NetworkConfig(cell: .lstm, inputSize: 5, hiddenSize: 6, numLayers: 2, bidirectional: false, outputSize: 2)
        let shapes = Checkpoint.parameterShapes(for: config)
        #expect(shapes.map(\.name) == ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
                                       "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1",
                                       "head.weight", "head.bias"])
        #expect(shapes.map(\.shape) == [[24, 5], [24, 6], [24], [24], [24, 6], [24, 6], [24], [24], [2, 6], [2]])
    }

    /// Names and shapes agree with the state_dicts PyTorch wrote into the fixtures.
    @Test(arguments: ["gru", "lstm", "torch_checkpoint"])
    func parameterShapesMatchPyTorchStateDicts(fixture: String) throws {
        let fx = try Fixture.load(fixture)
        let json = try #require(fx.metadata["config"] ?? fx.metadata[Checkpoint.networkKey])
        let config = try JSONDecoder().decode(NetworkConfig.self, from: Data(json.utf8))
        let stateDict = fx.names.filter { $0.hasPrefix("rnn.") || $0.hasPrefix("head.") }
        let expected = Checkpoint.parameterShapes(for: config)
        #expect(Set(stateDict) == Set(expected.map(\.name)))
        for (name, shape) in expected { #expect(fx[name]?.shape == shape, "\(name)") }
    }

    @Test func assignReportsEveryMismatch() {
        let params = [Parameter(name: "a", shape: [2]), Parameter(name: "b", shape: [2, 2]), Parameter(name: "c", shape: [1])]
        var file = SafeTensors()
        file.set("a", shape: [2], copying: FloatBuffer([1, 2]))
        file.set("b", shape: [4], copying: FloatBuffer([1, 2, 3, 4]))
        file.set("zz", shape: [1], copying: FloatBuffer([0]))
        expectCheckpointError(["missing tensors: c", "unexpected tensors: zz", "b is [4], expected [2, 2]"]) {
            try Checkpoint.assign(file, to: params, source: "x")
        }
        #expect(params[0].value.array == [0, 0])   // nothing copied on error
        file.remove("zz")
        file.set("b", shape: [2, 2], copying: FloatBuffer([1, 2, 3, 4]))
        file.set("c", shape: [1], copying: FloatBuffer([5]))
        #expect(throws: Never.self) { try Checkpoint.assign(file, to: params, source: "x") }
        #expect(params.map { $0.value.array } == [[1, 2], [1, 2, 3, 4], [5]])
    }

    @Test func rejectsFilesThatAreNotNetworkCheckpoints() throws {
        var file = SafeTensors()
        expectCheckpointError(["no 'emofuse.network' metadata"]) { _ = try Checkpoint(file, source: "f") }
        file.metadata[Checkpoint.networkKey] = "{not json"
        expectCheckpointError(["not a valid network configuration"]) { _ = try Checkpoint(file, source: "f") }
        file.metadata[Checkpoint.networkKey] = #"{"cell":"rnn","inputSize":1,"hiddenSize":1,"numLayers":1,"bidirectional":false,"outputSize":1,"dropout":0}"#
        expectCheckpointError(["not a valid network configuration"]) { _ = try Checkpoint(file, source: "f") }
        file.metadata[Checkpoint.networkKey] = #"{"cell":"gru","inputSize":1,"hiddenSize":4611686018427387904,"numLayers":1,"bidirectional":false,"outputSize":1,"dropout":0}"#
        expectCheckpointError(["hiddenSize 4611686018427387904 is out of range"]) { _ = try Checkpoint(file, source: "f") }
        file.metadata[Checkpoint.networkKey] = #"{"cell":"gru","inputSize":1,"hiddenSize":2,"numLayers":0,"bidirectional":false,"outputSize":1,"dropout":0}"#
        expectCheckpointError(["numLayers 0 is out of range"]) { _ = try Checkpoint(file, source: "f") }
    }

    /// The torch-made checkpoint with a configuration that disagrees with its tensors: every
    /// problem is named, before any network is built.
    @Test func reportsTensorsThatDoNotMatchTheConfiguration() throws {
        var file = try Fixture.load("torch_checkpoint")   // lstm, input 5, hidden 6, 3 layers, unidirectional, output 2
        file.metadata[Checkpoint.networkKey] = #"{"cell":"lstm","inputSize":7,"hiddenSize":6,"numLayers":2,"bidirectional":false,"outputSize":2,"dropout":0}"#
        expectCheckpointError(["unexpected tensors:", "rnn.weight_ih_l2", "rnn.weight_ih_l0 is [24, 5], expected [24, 7]"]) {
            _ = try Checkpoint(file, source: "f")
        }
        file.metadata[Checkpoint.networkKey] = #"{"cell":"lstm","inputSize":5,"hiddenSize":6,"numLayers":3,"bidirectional":true,"outputSize":2,"dropout":0}"#
        expectCheckpointError(["missing tensors: rnn.weight_ih_l0_reverse", "head.weight is [2, 6], expected [2, 12]"]) {
            _ = try Checkpoint(file, source: "f")
        }
    }
}

/// Checkpoints of real networks, both directions with PyTorch.
@Suite struct CheckpointNetworkTests {
    /// PyTorch → Swift: a checkpoint written by `make_fixtures.py` loads and reproduces PyTorch's outputs.
    @Test func loadsPyTorchCheckpoint() throws {
        let checkpoint = try Checkpoint.read(from: Fixture.url("torch_checkpoint"))
        #expect(checkpoint.network.config == NetworkConfig(cell: .lstm, inputSize: 5, hiddenSize: 6, numLayers: 3,
                                                            bidirectional: false, outputSize: 2))
        #expect(checkpoint.metadata == ["norm.mean": "[0.5, -1.25]", "label": "arousal"])
        let io = try Fixture.load("torch_checkpoint_io")
        let input = try io.required("input")
        let (b, t, f) = (input.shape[0], input.shape[1], input.shape[2])
        let batch = SequenceBatch(steps: t, batchSize: b, features: f,
                                  lengths: try io.required("lengths").values.array.map { Int($0) },
                                  values: swapLeadingAxes(input.values, b, t, f))
        var rng = RandomSource(seed: 0)
        let out = checkpoint.network.forward(batch, training: false, rng: &rng)
        expectClose(out, swapLeadingAxes(try io.required("output").values, b, t, 2), "output of the PyTorch checkpoint")
    }

    /// Swift → Swift (exact), and the files `scripts/parity/check_checkpoint.py` loads into PyTorch:
    /// with SEQNET_CHECKPOINT_EXPORT_DIR set they are kept there (`swift.safetensors` and its
    /// `swift.io.safetensors`: batch-first input, lengths, Swift outputs).
    @Test(arguments: [CellType.gru, .lstm])
    func roundTripsAndExportsForPyTorch(cell: CellType) throws {
        let config = NetworkConfig(cell: cell, inputSize: 4, hiddenSize: 5, numLayers: 2, bidirectional: true,
                                   outputSize: 2, dropout: 0.1)
        let network = SequenceNetwork(config: config, seed: 11)
        let (b, t, f) = (3, 6, 4)
        let lengths = [6, 2, 4]
        var rng = RandomSource(seed: 5)
        let x = FloatBuffer(count: t * b * f)
        for step in 0..<t { for s in 0..<b where step < lengths[s] { for k in 0..<f { x[(step * b + s) * f + k] = Float(rng.normal()) } } }
        let batch = SequenceBatch(steps: t, batchSize: b, features: f, lengths: lengths, values: x)
        let out = network.forward(batch, training: false, rng: &rng)

        let metadata = ["norm.mean": "[1, 2, 3, 4]", "labels": "arousal"]
        let dir = ProcessInfo.processInfo.environment["SEQNET_CHECKPOINT_EXPORT_DIR"].map { URL(fileURLWithPath: $0) }
        let url = dir?.appendingPathComponent("swift-\(cell.rawValue).safetensors") ?? tempURL("swift.safetensors")
        defer { if dir == nil { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) } }
        try Checkpoint(network: network, metadata: metadata).write(to: url)
        var io = SafeTensors(metadata: ["layout": "batch-first [batch, steps, features]; output 0 at padding"])
        io.set("input", shape: [b, t, f], copying: swapLeadingAxes(x, t, b, f))
        io.set("lengths", shape: [b], copying: FloatBuffer(lengths.map(Float.init)))
        io.set("output", shape: [b, t, 2], copying: swapLeadingAxes(out, t, b, 2))
        try io.write(to: url.deletingPathExtension().appendingPathExtension("io.safetensors"))

        let back = try Checkpoint.read(from: url)
        #expect(back.network.config == config)
        #expect(back.metadata == metadata)
        for (p, q) in zip(network.parameters, back.network.parameters) {
            #expect(p.name == q.name && p.shape == q.shape)
            #expect(p.value.array == q.value.array, "\(p.name)")
        }
        let again = back.network.forward(batch, training: false, rng: &rng)
        #expect(again.array == out.array)
    }

    @Test func reservedMetadataKeyIsRefused() {
        let network = SequenceNetwork(config: NetworkConfig(inputSize: 2, hiddenSize: 2, numLayers: 1), seed: 1)
        expectCheckpointError(["reserved"]) {
            try Checkpoint(network: network, metadata: [Checkpoint.networkKey: "x"]).write(to: tempURL("r.safetensors"))
        }
    }
}
