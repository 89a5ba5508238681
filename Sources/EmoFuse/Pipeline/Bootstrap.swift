import Foundation
import SeqNet

/// A score over seeds: the mean and standard deviation of the per-seed values, and a 95% interval
/// from a bootstrap over subjects (each resample redraws the partition's subjects with replacement
/// and recomputes the global CCC of every seed's predictions; the statistic is their mean).
public struct Estimate: Codable, Sendable, Equatable {
    public var mean: Double
    /// Sample standard deviation over seeds (nil with one seed).
    public var sd: Double?
    /// The value of each seed, in the plan's seed order.
    public var seeds: [Double]
    /// The 2.5th and 97.5th percentiles of the bootstrap (nil when there are fewer than 2 subjects).
    public var low: Double?
    public var high: Double?
    public var subjects: Int

    /// `0.512 ± 0.010 [0.47, 0.55]`.
    public var text: String {
        var s = String(format: "%.3f", mean)
        if let sd { s += String(format: " ± %.3f", sd) }
        if let low, let high { s += String(format: " [%.3f, %.3f]", low, high) }
        return s
    }

    /// `+0.012 ± 0.010 [−0.01, 0.03]`, for differences.
    public var signedText: String {
        var s = String(format: "%+.3f", mean)
        if let sd { s += String(format: " ± %.3f", sd) }
        if let low, let high { s += String(format: " [%+.3f, %+.3f]", low, high) }
        return s
    }

    /// Whether the interval lies above zero (+1), below it (−1), or contains it (0).
    public var sign: Int {
        guard let low, let high else { return 0 }
        return low > 0 ? 1 : high < 0 ? -1 : 0
    }
}

/// The sufficient statistics of (prediction, gold) pairs: global CCC over any union of subjects is
/// computed from the sums of their statistics, so a bootstrap resample costs one sum per subject.
struct PairSums: Sendable, Equatable {
    var n = 0.0, sp = 0.0, sy = 0.0, spp = 0.0, syy = 0.0, spy = 0.0

    mutating func add(_ p: Float, _ y: Float) {
        let p = Double(p), y = Double(y)
        n += 1; sp += p; sy += y; spp += p * p; syy += y * y; spy += p * y
    }

    mutating func add(_ o: PairSums, weight w: Double) {
        n += w * o.n; sp += w * o.sp; sy += w * o.sy; spp += w * o.spp; syy += w * o.syy; spy += w * o.spy
    }

    /// Lin's concordance correlation (population moments), as ``concordanceCorrelation(_:_:)``.
    var ccc: Double {
        guard n >= 2 else { return 0 }
        let mp = sp / n, my = sy / n
        let vp = max(0, spp / n - mp * mp), vy = max(0, syy / n - my * my)
        // A constant prediction (or gold) has no covariance; the one-pass formula would leave rounding noise.
        let constant = vp <= 1e-12 * (mp * mp + 1) || vy <= 1e-12 * (my * my + 1)
        let cov = constant ? 0 : spy / n - mp * my
        let den = vp + vy + (mp - my) * (mp - my)
        return den > 1e-12 ? 2 * cov / den : 0
    }
}

/// Percentile bootstrap over subjects.
public enum Bootstrap {
    public static let resamples = 1000

    /// `replicas[r][i]`: the sums of seed r on subject i (every replica over the same subjects).
    /// `statistic` maps one CCC per replica (and the subjects' weights) to the estimated value;
    /// the default is the mean over replicas. Deterministic for a given `seed`.
    static func estimate(_ replicas: [[PairSums]], seed: UInt64 = 2021,
                         statistic: ([Double]) -> Double = Bootstrap.mean) -> Estimate {
        estimate(groups: [replicas], seed: seed) { statistic($0[0]) }
    }

