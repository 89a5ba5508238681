/// The architecture of one model (the paper's: 4 layers, 64 units, BiGRU, dropout from {0.1, 0.2, 0.5}).
public struct ModelSpec: Codable, Sendable, Equatable, Hashable {
    public var cell: CellType = .gru
    public var bidirectional: Bool = true
    public var hiddenSize: Int = 64
    public var layers: Int = 4
    public var dropout: Float = 0.2

    public init(cell: CellType = .gru, bidirectional: Bool = true, hiddenSize: Int = 64,
                layers: Int = 4, dropout: Float = 0.2) {
        self.cell = cell; self.bidirectional = bidirectional; self.hiddenSize = hiddenSize
        self.layers = layers; self.dropout = dropout
    }

    /// `BiGRU`, `LSTM`, … as the paper's tables name them.
    public var name: String { (bidirectional ? "Bi" : "") + cell.rawValue.uppercased() }

    func networkConfig(inputSize: Int, outputSize: Int) -> NetworkConfig {
        NetworkConfig(cell: cell, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: layers,
                      bidirectional: bidirectional, outputSize: outputSize, dropout: dropout)
    }
}

/// What a model learns: a regression target (early-stopped on devel CCC, higher is better) or its
/// own input (early-stopped on devel reconstruction MSE, lower is better).
public enum Objective: String, Codable, Sendable {
    case regression
    case reconstruction

    var higherIsBetter: Bool { self == .regression }
}

/// One line of a training log.
public struct EpochRecord: Codable, Sendable, Equatable {
    public var epoch: Int
    public var trainLoss: Double
    /// Devel CCC (regression) or devel MSE (reconstruction).
    public var develMetric: Double
    public var learningRate: Float
    public var seconds: Double
    public var improved: Bool
    /// The epoch's counted work in GFLOP (training batches forward and backward, then the devel
    /// forward), as `NetworkConfig.forwardFlops`/`backwardFlops` count it; nil in older logs.
    public var gflop: Double? = nil
}

public struct TrainingResult {
    public let network: SequenceNetwork
    public let bestEpoch: Int
    /// Devel metric of the restored (best) weights.
    public let bestMetric: Double
    public let log: [EpochRecord]
}

public enum TrainingError: Error, CustomStringConvertible {
    case noTrainingData(String)
    case noDevelLabels(String)
    case invalid(String)
    case diverged(String)

    public var description: String {
        switch self {
        case .noTrainingData(let what): return "no training data: \(what)"
        case .noDevelLabels(let what): return "the devel partition has no labelled frames (\(what)); early stopping needs them"
        case .invalid(let what): return "invalid training setting: \(what)"
        case .diverged(let what): return "training diverged: \(what)"
        }
    }
}

