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
    /// other features. Lets `predict --audio` extract new recordings the same way.
    public var extraction: [String: FeatureExtraction]? = nil
    /// The train subjects a fold checkpoint of a cross-fitted model was trained on (nil for a
    /// model trained on the whole train partition), so anyone can check which subjects it never saw.
    public var trainedOn: [String]? = nil

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

    /// Counted GFLOP of every training this recipe ran (candidates and fold models).
    private let work = WorkTally()

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
        // The RE downstream models read (out-of-fold with folds), and its transforms beside it.
        var reconstructionErrors = outputs
        if model.folds > 1 {
            let folds = try foldModels(data, chosen)
            if role == .autoencoder {
                // `<name>` is the out-of-fold RE; the full auto-encoder's in-sample RE is `<name>-insample`.
                try ModelOutputs.write(name: ModelName.inSample(model.name), role: role, values: outputs, aligned: full, to: staging)
                let oof = Self.outOfFoldReconstructionErrors(folds: folds.map { ($0.held, $0.network) }, data: fullData)
                try ModelOutputs.write(name: model.name, role: role, values: oof, aligned: full, to: staging)
                for (p, v) in ModelOutputs.scores(oof, role: role, data: fullData) { scores["\(p)-oof"] = v }
                for (k, fold) in folds.enumerated() {
                    var foldCard = card
                    foldCard.trainedOn = fold.trainedOn
                    try ModelStore.save(fold.network, card: foldCard,
                                        to: staging.appendingPathComponent("checkpoints/\(ModelName.foldCheckpoint(model.name, fold: k))"))
                }
                reconstructionErrors = oof
            } else {
                let oof = Self.outOfFoldPredictions(folds: folds.map { ($0.held, $0.network) }, data: fullData, full: outputs, role: role)
                try ModelOutputs.write(name: ModelName.outOfFold(model.name), role: role, values: oof, aligned: full, to: staging)
                scores["train-oof"] = ModelOutputs.scores(oof, role: role, data: fullData)["train"]
            }
        }
        if role == .autoencoder {
            for (p, v) in try ModelOutputs.writeTransforms(model, re: reconstructionErrors, aligned: full, data: fullData, to: staging) {
                scores[p] = v
            }
        }
        return ModelOutcome(name: model.name, role: role, inputs: model.inputs, emotion: model.emotion,
                            loss: model.training.loss, chosen: chosen, develMetric: bestResult.bestMetric,
                            candidates: outcomes, scores: scores, folds: model.folds,
                            seconds: seconds(since: started), gflop: work.gflop, provenance: nil)
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
        work.gflop += result.log.reduce(0) { $0 + ($1.gflop ?? 0) }
        guard result.bestEpoch > 0 else {
            throw TrainingError.diverged("\(model.name), \(candidate.label): no epoch gave a finite devel metric (try a lower learning rate or --clip-norm)")
        }
        return result
    }

    /// The train subjects each fold holds out: a seeded shuffle of `trainIDs` dealt round-robin, so
    /// every train subject is held out by exactly one fold. Fold k's model trains on the others.
    static func foldPlan(trainIDs: [String], folds: Int, seed: UInt64) -> [Set<String>] {
        var order = trainIDs
        var rng = RandomSource(seed: seed).derived(stream: 77)
        rng.shuffle(&order)
        return (0..<folds).map { fold in Set(order.enumerated().filter { $0.offset % folds == fold }.map(\.element)) }
    }

    /// k-fold cross-fitting over train subjects: one model per fold, trained without the fold's
    /// held-out subjects (devel still early-stops). The normalisation statistics are the full train
    /// partition's (unsupervised; no label leaks). `trainedOn`: the train subjects the fold model saw.
    private func foldModels(_ data: ModelData, _ candidate: Candidate) throws
        -> [(held: Set<String>, trainedOn: [String], network: SequenceNetwork)] {
        let folds = model.folds
        let trainIDs = data.sequences.filter { $0.partition == .train }.map(\.id)
        guard trainIDs.count >= folds else {
            throw TrainingError.invalid("\(folds) out-of-fold folds need at least \(folds) train subjects, there are \(trainIDs.count)")
        }
        let first = model.candidates.count
        return try Self.foldPlan(trainIDs: trainIDs, folds: folds, seed: candidate.seed).enumerated().map { fold, held in
            let subset = ModelData(inputSize: data.inputSize, outputSize: data.outputSize,
                                   sequences: data.sequences.filter { !held.contains($0.id) })
            let trainedOn = subset.sequences.filter { $0.partition == .train }.map(\.id)
            return (held, trainedOn, try train(subset, candidate, index: first + fold, of: first + folds).network)
        }
    }

    /// Train rows predicted by the fold model that did not see them; other partitions keep `full`.
    static func outOfFoldPredictions(folds: [(held: Set<String>, network: SequenceNetwork)], data: ModelData,
                                     full: [[Float]], role: ModelRole) -> [[Float]] {
        var result = full
        for fold in folds {
            let indices = data.sequences.indices.filter { data.sequences[$0].partition == .train && fold.held.contains(data.sequences[$0].id) }
            let values = ModelOutputs.compute(fold.network, role: role, data: data.subset(indices))
            for (k, i) in indices.enumerated() { result[i] = values[k] }
        }
        return result
    }

    /// Out-of-fold REs: a train subject's from the fold auto-encoder that held it out; every other
    /// subject's the mean of the fold auto-encoders' REs (as stacked models predict held-out data),
    /// so every partition's RE comes from auto-encoders trained on the same number of subjects.
    static func outOfFoldReconstructionErrors(folds: [(held: Set<String>, network: SequenceNetwork)], data: ModelData) -> [[Float]] {
        let all = folds.map { ModelOutputs.compute($0.network, role: .autoencoder, data: data) }
        return data.sequences.indices.map { i in
            let s = data.sequences[i]
            if s.partition == .train, let k = folds.firstIndex(where: { $0.held.contains(s.id) }) { return all[k][i] }
            return meanOf(all.map { $0[i] })
        }
    }

    /// The element-wise mean of equally long arrays.
    static func meanOf(_ arrays: [[Float]]) -> [Float] {
        guard var sum = arrays.first else { return [] }
        for a in arrays.dropFirst() { for t in sum.indices { sum[t] += a[t] } }
        let n = Float(arrays.count)
        return sum.map { $0 / n }
    }
}

/// A running total shared by the calls of one ``ModelTraining``.
final class WorkTally {
    var gflop = 0.0
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = start.duration(to: .now)
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

extension ModelData {
    /// The sequences at `indices`, in that order.
    func subset(_ indices: [Int]) -> ModelData {
        ModelData(inputSize: inputSize, outputSize: outputSize, sequences: indices.map { sequences[$0] })
    }
}
