import Foundation
import SeqNet

/// A trained system loaded for use from Swift: the model that gives the trace (normally a run's
/// fusion model) and every model it depends on, found by walking each checkpoint's
/// ``ModelCard/inputs``: an input with a checkpoint `<name>.safetensors` beside it is that model's
/// output (`re-<set>` from an auto-encoder, `pred-<set>-<emotion>` from a regressor; an
/// out-of-fold input `<name>-oof` is served by `<name>`); any other input is a raw feature set
/// the caller supplies (``featureSets``, with ``width(of:)`` columns each).
///
/// ```swift
/// let system = try LiveSystem(run: URL(fileURLWithPath: "runs/causal"), emotion: "arousal")
/// let trace = try system.predict(recording)          // whole recording, as `emofuse predict`
/// let stream = try system.makeStream()               // frame by frame (causal systems only)
/// let value = try stream.push(["egemaps": row, "vggface": faceRow])   // a missing set = a lost modality
/// ```
///
/// `predict` reproduces what the run wrote for the same rows (same normalisation, same network
/// code). A stream gives the same values as `predict` on the same frames, bit for bit for layer
/// inputs up to 1024 columns (see ``SeqNet/SequenceStepper`` for the rounding bound beyond).
public final class LiveSystem: @unchecked Sendable {
    /// The model whose output is the trace.
    public var output: String { models.last!.name }
    /// Its emotion (nil for an auto-encoder).
    public var emotion: String? { models.last!.card.emotion }
    /// The raw feature sets a recording or frame must provide, in the order first met.
    public let featureSets: [String]
    /// The auto-encoders of the chain (`re-<set>`), whose reconstruction errors come with the trace.
    public var reconstructionErrorNames: [String] { models.filter { $0.card.role == .autoencoder }.map(\.name) }
    /// Every model of the chain, inputs before the models that read them.
    public var modelNames: [String] { models.map(\.name) }
    /// Whether every model is unidirectional, so that the system can stream.
    public var isCausal: Bool { models.allSatisfy { !$0.network.config.bidirectional } }

    let models: [LiveModel]
    let widths: [String: Int]

    /// The fusion model of a run folder for `emotion` (`<run>/checkpoints/pred-fusion-<emotion>.safetensors`;
    /// in a run over several seeds, the first seed's, which wrote the submission) and its chain,
    /// or the model named `model` instead.
    public convenience init(run: URL, emotion: String, model: String? = nil) throws(LiveError) {
        var name = model ?? ModelName.fusion(emotion)
        if model == nil, let data = try? Data(contentsOf: run.appendingPathComponent("plan.json")),
           let plan = try? JSONFiles.decode(Plan.self, from: data) {
            name = plan.replicates(name)[0]
        }
        try self.init(checkpoint: run.appendingPathComponent("checkpoints").appendingPathComponent("\(name).safetensors"))
    }

    /// The model of `checkpoint` and its chain, looked up beside it (a run's `checkpoints/` folder).
    public init(checkpoint: URL) throws(LiveError) {
        var resolver = ChainResolver(folder: checkpoint.deletingLastPathComponent())
        _ = try resolver.load(name: checkpoint.deletingPathExtension().lastPathComponent, file: checkpoint, path: [])
        models = resolver.models
        featureSets = resolver.rawSets
        widths = try resolver.solveWidths()
    }

    /// Columns of raw feature set `set`.
    public func width(of set: String) -> Int? { widths[set] }

    /// Runs the chain over a whole recording, each model over all its rows at once.
    public func predict(_ recording: Recording) throws(LiveError) -> Trace {
        let rows = try check(recording)
        var outputs: [[Float]] = []
        var res: [String: [Float]] = [:]
        for model in models {
            var matrix = assemble(model, rows: rows, recording: recording, outputs: outputs)
            model.card.normalizer.apply(&matrix)
            let sequence = ModelSequence(id: "recording", partition: .devel, rows: rows, inputs: matrix, targets: [])
            if model.card.role == .autoencoder {
                let errors = Inference.reconstructionErrors(model.network, sequences: [sequence])[0]
                outputs.append(errors)
                res[model.name] = errors
            } else {
                outputs.append(Inference.predict(model.network, sequences: [sequence], batchSize: 1)[0])
            }
        }
        return Trace(values: outputs.last!, reconstructionErrors: res, timestamps: recording.timestamps)
    }

    /// A stream with zero state, fed one step at a time (throws for a non-causal system).
    public func makeStream() throws(LiveError) -> LiveStream {
        if let model = models.first(where: { $0.network.config.bidirectional }) {
            throw .notCausal(model: model.name, file: model.file)
        }
        return LiveStream(system: self)
    }

    /// Rows of the recording after checking every set's presence and width.
    private func check(_ recording: Recording) throws(LiveError) -> Int {
        for name in recording.features.keys where widths[name] == nil {
            throw .unknownFeatureSet(name, known: featureSets)
        }
        var rows: Int?
        for set in featureSets {
            guard let values = recording.features[set] else { throw .missingFeatureSet(set) }
            let w = widths[set]!
            guard values.count % w == 0 else { throw .wrongWidth(set: set, expected: w, got: values.count) }
            if let r = rows, r != values.count / w {
                throw .rowCountMismatch(set: set, rows: values.count / w, expected: r)
            }
            rows = values.count / w
        }
        if let t = recording.timestamps, let r = rows, t.count != r {
            throw .rowCountMismatch(set: "timestamps", rows: t.count, expected: r)
        }
        return rows ?? 0
    }