    /// Several groups of replicas (e.g. model A and model B over the same seeds and subjects) under
    /// one resample, so `statistic` can take paired differences.
    static func estimate(groups: [[[PairSums]]], seed: UInt64 = 2021, statistic: ([[Double]]) -> Double) -> Estimate {
        let subjects = groups.first?.first?.count ?? 0
        func cccs(_ weights: [Double]?) -> [[Double]] {
            groups.map { replicas in
                replicas.map { sums in
                    var total = PairSums()
                    for (i, s) in sums.enumerated() { total.add(s, weight: weights?[i] ?? 1) }
                    return total.ccc
                }
            }
        }
        let point = cccs(nil)
        // Per-seed values of the statistic (e.g. a paired difference per seed).
        let replicaCount = groups.first?.count ?? 0
        let perSeed = (0..<replicaCount).map { r in statistic(point.map { [$0[r]] }) }
        let value = statistic(point)
        var low: Double?, high: Double?
        if subjects >= 2 {
            var rng = RandomSource(seed: seed)
            var values: [Double] = []
            values.reserveCapacity(resamples)
            var weights = [Double](repeating: 0, count: subjects)
            for _ in 0..<resamples {
                for i in weights.indices { weights[i] = 0 }
                for _ in 0..<subjects { weights[rng.nextInt(below: subjects)] += 1 }
                values.append(statistic(cccs(weights)))
            }
            values.sort()
            low = quantile(values, 0.025); high = quantile(values, 0.975)
        }
        return Estimate(mean: value, sd: perSeed.count > 1 ? standardDeviation(perSeed) : nil, seeds: perSeed,
                        low: low, high: high, subjects: subjects)
    }

    static func mean(_ x: [Double]) -> Double { x.isEmpty ? .nan : x.reduce(0, +) / Double(x.count) }

    static func standardDeviation(_ x: [Double]) -> Double {
        let m = mean(x)
        return (x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1)).squareRoot()
    }

    /// Linear interpolation between order statistics of sorted `x`.
    static func quantile(_ x: [Double], _ q: Double) -> Double {
        let pos = q * Double(x.count - 1)
        let i = Int(pos), f = pos - Double(i)
        return i + 1 < x.count ? x[i] * (1 - f) + x[i + 1] * f : x[i]
    }
}

/// Reads prediction sets from a run folder and scores them per subject against the gold labels,
/// caching each (set, emotion, partition).
final class Scorer {
    let dataset: MuseDataset
    let context: RunContext
    private var gold: [String: GoldLabels] = [:]
    private var cache: [String: [PairSums]] = [:]

    /// `dataset`: where the predictions are read (default: the run folder over the data).
    init(context: RunContext, dataset: MuseDataset? = nil) throws {
        self.context = context
        self.dataset = try dataset ?? context.dataset()
    }

    func subjects(_ partition: Partition) -> [Subject] { dataset.subjects(in: partition) }

    private func labels(_ emotion: String) throws -> GoldLabels {
        if let g = gold[emotion] { return g }
        let g = try GoldLabels(dataset: dataset, emotion: emotion, testKey: context.testKey)
        gold[emotion] = g
        return g
    }

    /// Whether `partition` has labels to score `emotion` against.
    func hasLabels(_ emotion: String, _ partition: Partition) throws -> Bool {
        let g = try labels(emotion)
        return subjects(partition).contains { g.labels(for: $0) != nil }
    }

    /// Per-subject sums of set `name` against `emotion` on `partition` (frames paired by row, where
    /// `keep` is true), over the partition's subjects with labels, in partition order.
    func sums(_ name: String, emotion: String, partition: Partition, subset: String = "all",
              keep: ((Subject, Int64, Int) -> Bool)? = nil) throws -> [PairSums] {
        let key = "\(name)|\(emotion)|\(partition.rawValue)|\(subset)"
        if let s = cache[key] { return s }
        let predicted = try dataset.featureSet(name)
        let g = try labels(emotion)
        var out: [PairSums] = []
        for subject in subjects(partition) {
            guard let y = g.labels(for: subject) else { continue }
            var s = PairSums()
            if let p = predicted.sequences[subject.id] {
                for t in 0..<min(y.values.count, p.values.count) where !y.values[t].isNaN && !p.values[t].isNaN {
                    if let keep, !keep(subject, y.timestamps[t], t) { continue }
                    s.add(p.values[t], y.values[t])
                }
            }
            out.append(s)
        }
        cache[key] = out
        return out
    }
}
