import Foundation
import SeqNet

/// Imports a plain PyTorch `state_dict` saved with safetensors (no EmoFuse metadata) as an
/// EmoFuse model checkpoint: a module with an `nn.GRU`/`nn.LSTM` (`batch_first=True`) named
/// `rnn` and an `nn.Linear` named `head` applied at every step, optionally under a prefix
/// (`model.rnn.weight_ih_l0` with prefix `model.`).
///
/// The network is read off the names and shapes: the cell from the gate rows of
/// `rnn.weight_hh_l0` (3·H: GRU, 4·H: LSTM), the hidden size from its columns, the layers from
/// the `_l<k>` suffixes, the direction from `_reverse`, input and output sizes from
/// `rnn.weight_ih_l0` and `head.weight`. A `state_dict` without biases (`bias=False`) imports
/// with zero biases, which is the same function. Anything else (projections `weight_hr`,
/// missing or extra tensors, inconsistent shapes) is refused with the reason.
public enum TorchImport {
    public struct Options: Sendable {
        /// Names of the raw feature sets the model reads, in column order.
        public var inputs: [String]
        public var emotion: String?
        public var name: String?
        public var role: ModelRole = .regressor
        /// Prefix of the module's tensor names (`""`: `rnn.*`, `head.*`).
        public var prefix: String = ""
        public init(inputs: [String], emotion: String?) { self.inputs = inputs; self.emotion = emotion }
    }

    /// The network configuration the tensors of `file` describe (names taken after `prefix`).
    public static func inferConfig(_ file: SafeTensors, prefix: String, source: String) throws -> NetworkConfig {
        func fail(_ message: String) -> CheckpointError { CheckpointError(file: source, message: message) }
        let names = file.names.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
        if names.isEmpty {
            throw fail("no tensor named '\(prefix)…' (tensors: \(file.names.prefix(6).joined(separator: ", "))\(file.names.count > 6 ? ", …" : "")); give the module's prefix with --prefix")
        }
        if let projection = names.first(where: { $0.hasPrefix("rnn.weight_hr") }) {
            throw fail("'\(prefix)\(projection)': LSTM projections (proj_size) are not supported")
        }
        guard let hh = file[prefix + "rnn.weight_hh_l0"], hh.shape.count == 2, hh.shape[1] > 0 else {
            let hint = file.names.first { $0.hasSuffix("rnn.weight_hh_l0") && $0 != prefix + "rnn.weight_hh_l0" }
                .map { " (found '\($0)': give --prefix '\($0.dropLast("rnn.weight_hh_l0".count))')" } ?? ""
            throw fail("no 2-D '\(prefix)rnn.weight_hh_l0': not an nn.GRU/nn.LSTM named 'rnn'" + hint)
        }
        let hidden = hh.shape[1]
        let cell: CellType
        switch hh.shape[0] {
        case 3 * hidden: cell = .gru
        case 4 * hidden: cell = .lstm
        default:
            throw fail("'\(prefix)rnn.weight_hh_l0' is \(hh.shape): \(hh.shape[0]) gate rows is neither 3·\(hidden) (GRU) nor 4·\(hidden) (LSTM)")
        }
        guard let ih = file[prefix + "rnn.weight_ih_l0"], ih.shape.count == 2 else {
            throw fail("no 2-D '\(prefix)rnn.weight_ih_l0'")
        }
        var layers = 0
        while names.contains("rnn.weight_ih_l\(layers)") { layers += 1 }
        let bidirectional = names.contains("rnn.weight_ih_l0_reverse")
        guard let head = file[prefix + "head.weight"], head.shape.count == 2 else {
            throw fail("no 2-D '\(prefix)head.weight': the per-step nn.Linear must be named 'head'")
        }
        return NetworkConfig(cell: cell, inputSize: ih.shape[1], hiddenSize: hidden, numLayers: layers,
                             bidirectional: bidirectional, outputSize: head.shape[0])
    }

    /// The network of `url`, with every tensor checked against the inferred configuration.
    public static func network(from url: URL, prefix: String) throws -> SequenceNetwork {
        let file: SafeTensors
        do { file = try SafeTensors.read(from: url) } catch let e as SafeTensorsError {
            throw CheckpointError(file: e.file, message: e.message)
        }
        let config = try inferConfig(file, prefix: prefix, source: url.path)
        var renamed = SafeTensors()
        for name in file.names where name.hasPrefix(prefix) {
            renamed.set(String(name.dropFirst(prefix.count)), file[name]!)
        }
        // bias=False: PyTorch has no bias tensors; zero biases compute the same function.
        let network = SequenceNetwork(config: config, seed: 0)
        let hasBiases = renamed["rnn.bias_ih_l0"] != nil
        for p in network.parameters where !hasBiases && p.name.hasPrefix("rnn.bias_") {
            renamed.set(p.name, shape: p.shape, copying: FloatBuffer(count: p.count))
        }
        do {
            try Checkpoint.assign(renamed, to: network.parameters, source: url.path)
        } catch let e as CheckpointError {
            throw CheckpointError(file: e.file, message: e.message + " (inferred: \(describe(config)); names read after the prefix '\(prefix)')")
        }
        return network
    }

    /// Imports `url` and writes an EmoFuse checkpoint to `output`. The normalisation statistics
    /// come from the train partition of `data` (as training fits them), or are the identity
    /// (the model then sees the features as they are) when `data` is nil.
    @discardableResult
    public static func run(_ url: URL, options: Options, data: URL?, loadOptions: LoadOptions = LoadOptions(),
                           to output: URL) throws -> (card: ModelCard, config: NetworkConfig) {
        guard !options.inputs.isEmpty else {
            throw CheckpointError(file: url.path, message: "the model's inputs (feature sets, in column order) must be given")
        }
        let network = try network(from: url, prefix: options.prefix)
        let normalizer: Normalizer
        if let data {
            let aligned = try MuseDataset(root: data, options: loadOptions)
                .aligned(featureSets: options.inputs, emotions: [], partitions: [.train])
            guard aligned.featureDim == network.config.inputSize else {
                throw CheckpointError(file: url.path, message: "the network reads \(network.config.inputSize) columns, \(options.inputs.joined(separator: "+")) in \(data.path) have \(aligned.featureDim)")
            }
            normalizer = aligned.normalizer
        } else {
            normalizer = .identity(dim: network.config.inputSize)
        }
        let c = network.config
        let name = options.name ?? "pred-\(options.inputs.joined(separator: "+"))" + (options.emotion.map { "-\($0)" } ?? "")
        let card = ModelCard(name: name, role: options.role, inputs: options.inputs, emotion: options.emotion,
                             normalizer: normalizer,
                             candidate: Candidate(spec: ModelSpec(cell: c.cell, bidirectional: c.bidirectional,
                                                                  hiddenSize: c.hiddenSize, layers: c.numLayers, dropout: 0),
                                                  learningRate: 0, seed: 0),
                             // The training loss is unknown for an imported model; the card needs one.
                             loss: options.role == .autoencoder ? .mse : .ccc)
        try FileManager.default.createDirectory(at: output.deletingLastPathComponent(), withIntermediateDirectories: true)
        try ModelStore.save(network, card: card, to: output)
        return (card, network.config)
    }

    public static func describe(_ c: NetworkConfig) -> String {
        "\(c.bidirectional ? "bidirectional " : "")\(c.cell.rawValue.uppercased()), \(c.numLayers) layer\(c.numLayers == 1 ? "" : "s") × \(c.hiddenSize), \(c.inputSize) inputs, \(c.outputSize) output\(c.outputSize == 1 ? "" : "s")"
    }
}