    /// A model's input matrix `rows × inputSize`: its inputs' columns side by side, raw values.
    private func assemble(_ model: LiveModel, rows: Int, recording: Recording, outputs: [[Float]]) -> [Float] {
        let width = model.network.config.inputSize
        var matrix = [Float](repeating: 0, count: rows * width)
        var offset = 0
        for input in model.inputs {
            switch input {
            case .raw(let set):
                let w = widths[set]!, values = recording.features[set]!
                for t in 0..<rows {
                    for j in 0..<w { matrix[t * width + offset + j] = values[t * w + j] }
                }
                offset += w
            case .model(let index):
                for t in 0..<rows { matrix[t * width + offset] = outputs[index][t] }
                offset += 1
            }
        }
        return matrix
    }
}

/// A recording's raw feature sets: per set, `rows × width` values row-major, NaN (or a missing
/// row of NaN) where the extractor had nothing, e.g. no face.
public struct Recording: Sendable {
    public var features: [String: [Float]]
    /// Optional, carried into the ``Trace``.
    public var timestamps: [Int64]?

    public init(features: [String: [Float]] = [:], timestamps: [Int64]? = nil) {
        self.features = features
        self.timestamps = timestamps
    }

    /// One subject of a MuSe-layout data folder: the feature sets `sets` as their files hold them
    /// (label-file row alignment is the caller's business: rows are taken as they are).
    public static func load(data: URL, subject: String, sets: [String]) throws(LiveError) -> Recording {
        do {
            var options = LoadOptions()
            options.useCache = false
            let dataset = try MuseDataset(root: data, options: options)
            var recording = Recording()
            for set in sets {
                let featureSet = try dataset.featureSet(set)
                guard let sequence = featureSet.sequences[subject] else {
                    throw LiveError.data("\(data.path): feature set '\(set)' has no file for subject '\(subject)'")
                }
                recording.features[set] = sequence.values
                if recording.timestamps == nil { recording.timestamps = sequence.timestamps }
            }
            return recording
        } catch let e as LiveError {
            throw e
        } catch {
            throw .data("\(error)")
        }
    }
}

/// What ``LiveSystem/predict(_:)`` gives: the output model's values per row and the
/// reconstruction error of every auto-encoder of the chain (by model name, `re-<set>`).
public struct Trace: Sendable, Equatable {
    public var values: [Float]
    public var reconstructionErrors: [String: [Float]]
    public var timestamps: [Int64]?
}

/// One model of a loaded chain.
final class LiveModel: @unchecked Sendable {
    enum Input: Equatable { case raw(String), model(Int) }
    let name: String
    let file: String
    let card: ModelCard
    let network: SequenceNetwork
    let inputs: [Input]

    init(name: String, file: String, card: ModelCard, network: SequenceNetwork, inputs: [Input]) {
        self.name = name; self.file = file; self.card = card; self.network = network; self.inputs = inputs
    }
}

/// Loads a checkpoint and, depth first, the checkpoints of its model inputs.
struct ChainResolver {
    let folder: URL
    var models: [LiveModel] = []
    var rawSets: [String] = []

    init(folder: URL) { self.folder = folder }

    /// The index in `models` of model `name` (loaded once).
    mutating func load(name: String, file: URL, path: [String]) throws(LiveError) -> Int {
        if let i = models.firstIndex(where: { $0.name == name }) { return i }
        if path.contains(name) { throw .cycle(path + [name]) }
        let network: SequenceNetwork, card: ModelCard
        do {
            (network, card) = try ModelStore.load(from: file)
        } catch let e as CheckpointError {
            throw .checkpoint(file: e.file, message: e.message)
        } catch {
            throw .checkpoint(file: file.path, message: "\(error)")
        }
        var inputs: [LiveModel.Input] = []
        for input in card.inputs {
            if let (model, url) = checkpoint(for: input) {
                inputs.append(.model(try load(name: model, file: url, path: path + [name])))
            } else {
                inputs.append(.raw(input))
                if !rawSets.contains(input) { rawSets.append(input) }
            }
        }
        models.append(LiveModel(name: name, file: file.path, card: card, network: network, inputs: inputs))
        return models.count - 1
    }

    /// The model serving input `name`, if the folder has its checkpoint.
    private func checkpoint(for name: String) -> (String, URL)? {
        var candidates = [name]
        if name.hasSuffix("-oof") { candidates.append(String(name.dropLast(4))) }
        for candidate in candidates {
            let url = folder.appendingPathComponent("\(candidate).safetensors")
            if FileManager.default.fileExists(atPath: url.path) { return (candidate, url) }
        }
        return nil
    }

    /// Every raw set's width, from the models' input sizes (model inputs are one column each).
    func solveWidths() throws(LiveError) -> [String: Int] {
        var widths: [String: Int] = [:]
        var progress = true
        while progress {
            progress = false
            for model in models {
                var known = 0
                var unknown: [String] = []
                for input in model.inputs {
                    switch input {
                    case .model: known += 1
                    case .raw(let s): if let w = widths[s] { known += w } else if !unknown.contains(s) { unknown.append(s) }
                    }
                }
                let size = model.network.config.inputSize
                if unknown.count == 1 {
                    let w = size - known
                    guard w > 0 else { throw .conflictingWidth(set: unknown[0], widths: [w]) }
                    widths[unknown[0]] = w
                    progress = true
                } else if unknown.isEmpty && known != size {
                    throw .checkpoint(file: model.file, message: "the network has \(size) inputs, its inputs \(model.card.inputs.joined(separator: ", ")) give \(known) columns")
                }
            }
        }
        for model in models {
            let open = model.inputs.compactMap { i -> String? in
                if case .raw(let s) = i, widths[s] == nil { return s } else { return nil }
            }
            if !open.isEmpty { throw .ambiguousWidths(model: model.name, sets: open) }
        }
        return widths
    }
}
