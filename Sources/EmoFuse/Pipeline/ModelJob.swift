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
    /// How the inputs made from audio were extracted (`emofuse features`), by input name; nil for
    /// other features. Lets `predict --audio` extract new recordings the same way (issue 10).
    public var extraction: [String: FeatureExtraction]? = nil

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
        let candidates = try self.candidates(context)
        let fingerprint = try self.fingerprint(context, candidates: candidates)
        if let done = Stages.finished(name, context: context), done.fingerprint == fingerprint,
           FileManager.default.fileExists(atPath: context.checkpointURL(name).path) {
            context.progress?(.modelSkipped(model: name))
            return done
        }
        let started = ContinuousClock.now
        let dataset = try context.dataset()
        let aligned = try dataset.aligned(featureSets: inputs, emotions: emotion.map { [$0] } ?? [])
        let data = modelData(aligned)
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
            logLines += try result.log.map { try jsonLine(candidate: i, label: candidate.label, $0) }
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
        try AtomicFile.write(logLines.joined(separator: "\n") + "\n", to: context.logURL(name))

        var card = ModelCard(name: name, role: role, inputs: inputs, emotion: emotion,
                             normalizer: aligned.normalizer, candidate: chosen, loss: lossKind(context))
        card.extraction = FeatureExtraction.records(forInputs: inputs, dataset: dataset)  // issue 10: predict on audio
        try ModelStore.save(bestResult.network, card: card, to: context.checkpointURL(name))

        // Outputs cover every label row: rows the baseline policy dropped for training are predicted too.
        let full = context.loadOptions.dropNaNRows
            ? try fullGrid(context).aligned(featureSets: inputs, emotions: emotion.map { [$0] } ?? [],
                                            normalizer: aligned.normalizer)
            : aligned
        let fullData = modelData(full)
        let outputs = ModelOutputs.compute(bestResult.network, role: role, data: fullData)
        try ModelOutputs.write(name: name, role: role, values: outputs, aligned: full, to: context.run)
        var scores = ModelOutputs.scores(outputs, role: role, data: fullData)
        if let key = context.testKey, let emotion, role != .autoencoder,
           let test = try ModelOutputs.testScore(outputs, aligned: full, dataset: dataset, emotion: emotion, key: key) {
            scores["test"] = test
        }
        if submission, let emotion {
            try ModelOutputs.writeSubmission(outputs, aligned: full, labels: try dataset.labels(emotion),
                                             to: context.run.appendingPathComponent("submission"))
        }
        if folds > 1 {
            let oof = try outOfFold(data, fullData, chosen, context, full: outputs)
            try ModelOutputs.write(name: "\(name)-oof", role: role, values: oof, aligned: full, to: context.run)
            scores["train-oof"] = ModelOutputs.scores(oof, role: role, data: fullData)["train"]
        }

        let outcome = ModelOutcome(name: name, role: role, inputs: inputs, emotion: emotion, loss: lossKind(context),
                                   chosen: chosen, develMetric: bestResult.bestMetric, candidates: outcomes,
                                   scores: scores, folds: folds, seconds: seconds(since: started),
                                   fingerprint: fingerprint)
        try JSONFiles.write(outcome, to: context.metricsURL(name))
        context.progress?(.modelFinished(outcome))
        return outcome
    }

    private func modelData(_ aligned: AlignedData) -> ModelData {
        role == .autoencoder ? .autoencoder(aligned) : .regression(aligned, emotion: emotion!)
    }

    /// The dataset without the baseline's row dropping (same files, same cache).
    private func fullGrid(_ context: RunContext) throws -> MuseDataset {
        var options = context.loadOptions
        options.dropNaNRows = false
        return try MuseDataset(root: context.data, overlays: [context.run], options: options)
    }

    /// Auto-encoders train once, with the grid's first candidate; predictors search the grid.
    private func candidates(_ context: RunContext) throws -> [Candidate] {
        try context.training.validate()
        var list = context.grid.candidates(base: ModelSpec(hiddenSize: context.network.hiddenSize,
                                                           layers: context.network.layers))
        try context.grid.validate()
        if role == .autoencoder { list = Array(list.prefix(1)) }
        guard !list.isEmpty else { throw TrainingError.invalid("the hyperparameter grid is empty") }
        guard context.network.hiddenSize > 0, context.network.layers > 0 else {
            throw TrainingError.invalid("network.hiddenSize and network.layers must be positive")
        }
        return list
    }

    /// Everything that determines this model's result. A finished model in the run folder is reused
    /// only when its fingerprint matches: same data and loading, same candidates and training
    /// options (threads aside: results do not depend on them), and the same upstream models
    /// (the metrics files of the run-folder sets it reads).
    private func fingerprint(_ context: RunContext, candidates: [Candidate]) throws -> String {
        struct Key: Encodable {
            var role: ModelRole, inputs: [String], emotion: String?, folds: Int
            var candidates: [Candidate], training: TrainingOptions
            var data: String, rowTolerance: Int, dropNaNRows: Bool
            var upstream: [String]
        }
        var training = context.training
        training.threads = 1
        if role == .autoencoder { training.loss = .mse }
        let upstream = inputs.map { input -> String in
            let base = input.hasSuffix("-oof") ? String(input.dropLast(4)) : input
            guard let bytes = FileManager.default.contents(atPath: context.metricsURL(base).path) else { return "\(input): data" }
            return "\(input): \(JSONFiles.stableHash(Array(bytes)))"
        }
        let key = Key(role: role, inputs: inputs, emotion: emotion, folds: folds, candidates: candidates,
                      training: training, data: context.data.standardizedFileURL.path,
                      rowTolerance: context.loadOptions.rowTolerance, dropNaNRows: context.loadOptions.dropNaNRows,
                      upstream: upstream)
        return JSONFiles.stableHash(try JSONFiles.encode(key, pretty: false))
    }

    private func lossKind(_ context: RunContext) -> LossKind {
        role == .autoencoder ? .mse : context.training.loss
    }

    private func train(_ data: ModelData, _ candidate: Candidate, _ context: RunContext,
                       candidateIndex: Int, of count: Int) throws -> TrainingResult {
        var options = context.training
        options.learningRate = candidate.learningRate
        let name = self.name, progress = context.progress, maxEpochs = options.maxEpochs
        let result = try Trainer.train(data: data, spec: candidate.spec, options: options, objective: objective,
                                       seed: candidate.seed) { record in
            progress?(.epoch(model: name, candidate: candidateIndex, candidates: count, record: record,
                             maxEpochs: maxEpochs))
        }
        guard result.bestEpoch > 0 else {
            throw TrainingError.diverged("\(name), \(candidate.label): no epoch gave a finite devel metric (try a lower learning rate or --clip-norm)")
        }
        return result
    }

    /// k-fold cross-fitting over train subjects: each train subject's predictions come from a
    /// model trained without it (devel still early-stops); other partitions keep `full`.
    /// The normalisation statistics are the full train partition's (unsupervised; no label leaks).
    private func outOfFold(_ data: ModelData, _ fullData: ModelData, _ candidate: Candidate, _ context: RunContext,
                           full: [[Float]]) throws -> [[Float]] {
        let trainIDs = data.sequences.filter { $0.partition == .train }.map(\.id)
        guard trainIDs.count >= folds else {
            throw TrainingError.invalid("\(folds) out-of-fold folds need at least \(folds) train subjects, there are \(trainIDs.count)")
        }
        var order = trainIDs
        var rng = RandomSource(seed: candidate.seed).derived(stream: 77)
        rng.shuffle(&order)
        var result = full
        for fold in 0..<folds {
            let held = Set(order.enumerated().filter { $0.offset % folds == fold }.map(\.element))
            let subset = ModelData(inputSize: data.inputSize, outputSize: data.outputSize,
                                   sequences: data.sequences.filter { !held.contains($0.id) })
            context.progress?(.message("\(name): out-of-fold model \(fold + 1)/\(folds)"))
            let model = try train(subset, candidate, context, candidateIndex: fold, of: folds)
            let heldIndices = fullData.sequences.indices.filter { held.contains(fullData.sequences[$0].id) }
            let predictions = ModelOutputs.compute(model.network, role: role,
                                                   data: ModelData(inputSize: data.inputSize, outputSize: data.outputSize,
                                                                   sequences: heldIndices.map { fullData.sequences[$0] }))
            for (k, i) in heldIndices.enumerated() { result[i] = predictions[k] }
        }
        return result
    }

    private func jsonLine(candidate: Int, label: String, _ r: EpochRecord) throws -> String {
        struct Line: Encodable {
            var candidate: Int, label: String, epoch: Int, train_loss: Double, devel_metric: Double
            var learning_rate: Float, seconds: Double, improved: Bool
        }
        let line = Line(candidate: candidate, label: label, epoch: r.epoch, train_loss: r.trainLoss,
                        devel_metric: r.develMetric, learning_rate: r.learningRate, seconds: r.seconds, improved: r.improved)
        return String(decoding: try JSONFiles.encode(line, pretty: false), as: UTF8.self)
    }
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = start.duration(to: .now)
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}
