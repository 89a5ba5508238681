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
        do {
            return (checkpoint.network, try JSONDecoder().decode(ModelCard.self, from: Data(json.utf8)))
        } catch {
            throw CheckpointError(file: url.path, message: "malformed '\(ModelCard.metadataKey)' metadata: \(error)")
        }
    }
}

extension Stages {
    /// Runs a saved model over every subject of the dataset (its inputs rebuilt exactly as in
    /// training, with the stored normalisation) and writes its output feature set into the run
    /// folder, as `name` (default: the model's own name). A fusion model also writes the submission.
    @discardableResult
    public static func predict(checkpoint url: URL, name: String? = nil, context: RunContext) throws -> ModelCard {
        let (network, card) = try ModelStore.load(from: url)
        network.threads = max(1, context.training.threads)
        let dataset = try context.dataset()
        let aligned = try dataset.aligned(featureSets: card.inputs, emotions: card.emotion.map { [$0] } ?? [],
                                          normalizer: card.normalizer)
        guard aligned.featureDim == network.config.inputSize else {
            throw CheckpointError(file: url.path, message: "the model expects \(network.config.inputSize) input columns, the data give \(aligned.featureDim) (\(card.inputs.joined(separator: ", ")))")
        }
        let data = card.role == .autoencoder ? ModelData.autoencoder(aligned)
                                              : ModelData.regression(aligned, emotion: card.emotion!)
        let outputs = ModelOutputs.compute(network, role: card.role, data: data)
        try ModelOutputs.write(name: name ?? card.name, role: card.role, values: outputs, aligned: aligned, to: context.run)
        if card.role == .fusion, let emotion = card.emotion {
            try ModelOutputs.writeSubmission(outputs, aligned: aligned, emotion: emotion,
                                             to: context.run.appendingPathComponent("submission"))
        }
        return card
    }
}
