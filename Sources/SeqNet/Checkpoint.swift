import Foundation

/// A ``SequenceNetwork`` saved as safetensors, loadable by PyTorch with `load_state_dict(strict=True)`.
///
/// File contents: every parameter under its PyTorch `state_dict` name (`rnn.weight_ih_l0`, …,
/// `head.bias`) as float32 in PyTorch's shape, row-major; `__metadata__` holds the
/// ``NetworkConfig`` as JSON under ``networkKey`` plus the caller's string metadata (the domain
/// keeps normalisation statistics and labels there). `scripts/parity/check_checkpoint.py` loads
/// such a file into the reference PyTorch module.
public struct Checkpoint: Sendable {
    /// Metadata key of the network configuration (JSON of ``NetworkConfig``, keys sorted).
    public static let networkKey = "emofuse.network"

    public var network: SequenceNetwork
    /// Caller metadata, without ``networkKey``.
    public var metadata: [String: String]

    public init(network: SequenceNetwork, metadata: [String: String] = [:]) {
        self.network = network
        self.metadata = metadata
    }

    // MARK: Writing

    /// The checkpoint as a safetensors set (parameter values copied).
    /// Throws when `metadata` uses the reserved key ``networkKey``.
    public func safeTensors() throws -> SafeTensors {
        guard metadata[Self.networkKey] == nil else {
            throw CheckpointError(file: "<checkpoint>", message: "metadata key '\(Self.networkKey)' is reserved for the network configuration")
        }
        var file = SafeTensors(metadata: metadata)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        file.metadata[Self.networkKey] = String(decoding: try encoder.encode(network.config), as: UTF8.self)
        for p in network.parameters {
            file.set(p.name, shape: p.shape, copying: p.value)
        }
        return file
    }

    /// Writes the checkpoint atomically (see ``SafeTensors/write(to:)``).
    public func write(to url: URL) throws {
        do {
            try safeTensors().write(to: url)
        } catch let e as CheckpointError {
            throw CheckpointError(file: url.path, message: e.message)
        } catch let e as SafeTensorsError {
            throw CheckpointError(file: e.file, message: e.message)
        }
    }

    // MARK: Reading

    /// Reads a checkpoint: the configuration from the metadata, then every parameter, checked by name and shape.
    public static func read(from url: URL) throws -> Checkpoint {
        let file: SafeTensors
        do {
            file = try SafeTensors.read(from: url)
        } catch let e as SafeTensorsError {
            throw CheckpointError(file: e.file, message: e.message)
        }
        return try Checkpoint(file, source: url.path)
    }

    /// Builds the network described by `file` (`source` names it in errors).
    public init(_ file: SafeTensors, source: String) throws {
        func fail(_ message: String) -> CheckpointError { CheckpointError(file: source, message: message) }
        guard let json = file.metadata[Self.networkKey] else {
            throw fail("no '\(Self.networkKey)' metadata: not a network checkpoint")
        }
        let config: NetworkConfig
        do {
            config = try JSONDecoder().decode(NetworkConfig.self, from: Data(json.utf8))
        } catch {
            throw fail("metadata '\(Self.networkKey)' is not a valid network configuration (\(error))")
        }
        if let problem = Self.implausibility(of: config) {
            throw fail("metadata '\(Self.networkKey)': \(problem)")
        }
        // Check names and shapes against PyTorch's layout before allocating the network.
        try Self.checkTensors(file, expected: Self.parameterShapes(for: config), source: source)
        let network = SequenceNetwork(config: config, seed: 0)
        try Self.assign(file, to: network.parameters, source: source)
        var metadata = file.metadata
        metadata[Self.networkKey] = nil
        self.init(network: network, metadata: metadata)
    }