/// Trains one network with shuffled windows, Adam and early stopping, keeping the best epoch's weights.
public enum Trainer {
    /// - Parameters:
    ///   - data: sequences of all partitions; train windows are cut from `.train`, early stopping uses `.devel`.
    ///   - seed: initialisation, window order and dropout masks all derive from it.
    ///   - progress: called after every epoch (and may print).
    public static func train(data: ModelData, spec: ModelSpec, options: TrainingOptions, objective: Objective,
                             seed: UInt64, progress: ((EpochRecord) -> Void)? = nil) throws -> TrainingResult {
        try options.validate()
        guard spec.dropout >= 0, spec.dropout < 1 else { throw TrainingError.invalid("dropout \(spec.dropout) is not in [0, 1)") }
        guard spec.hiddenSize > 0, spec.layers > 0 else { throw TrainingError.invalid("hidden size and layers must be positive") }
        let train = data.sequences(in: .train).filter { $0.rows > 0 }
        let devel = data.sequences(in: .devel).filter { $0.rows > 0 }
        guard !train.isEmpty else { throw TrainingError.noTrainingData("no train sequences") }
        if objective == .regression, !devel.contains(where: { $0.targets.contains { !$0.isNaN } }) {
            throw TrainingError.noDevelLabels("\(devel.count) devel sequences")
        }
        guard !devel.isEmpty else { throw TrainingError.noDevelLabels("no devel sequences") }

        let config = spec.networkConfig(inputSize: data.inputSize, outputSize: data.outputSize)
        let network = SequenceNetwork(config: config, seed: seed)
        network.threads = max(1, options.threads)
        let adam = Adam(parameters: network.parameters,
                        options: AdamOptions(learningRate: options.learningRate, weightDecay: options.weightDecay))
        var plateau = ReduceLROnPlateau(mode: objective.higherIsBetter ? .max : .min,
                                        factor: Double(options.plateauFactor), patience: options.plateauPatience,
                                        threshold: 1e-4, minLR: 1e-6)
        var rng = RandomSource(seed: seed).derived(stream: 1)
        let windows = trainingWindows(rows: train.map(\.rows), length: options.windowLength, hop: options.windowHop)
        let lossKind: LossKind = objective == .reconstruction ? .mse : options.loss

        var best = objective.higherIsBetter ? -Double.infinity : Double.infinity
        var bestEpoch = 0
        var bestWeights = network.parameters.map { $0.value.copy() }
        var log: [EpochRecord] = []
        var sinceBest = 0
        var reusable: TrainingBatch?, lossGradient: FloatBuffer?

        for epoch in 1...max(1, options.maxEpochs) {
            let start = ContinuousClock.now
            var order = windows
            rng.shuffle(&order)
            var lossSum = 0.0, lossCount = 0, flops = 0.0
            var first = 0
            while first < order.count {
                let chunk = order[first..<min(first + options.batchSize, order.count)]
                first += options.batchSize
                // Batch and loss-gradient memory is reused by every batch that fits in it (an
                // epoch's last, partial batch included), and released before a larger one is
                // allocated (peak memory unchanged).
                let pieces = chunk.map { (sequence: train[$0.subject], start: $0.start, length: $0.length) }
                let steps = pieces.map(\.length).max() ?? 0
                if let r = reusable, r.input.values.storage.count < steps * pieces.count * data.inputSize {
                    reusable = nil; lossGradient = nil
                }
                let batch = TrainingBatch(pieces, inputSize: data.inputSize, outputSize: data.outputSize,
                                          reusing: reusable, threads: options.threads)
                reusable = batch
                flops += config.forwardFlops(steps: steps, batch: pieces.count).total
                    + config.backwardFlops(steps: steps, batch: pieces.count).total
                network.zeroGradients()
                let output = network.forward(batch.input, training: true, rng: &rng)
                let grad = FloatBuffer.reused(&lossGradient, count: output.count)
                let loss = sequenceLoss(lossKind, predictions: output, targets: batch.targets, mask: batch.mask,
                                        steps: batch.steps, batchSize: batch.batchSize,
                                        outputs: data.outputSize, gradient: grad, threads: options.threads)
                network.backward(grad)
                if let clip = options.clipNorm { _ = clipGradientNorm(network.parameters, maxNorm: clip) }
                adam.step()
                lossSum += loss; lossCount += 1
            }
            // The devel prediction reuses the batch memory (and the loss gradient stays for the
            // next epoch): a 4097-wide batch is 315 MB to fault in again, serially, every epoch.
            let metric = evaluate(network, sequences: devel, objective: objective, outputSize: data.outputSize,
                                  threads: options.threads, reusing: reusable)
            flops += devel.reduce(0) { $0 + config.forwardFlops(steps: $1.rows, batch: 1).total }
            let margin = best.isFinite ? abs(best) * options.minRelativeImprovement : 0
            let improved = objective.higherIsBetter ? metric > best + margin : metric < best - margin
            if improved {
                best = metric; bestEpoch = epoch; sinceBest = 0
                for (saved, p) in zip(bestWeights, network.parameters) { saved.copy(from: p.value) }
            } else {
                sinceBest += 1
            }
            let lr = adam.learningRate
            if options.reduceOnPlateau { adam.learningRate = plateau.step(metric: metric, learningRate: lr) }
            let record = EpochRecord(epoch: epoch, trainLoss: lossSum / Double(max(lossCount, 1)),
                                     develMetric: metric, learningRate: lr, seconds: seconds(since: start),
                                     improved: improved, gflop: flops / 1e9)
            log.append(record)
            progress?(record)
            if sinceBest >= options.patience { break }
        }
        for (saved, p) in zip(bestWeights, network.parameters) { p.value.copy(from: saved) }
        bestWeights.removeAll()
        // The training caches (activations, the last output) are not needed by the predictions
        // that follow: for a 4097-wide auto-encoder they are ~650 MB.
        network.releaseWorkspaces()
        return TrainingResult(network: network, bestEpoch: bestEpoch, bestMetric: best, log: log)
    }

    /// Devel metric: global CCC over all labelled frames (regression) or mean squared reconstruction error.
    public static func evaluate(_ network: SequenceNetwork, sequences: [ModelSequence], objective: Objective,
                                outputSize: Int, threads: Int = 1, reusing batch: TrainingBatch? = nil) -> Double {
        switch objective {
        case .regression:
            let predictions = Inference.predict(network, sequences: sequences, reusing: batch)
            return Inference.ccc(predictions: predictions, sequences: sequences)
        case .reconstruction:
            // Straight from the batch output (a 4097-wide devel reconstruction, 138 MB on the bench,
            // is never materialised): each sequence's sum in Double (on the thread its sequence
            // was dealt to), then the sums in sequence order.
            let sums = Slots<Double>(count: sequences.count, initial: 0)
            Inference.forEachOutput(network, sequences: sequences, batchSize: Inference.defaultBatchSize,
                                    reusing: batch) { i, xHat, stride in
                let s = sequences[i]
                var sum = 0.0
                s.targets.withUnsafeBufferPointer { x in
                    for t in 0..<s.rows {
                        let xt = x.baseAddress! + t * outputSize, yt = xHat + t * stride
                        for k in 0..<outputSize { let e = Double(yt[k] - xt[k]); sum += e * e }
                    }
                }
                sums[i] = sum
            }
            let n = sequences.reduce(0) { $0 + $1.rows } * outputSize
            return n > 0 ? sums.array.reduce(0, +) / Double(n) : .nan
        }
    }
}


