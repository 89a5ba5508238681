/// Lowers the learning rate when a monitored metric stops improving, with
/// `torch.optim.lr_scheduler.ReduceLROnPlateau` semantics (relative threshold mode).
///
/// Per ``step(metric:learningRate:)``: the metric is an improvement when it beats the best so far
/// by the relative threshold (`metric < best·(1 − threshold)` in `.min` mode,
/// `metric > best·(1 + threshold)` in `.max` mode; NaN never improves). Otherwise a bad epoch is
/// counted (bad epochs are not counted during cooldown). When more than `patience` consecutive bad
/// epochs have passed, the rate becomes `max(rate·factor, minLR)` (unless that changes it by no
/// more than `eps`), and the cooldown starts.
public struct ReduceLROnPlateau: Codable, Equatable, Sendable {
    public enum Mode: String, Codable, Sendable {
        /// Lower is better (a loss).
        case min
        /// Higher is better (a CCC).
        case max
    }

    public let mode: Mode
    public let factor: Double
    public let patience: Int
    public let threshold: Double
    public let minLR: Float
    public let cooldown: Int
    public let eps: Double
    /// Best metric so far (±infinity before the first step).
    public private(set) var best: Double
    /// Consecutive epochs without improvement.
    public private(set) var badEpochs = 0
    /// Epochs left in the current cooldown.
    public private(set) var cooldownLeft = 0

    public init(mode: Mode = .min, factor: Double = 0.1, patience: Int = 10, threshold: Double = 1e-4,
                minLR: Float = 0, cooldown: Int = 0, eps: Double = 1e-8) {
        precondition(factor < 1 && factor >= 0, "ReduceLROnPlateau: factor must be in [0, 1), got \(factor)")
        precondition(patience >= 0 && cooldown >= 0, "ReduceLROnPlateau: negative patience or cooldown")
        self.mode = mode; self.factor = factor; self.patience = patience; self.threshold = threshold
        self.minLR = minLR; self.cooldown = cooldown; self.eps = eps
        best = mode == .min ? .infinity : -.infinity
    }

    /// Records one epoch's `metric` and returns the learning rate to use from now on
    /// (`learningRate` itself unless it is reduced).
    public mutating func step(metric: Double, learningRate: Float) -> Float {
        if isBetter(metric) {
            best = metric
            badEpochs = 0
        } else {
            badEpochs += 1
        }
        if cooldownLeft > 0 {
            cooldownLeft -= 1
            badEpochs = 0
        }
        guard badEpochs > patience else { return learningRate }
        cooldownLeft = cooldown
        badEpochs = 0
        let old = Double(learningRate)
        let new = Swift.max(old * factor, Double(minLR))
        return old - new > eps ? Float(new) : learningRate
    }

    private func isBetter(_ metric: Double) -> Bool {
        switch mode {
        case .min: return metric < best * (1 - threshold)
        case .max: return metric > best * (1 + threshold)
        }
    }
}
