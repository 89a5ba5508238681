import Foundation

/// What a checkpoint's metadata says about the model, so `predict` can rebuild its inputs exactly.
public struct ModelCard: Codable, Sendable, Equatable {
    public var name: String
    public var role: ModelRole
    public var inputs: [String]
    public var emotion: String?
    public var normalizer: Normalizer
    public var candidate: Candidate
    public var loss: LossKind

    static let metadataKey = "emofuse.model"
}

/// Trains one model of the system (grid search, best candidate kept), then writes its checkpoint,
/// logs, output feature set (and out-of-fold set, submission) and finally its metrics file.
struct ModelJob {
    let name: String
    let role: ModelRole
    let inputs: [String]
    let emotion: String?
    let folds: Int
    var submission = false

    private var objective: Objective { role == .autoencoder ? .reconstruction : .regression }

    func run(_ context: RunContext) throws -> ModelOutcome {
        if let done = Stages.finished(name, context: context), done.inputs == inputs, done.folds == folds,
           FileManager.default.fileExists(atPath: context.checkpointURL(name).path) {
            context.progress?(.modelSkipped(model: name))
            return done
        }
        let started = ContinuousClock.now
        let dataset = try context.dataset()
        let aligned = try dataset.aligned(featureSets: inputs, emotions: emotion.map { [$0] } ?? [])
        let data = role == .autoencoder ? ModelData.autoencoder(aligned)
                                         : ModelData.regression(aligned, emotion: emotion!)

        // Auto-encoders train once, with the grid's first candidate; predictors search the grid.
        var candidates = context.grid.candidates(base: ModelSpec(hiddenSize: context.network.hiddenSize,
                                                                 layers: context.network.layers))
        if role == .autoencoder { candidates = Array(candidates.prefix(1)) }
        guard !candidates.isEmpty else { throw TrainingError.noTrainingData("the hyperparameter grid is empty") }
        context.progress?(.modelStarted(model: name, candidates: candidates.count))

        var best: (index: Int, result: TrainingResult)?
        var outcomes: [CandidateOutcome] = []
        var logLines: [String] = []
        for (i, candidate) in candidates.enumerated() {
            let t0 = ContinuousClock.now
            let result = try train(data, candidate, context, candidateIndex: i, of: candidates.count)
            outcomes.append(CandidateOutcome(candidate: candidate, develMetric: result.bestMetric,
                                             bestEpoch: result.bestEpoch, epochs: result.log.count,
                                             seconds: seconds(since: t0)))
            logLines += result.log.map { jsonLine(candidate: i, label: candidate.label, $0) }
            if let b = best {
                let better = objective.higherIsBetter ? result.bestMetric > b.result.bestMetric
                                                      : result.bestMetric < b.result.bestMetric
                if better { best = (i, result) }
            } else {
                best = (i, result)
            }
        }
        let chosen = candidates[best!.index]
        let network = best!.result.network
        try AtomicFile.write(logLines.joined(separator: "\n") + "\n", to: context.logURL(name))

        let card = ModelCard(name: name, role: role, inputs: inputs, emotion: emotion,
                             normalizer: aligned.normalizer, candidate: chosen, loss: lossKind(context))
        try ModelStore.save(network, card: card, to: context.checkpointURL(name))

        let outputs = ModelOutputs.compute(network, role: role, data: data)
        try ModelOutputs.write(name: name, role: role, values: outputs, aligned: aligned, to: context.run)
        var scores = ModelOutputs.scores(outputs, role: role, data: data)
        if let key = context.testKey, let emotion, role != .autoencoder {
            if let test = try ModelOutputs.testScore(outputs, aligned: aligned, emotion: emotion, key: key) {
                scores["test"] = test
            }
        }
        if submission, let emotion {
            try ModelOutputs.writeSubmission(outputs, aligned: aligned, emotion: emotion,
                                             to: context.run.appendingPathComponent("submission"))
        }
        if folds > 1 {
            let oof = try outOfFold(data, chosen, context, full: outputs)
            try ModelOutputs.write(name: "\(name)-oof", role: role, values: oof, aligned: aligned, to: context.run)
            scores["train-oof"] = ModelOutputs.scores(oof, role: role, data: data)["train"]
        }

        let outcome = ModelOutcome(name: name, role: role, inputs: inputs, emotion: emotion, loss: lossKind(context),
                                   chosen: chosen, develMetric: best!.result.bestMetric, candidates: outcomes,
                                   scores: scores, folds: folds, seconds: seconds(since: started))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(Array(try encoder.encode(outcome)), to: context.metricsURL(name))
        context.progress?(.modelFinished(outcome))
        return outcome
    }

    private func lossKind(_ context: RunContext) -> LossKind {
        role == .autoencoder ? .mse : context.training.loss
    }

    private func train(_ data: ModelData, _ candidate: Candidate, _ context: RunContext,
                       candidateIndex: Int, of count: Int) throws -> TrainingResult {
        var options = context.training
        options.learningRate = candidate.learningRate
        let name = self.name, progress = context.progress, maxEpochs = options.maxEpochs
        return try Trainer.train(data: data, spec: candidate.spec, options: options, objective: objective,
                                 seed: candidate.seed) { record in
            progress?(.epoch(model: name, candidate: candidateIndex, candidates: count, record: record,
                             maxEpochs: maxEpochs))
        }
    }

    /// k-fold cross-fitting over train subjects: each train subject's predictions come from a
    /// model trained without it (devel still early-stops); other partitions keep `full`.
    private func outOfFold(_ data: ModelData, _ candidate: Candidate, _ context: RunContext,
                           full: [[Float]]) throws -> [[Float]] {
        let trainIndices = data.sequences.indices.filter { data.sequences[$0].partition == .train }
        var order = trainIndices
        var rng = RandomSource(seed: candidate.seed).derived(stream: 77)
        rng.shuffle(&order)
        var result = full
        for fold in 0..<folds {
            let held = Set(order.enumerated().filter { $0.offset % folds == fold }.map(\.element))
            let subset = ModelData(inputSize: data.inputSize, outputSize: data.outputSize,
                                   sequences: data.sequences.indices.filter { !held.contains($0) }.map { data.sequences[$0] })
            context.progress?(.message("\(name): out-of-fold model \(fold + 1)/\(folds)"))
            let result1 = try train(subset, candidate, context, candidateIndex: fold, of: folds)
            let heldIndices = held.sorted()
            let predictions = ModelOutputs.compute(result1.network, role: role,
                                                   data: ModelData(inputSize: data.inputSize, outputSize: data.outputSize,
                                                                   sequences: heldIndices.map { data.sequences[$0] }))
            for (k, i) in heldIndices.enumerated() { result[i] = predictions[k] }
        }
        return result
    }

    private func jsonLine(candidate: Int, label: String, _ r: EpochRecord) -> String {
        func num(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }
        let escaped = label.replacingOccurrences(of: "\"", with: "\\\"")
        return "{\"candidate\":\(candidate),\"label\":\"\(escaped)\",\"epoch\":\(r.epoch),"
            + "\"train_loss\":\(num(r.trainLoss)),\"devel_metric\":\(num(r.develMetric)),"
            + "\"learning_rate\":\(r.learningRate),\"seconds\":\(num(r.seconds)),\"improved\":\(r.improved)}"
    }
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = start.duration(to: .now)
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}
