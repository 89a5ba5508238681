import Foundation

/// Checkpoints of the system's models: safetensors with PyTorch tensor names (loadable with
/// `load_state_dict(strict=True)`), the network configuration, and a ``ModelCard`` (inputs,
/// normalisation statistics, chosen hyperparameters) in the header metadata.
public enum ModelStore {
    public static func save(_ network: SequenceNetwork, card: ModelCard, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(card), as: UTF8.self)
        try Checkpoint(network: network, metadata: [ModelCard.metadataKey: json]).write(to: url)
    }

    /// Loads a checkpoint written by ``save(_:card:to:)``; errors name the file.
    public static func load(from url: URL) throws -> (network: SequenceNetwork, card: ModelCard) {
        let checkpoint = try Checkpoint.read(from: url)
        guard let json = checkpoint.metadata[ModelCard.metadataKey] else {
            throw CheckpointError(file: url.path, message: "no '\(ModelCard.metadataKey)' metadata: not an EmoFuse model checkpoint (a bare network checkpoint cannot be used for prediction: its inputs and normalisation are unknown)")
        }
        let card: ModelCard
        do {
            card = try JSONDecoder().decode(ModelCard.self, from: Data(json.utf8))
        } catch {
            throw CheckpointError(file: url.path, message: "malformed '\(ModelCard.metadataKey)' metadata: \(error)")
        }
        if let problem = card.contradiction(with: checkpoint.network.config) {
            throw CheckpointError(file: url.path, message: "the model card contradicts itself: \(problem)")
        }
        return (checkpoint.network, card)
    }
}

extension ModelCard {
    /// What makes this card unusable with a network of `config`, or nil.
    func contradiction(with config: NetworkConfig) -> String? {
        if name.isEmpty { return "the model has no name" }
        if inputs.isEmpty { return "the model reads no feature set" }
        switch role {
        case .autoencoder:
            if config.outputSize != config.inputSize {
                return "an auto-encoder whose output size (\(config.outputSize)) differs from its input size (\(config.inputSize))"
            }
        case .regressor, .fusion:
            guard let emotion, !emotion.isEmpty else { return "a \(role.rawValue) model without an emotion" }
            if config.outputSize != 1 { return "a \(role.rawValue) model with \(config.outputSize) outputs (it predicts one emotion)" }
        }
        if normalizer.mean.count != config.inputSize {
            return "normalisation statistics for \(normalizer.mean.count) columns, the network reads \(config.inputSize)"
        }
        return nil
    }
}

/// What `predict` wrote.
public struct PredictionResult: Sendable {
    public var card: ModelCard
    public var featureSet: URL
    /// The submission folder written (fusion models), or nil with the reason in `note`.
    public var submission: URL?
    public var note: String?
}

extension Stages {
    /// Runs a saved model over every subject of the dataset (its inputs rebuilt exactly as in
    /// training, with the stored normalisation) and writes its output feature set into the run
    /// folder, as `name` (default: the model's own name). Input sets are looked up in the run
    /// folder, then in the checkpoint's own run folder, then in the dataset. A fusion model also
    /// writes the submission, unless the run folder's own system owns it. Outputs of a model
    /// trained in the run folder are never overwritten.
    @discardableResult
    public static func predict(checkpoint url: URL, name: String? = nil, threads: Int = TrainingOptions().threads,
                               context: RunContext) throws -> PredictionResult {
        try context.checkRunFolder()
        let (network, card) = try ModelStore.load(from: url)
        network.threads = max(1, threads)
        let output = name ?? card.name
        if FileManager.default.fileExists(atPath: context.metricsURL(output).path) {
            throw ConfigurationError(file: context.run.path, message: "this run folder holds the trained model '\(output)' and its outputs: predict into another --run, or give --name")
        }
        // The checkpoint's own run folder (…/checkpoints/<name>.safetensors) holds its upstream sets.
        let home = url.standardizedFileURL.deletingLastPathComponent()
        let overlays = [context.run] + (home.lastPathComponent == "checkpoints" ? [home.deletingLastPathComponent()] : [])
        let dataset = try MuseDataset(root: context.data, overlays: overlays, options: context.loadOptions)
        for input in card.inputs where dataset.featureSetDirectory(input) == nil {
            var message = "feature set '\(input)' (an input of \(card.name)) is in none of "
                + (overlays + [context.data]).map { "\($0.path)/feature_segments" }.joined(separator: ", ")
            if overlays.count > 1 {
                let upstream = overlays[1].appendingPathComponent("checkpoints/\(ModelName.producer(of: input)).safetensors")
                if FileManager.default.fileExists(atPath: upstream.path) {
                    message += "; make it first: emofuse predict --checkpoint \(upstream.path) --data \(context.data.path) --run \(context.run.path)"
                }
            }
            throw DatasetError(file: url.path, message: message)
        }
        let aligned = try dataset.aligned(featureSets: card.inputs, emotions: card.emotion.map { [$0] } ?? [],
                                          normalizer: card.normalizer)
        guard aligned.featureDim == network.config.inputSize else {
            throw CheckpointError(file: url.path, message: "the model expects \(network.config.inputSize) input columns, the data give \(aligned.featureDim) (\(card.inputs.joined(separator: ", ")))")
        }
        let data = card.role == .autoencoder ? ModelData.autoencoder(aligned)
                                              : ModelData.regression(aligned, emotion: card.emotion!)
        let outputs = ModelOutputs.compute(network, role: card.role, data: data)
        try ModelOutputs.write(name: output, role: card.role, values: outputs, aligned: aligned, to: context.run)
        var result = PredictionResult(card: card, featureSet: context.run.appendingPathComponent("feature_segments/\(output)"))
        if card.role == .fusion, let emotion = card.emotion {
            if FileManager.default.fileExists(atPath: context.metricsURL(ModelName.fusion(emotion)).path) {
                result.note = "submission not written: \(context.run.path)/submission belongs to this run folder's own system"
            } else {
                let root = context.run.appendingPathComponent("submission")
                try ModelOutputs.writeSubmission(outputs, aligned: aligned, labels: try dataset.labels(emotion), to: root)
                result.submission = root.appendingPathComponent("label_segments/\(emotion)")
            }
        }
        return result
    }
}