    /// Copies the tensors of `file` into `parameters` (matched by name). Every parameter must be
    /// present with its exact shape and the file must hold no other tensor; otherwise nothing is
    /// copied and the error lists every missing, unexpected and mis-shaped tensor.
    public static func assign(_ file: SafeTensors, to parameters: [Parameter], source: String) throws {
        try checkTensors(file, expected: parameters.map { ($0.name, $0.shape) }, source: source)
        for p in parameters {
            p.value.copy(from: file[p.name]!.values)
        }
    }

    /// PyTorch `state_dict` names and shapes of the network `config` describes, in state_dict order:
    /// per layer `k` and direction (suffix `""`, then `"_reverse"`): `rnn.weight_ih_l{k}` `[G·H, I_k]`,
    /// `rnn.weight_hh_l{k}` `[G·H, H]`, `rnn.bias_ih_l{k}` `[G·H]`, `rnn.bias_hh_l{k}` `[G·H]`, with
    /// `G` = 3 (GRU) or 4 (LSTM), `I_0` = input size, `I_k` = directions·H; then `head.weight`
    /// `[outputs, directions·H]` and `head.bias` `[outputs]`.
    public static func parameterShapes(for config: NetworkConfig) -> [(name: String, shape: [Int])] {
        let gates = config.cell == .gru ? 3 : 4
        let h = config.hiddenSize, directions = config.bidirectional ? 2 : 1
        var result: [(name: String, shape: [Int])] = []
        for layer in 0..<config.numLayers {
            let input = layer == 0 ? config.inputSize : directions * h
            for suffix in (config.bidirectional ? ["", "_reverse"] : [""]) {
                result.append(("rnn.weight_ih_l\(layer)\(suffix)", [gates * h, input]))
                result.append(("rnn.weight_hh_l\(layer)\(suffix)", [gates * h, h]))
                result.append(("rnn.bias_ih_l\(layer)\(suffix)", [gates * h]))
                result.append(("rnn.bias_hh_l\(layer)\(suffix)", [gates * h]))
            }
        }
        result.append(("head.weight", [config.outputSize, directions * h]))
        result.append(("head.bias", [config.outputSize]))
        return result
    }

    /// Why `config` cannot be a real network (sizes out of range), or nil.
    static func implausibility(of c: NetworkConfig) -> String? {
        let limit = 1 << 24
        for (name, value) in [("inputSize", c.inputSize), ("hiddenSize", c.hiddenSize), ("outputSize", c.outputSize)]
        where value < 1 || value > limit {
            return "\(name) \(value) is out of range 1...\(limit)"
        }
        if c.numLayers < 1 || c.numLayers > 1024 { return "numLayers \(c.numLayers) is out of range 1...1024" }
        if !(c.dropout >= 0 && c.dropout < 1) { return "dropout \(c.dropout) is out of range [0, 1)" }
        return nil
    }

    private static func checkTensors(_ file: SafeTensors, expected: [(name: String, shape: [Int])], source: String) throws {
        var missing: [String] = [], misShaped: [String] = []
        for (name, shape) in expected {
            guard let t = file[name] else { missing.append(name); continue }
            if t.shape != shape { misShaped.append("\(name) is \(t.shape), expected \(shape)") }
        }
        let known = Set(expected.map(\.name))
        let unexpected = file.names.filter { !known.contains($0) }
        guard missing.isEmpty && unexpected.isEmpty && misShaped.isEmpty else {
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing tensors: " + missing.joined(separator: ", ")) }
            if !unexpected.isEmpty { parts.append("unexpected tensors: " + unexpected.joined(separator: ", ")) }
            if !misShaped.isEmpty { parts.append("mis-shaped tensors: " + misShaped.joined(separator: "; ")) }
            throw CheckpointError(file: source, message: "tensors do not match the network: " + parts.joined(separator: "; "))
        }
    }
}

/// A checkpoint that cannot be read, written, or does not match its network.
public struct CheckpointError: Error, LocalizedError, CustomStringConvertible, Equatable {
    public let file: String
    public let message: String

    public init(file: String, message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
    public var errorDescription: String? { description }
}
