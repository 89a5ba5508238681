import Foundation
import SeqNet

/// What a checkpoint's metadata says about the model, so `predict` can rebuild its inputs exactly.
public struct ModelCard: Codable, Sendable, Equatable {
    public var name: String
    public var role: ModelRole
    public var inputs: [String]
    public var emotion: String?
    public var normalizer: Normalizer
    public var candidate: Candidate
    public var loss: LossKind
    /// How the inputs made from audio were extracted (`emofuse features`), by input name; nil for
    /// other features. Lets `predict-audio` extract new recordings the same way.
    public var extraction: [String: FeatureExtraction]? = nil

    static let metadataKey = "emofuse.model"
}

/// One model's training recipe, top to bottom: load and z-score its inputs, train every grid
/// candidate (keeping the best on devel), and write — into `staging`, laid out like the run folder —
/// its checkpoint, its output feature set over every label row, its out-of-fold set and submission
/// where planned. The ``Runner`` decides whether to call it and moves the outputs into place.
struct ModelTraining {
    let model: PlannedModel
    let context: RunContext
    /// Threads for this model (the runner's share).
    let threads: Int
    /// Called after every epoch of every candidate and fold model (index, total, record).
    let onEpoch: (_ index: Int, _ count: Int, _ label: String, _ record: EpochRecord) -> Void

    private var role: ModelRole { model.role }
    private var objective: Objective { role == .autoencoder ? .reconstruction : .regression }

    func run(staging: URL) throws -> ModelOutcome {
        let started = ContinuousClock.now
        let candidates = model.candidates
        let dataset = try context.dataset()
        let emotions = model.emotion.map { [$0] } ?? []
        let aligned = try dataset.aligned(featureSets: model.inputs, emotions: emotions)
        let data = modelData(aligned)

        var best: (index: Int, result: TrainingResult)?
        var outcomes: [CandidateOutcome] = []
        for (i, candidate) in candidates.enumerated() {
            let t0 = ContinuousClock.now
            let result = try train(data, candidate, index: i, of: candidates.count)
            outcomes.append(CandidateOutcome(candidate: candidate, develMetric: result.bestMetric,
                                             bestEpoch: result.bestEpoch, epochs: result.log.count,
                                             seconds: seconds(since: t0)))
            if let b = best {
                let better = objective.higherIsBetter ? result.bestMetric > b.result.bestMetric
                                                      : result.bestMetric < b.result.bestMetric
                if better { best = (i, result) }
            } else {
                best = (i, result)
            }
        }
        let (bestIndex, bestResult) = best!
        let chosen = candidates[bestIndex]

        var card = ModelCard(name: model.name, role: role, inputs: model.inputs, emotion: model.emotion,
                             normalizer: aligned.normalizer, candidate: chosen, loss: model.training.loss)
        card.extraction = FeatureExtraction.records(forInputs: model.inputs, dataset: dataset)
        try ModelStore.save(bestResult.network, card: card,
                            to: staging.appendingPathComponent("checkpoints/\(model.name).safetensors"))

        // Outputs cover every label row: rows the baseline policy dropped for training are predicted too.
        let full = context.loadOptions.dropNaNRows
            ? try fullGrid().aligned(featureSets: model.inputs, emotions: emotions, normalizer: aligned.normalizer)
            : aligned
        let fullData = modelData(full)
        let outputs = ModelOutputs.compute(bestResult.network, role: role, data: fullData)
        try ModelOutputs.write(name: model.name, role: role, values: outputs, aligned: full, to: staging)
        var scores = ModelOutputs.scores(outputs, role: role, data: fullData)
        if let key = context.testKey, let emotion = model.emotion, role != .autoencoder,
           let test = try ModelOutputs.testScore(outputs, aligned: full, dataset: dataset, emotion: emotion, key: key) {
            scores["test"] = test
        }
        if model.submission, let emotion = model.emotion {
            try ModelOutputs.writeSubmission(outputs, aligned: full, labels: try dataset.labels(emotion),
                                             to: staging.appendingPathComponent("submission"))
        }
        if model.folds > 1 {
            let oof = try outOfFold(data, fullData, chosen, full: outputs)
            try ModelOutputs.write(name: ModelName.outOfFold(model.name), role: role, values: oof, aligned: full, to: staging)
            scores["train-oof"] = ModelOutputs.scores(oof, role: role, data: fullData)["train"]
        }
        return ModelOutcome(name: model.name, role: role, inputs: model.inputs, emotion: model.emotion,
                            loss: model.training.loss, chosen: chosen, develMetric: bestResult.bestMetric,
                            candidates: outcomes, scores: scores, folds: model.folds,
                            seconds: seconds(since: started), provenance: nil)
    }

    private func modelData(_ aligned: AlignedData) -> ModelData {
        role == .autoencoder ? .autoencoder(aligned) : .regression(aligned, emotion: model.emotion!)
    }

    /// The dataset without the baseline's row dropping (same files, same cache).
    private func fullGrid() throws -> MuseDataset {
        var options = context.loadOptions
        options.dropNaNRows = false
        return try MuseDataset(root: context.data, overlays: [context.run], options: options)
    }

    private func train(_ data: ModelData, _ candidate: Candidate, index: Int, of count: Int) throws -> TrainingResult {
        var options = model.training
        options.learningRate = candidate.learningRate
        options.threads = threads
        let label = candidate.label
        let result = try Trainer.train(data: data, spec: candidate.spec, options: options, objective: objective,
                                       seed: candidate.seed) { record in
            onEpoch(index, count, label, record)
        }
        guard result.bestEpoch > 0 else {
            throw TrainingError.diverged("\(model.name), \(candidate.label): no epoch gave a finite devel metric (try a lower learning rate or --clip-norm)")
        }
        return result
    }

    /// k-fold cross-fitting over train subjects: each train subject's predictions come from a
    /// model trained without it (devel still early-stops); other partitions keep `full`.
    /// The normalisation statistics are the full train partition's (unsupervised; no label leaks).
    private func outOfFold(_ data: ModelData, _ fullData: ModelData, _ candidate: Candidate,
                           full: [[Float]]) throws -> [[Float]] {
        let folds = model.folds
        let trainIDs = data.sequences.filter { $0.partition == .train }.map(\.id)
        guard trainIDs.count >= folds else {
            throw TrainingError.invalid("\(folds) out-of-fold folds need at least \(folds) train subjects, there are \(trainIDs.count)")
        }
        var order = trainIDs
        var rng = RandomSource(seed: candidate.seed).derived(stream: 77)
        rng.shuffle(&order)
        var result = full
        let first = model.candidates.count
        for fold in 0..<folds {
            let held = Set(order.enumerated().filter { $0.offset % folds == fold }.map(\.element))
            let subset = ModelData(inputSize: data.inputSize, outputSize: data.outputSize,
                                   sequences: data.sequences.filter { !held.contains($0.id) })
            let trained = try train(subset, candidate, index: first + fold, of: first + folds)
            let heldIndices = fullData.sequences.indices.filter { held.contains(fullData.sequences[$0].id) }
            let predictions = ModelOutputs.compute(trained.network, role: role,
                                                   data: ModelData(inputSize: data.inputSize, outputSize: data.outputSize,
                                                                   sequences: heldIndices.map { fullData.sequences[$0] }))
            for (k, i) in heldIndices.enumerated() { result[i] = predictions[k] }
        }
        return result
    }
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = start.duration(to: .now)
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}
