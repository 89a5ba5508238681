import Foundation
import Testing
@testable import EmoFuse

/// Checks that the synthetic data carries the structure the paper's questions need: audio
/// knows arousal, the face knows valence, text knows little; corrupted stretches carry noise
/// (so a reconstruction error can flag them); labels follow the latent state and its stress onset.
@Suite struct SynthSignalTests {
    /// More subjects than `tiny` so the statistics are stable, moderate widths so fits are cheap.
    static let preset: SynthPreset = {
        var p = SynthPreset.tiny
        p.name = "signal-test"
        p.trainSubjects = 16; p.develSubjects = 8; p.testSubjects = 0
        p.meanSteps = 150; p.lengthJitter = 0.1
        p.featureSets = SynthPreset.paperFeatureSets(egemaps: 32, deepspectrum: 16, vggface: 32, fauIntensity: 17, bert: 32)
        return p
    }()

    /// Per subject: state and the features of every set.
    struct Subject {
        let state: SynthSubjectState
        let features: [FloatBuffer]
    }

    static func subjects(seed: UInt64) throws -> (SyntheticGenerator, [Subject]) {
        let g = try SyntheticGenerator(preset: preset, seed: seed)
        let subjects = g.subjects.indices.map { i -> Subject in
            let state = g.state(ofSubject: i)
            return Subject(state: state, features: preset.featureSets.indices.map { g.features(ofSet: $0, for: state) })
        }
        return (g, subjects)
    }

    /// Pearson correlation.
    static func correlation(_ x: [Double], _ y: [Double]) -> Double {
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in x.indices { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); syy += (y[i] - my) * (y[i] - my) }
        return sxy / (sxx * syy).squareRoot()
    }

    /// Ridge regression `y ≈ [x, 1]·w` (x z-scored with the training rows' statistics), fitted
    /// on the train rows and evaluated as a correlation on the devel rows. Rows with NaN dropped.
    static func devCorrelation(_ subjects: [Subject], set: Int, emotion: String) -> Double {
        let d = preset.featureSets[set].dimensions
        func rows(_ partition: String) -> ([[Double]], [Double]) {
            var xs: [[Double]] = [], ys: [Double] = []
            for s in subjects where s.state.plan.partition == partition {
                let labels = emotion == "arousal" ? s.state.arousal : s.state.valence
                let f = s.features[set]
                for t in 0..<s.state.plan.steps {
                    let row = (0..<d).map { Double(f[t * d + $0]) }
                    if row.contains(where: \.isNaN) { continue }
                    xs.append(row); ys.append(Double(labels[t]))
                }
            }
            return (xs, ys)
        }
        let (xTrain, yTrain) = rows("train"), (xDev, yDev) = rows("devel")
        var mean = [Double](repeating: 0, count: d), sd = [Double](repeating: 0, count: d)
        for r in xTrain { for j in 0..<d { mean[j] += r[j] } }
        for j in 0..<d { mean[j] /= Double(xTrain.count) }
        for r in xTrain { for j in 0..<d { sd[j] += (r[j] - mean[j]) * (r[j] - mean[j]) } }
        for j in 0..<d { sd[j] = (sd[j] / Double(xTrain.count)).squareRoot() + 1e-6 }
        func features(_ r: [Double]) -> [Double] { (0..<d).map { (r[$0] - mean[$0]) / sd[$0] } + [1] }
        let p = d + 1
        var a = [Double](repeating: 0, count: p * p), b = [Double](repeating: 0, count: p)
        for (r, y) in zip(xTrain, yTrain) {
            let z = features(r)
            for i in 0..<p { b[i] += z[i] * y; for j in 0..<p { a[i * p + j] += z[i] * z[j] } }
        }
        for i in 0..<d { a[i * p + i] += 10 * Double(p) }
        let w = solve(a, b, p)
        let pred = xDev.map { r in zip(features(r), w).reduce(0) { $0 + $1.0 * $1.1 } }
        return correlation(pred, yDev)
    }

    /// Solves `a·x = b` (`a` is `n×n` row-major) by Gaussian elimination with partial pivoting.
    static func solve(_ a0: [Double], _ b0: [Double], _ n: Int) -> [Double] {
        var a = a0, b = b0
        for c in 0..<n {
            let piv = (c..<n).max { abs(a[$0 * n + c]) < abs(a[$1 * n + c]) }!
            if piv != c { for j in 0..<n { a.swapAt(c * n + j, piv * n + j) }; b.swapAt(c, piv) }
            for r in (c + 1)..<n {
                let f = a[r * n + c] / a[c * n + c]
                if f == 0 { continue }
                for j in c..<n { a[r * n + j] -= f * a[c * n + j] }
                b[r] -= f * b[c]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for r in stride(from: n - 1, through: 0, by: -1) {
            var s = b[r]
            for j in (r + 1)..<n { s -= a[r * n + j] * x[j] }
            x[r] = s / a[r * n + r]
        }
        return x
    }

    static func index(_ name: String) -> Int { preset.featureSets.firstIndex { $0.name == name }! }

    /// Devel correlations of a linear fit, per seed: clear orderings per seed, margins on the mean.
    @Test func audioKnowsArousalFaceKnowsValenceTextLittle() throws {
        var sums = [String: Double]()
        for seed: UInt64 in [1, 2, 3] {
            let (_, subjects) = try Self.subjects(seed: seed)
            var r = [String: Double]()
            for set in ["egemaps", "vggface", "bert-4"] {
                for emotion in ["arousal", "valence"] {
                    r["\(set) \(emotion)"] = Self.devCorrelation(subjects, set: Self.index(set), emotion: emotion)
                }
            }
            let summary = "seed \(seed): \(r.sorted { $0.key < $1.key })"
            #expect(r["egemaps arousal"]! > r["bert-4 arousal"]!, "\(summary)")
            #expect(r["vggface valence"]! > r["bert-4 valence"]!, "\(summary)")
            #expect(r["egemaps arousal"]! > r["egemaps valence"]!, "\(summary)")
            #expect(r["vggface valence"]! > r["vggface arousal"]!, "\(summary)")
            for (k, v) in r { sums[k, default: 0] += v / 3 }
        }
        let summary = "mean over seeds: \(sums.sorted { $0.key < $1.key })"
        #expect(sums["egemaps arousal"]! > 0.45, "\(summary)")
        #expect(sums["vggface valence"]! > 0.45, "\(summary)")
        #expect(sums["egemaps arousal"]! > sums["bert-4 arousal"]! + 0.2, "\(summary)")
        #expect(sums["vggface valence"]! > sums["bert-4 valence"]! + 0.2, "\(summary)")
        #expect(sums["egemaps arousal"]! > sums["egemaps valence"]! + 0.15, "\(summary)")
        #expect(sums["vggface valence"]! > sums["vggface arousal"]! + 0.15, "\(summary)")
    }

    @Test func audioBurstsAreNoiseThatStandsOut() throws {
        let (_, subjects) = try Self.subjects(seed: 5)
        for name in ["egemaps", "deepspectrum"] {
            let set = Self.index(name), d = Self.preset.featureSets[set].dimensions
            // Column statistics over clean train rows.
            var mean = [Double](repeating: 0, count: d), sq = [Double](repeating: 0, count: d), n = 0.0
            for s in subjects where s.state.plan.partition == "train" {
                for t in 0..<s.state.plan.steps where !s.state.audioBursts.contains(where: { $0.contains(t) }) {
                    for j in 0..<d { let v = Double(s.features[set][t * d + j]); mean[j] += v; sq[j] += v * v }
                    n += 1
                }
            }
            let sd = (0..<d).map { ((sq[$0] / n - (mean[$0] / n) * (mean[$0] / n)).squareRoot()) + 1e-6 }
            var inside = 0.0, insideRows = 0.0, outside = 0.0, outsideRows = 0.0
            for s in subjects {
                for t in 0..<s.state.plan.steps {
                    var e = 0.0
                    for j in 0..<d { let z = (Double(s.features[set][t * d + j]) - mean[j] / n) / sd[j]; e += z * z }
                    if s.state.audioBursts.contains(where: { $0.contains(t) }) { inside += e / Double(d); insideRows += 1 }
                    else { outside += e / Double(d); outsideRows += 1 }
                }
            }
            #expect(insideRows > 20)
            #expect(inside / insideRows > 2.5 * (outside / outsideRows), "\(name): \(inside / insideRows) vs \(outside / outsideRows)")
        }
    }

    @Test func labelsFollowTheLatentStateAndTheStressOnset() throws {
        let (_, subjects) = try Self.subjects(seed: 7)
        var arousalUp = 0, valenceDown = 0
        for s in subjects {
            let st = s.state, T = st.plan.steps
            #expect(st.arousal.count == T && st.valence.count == T && st.latentArousal.count == T)
            #expect(st.arousal.allSatisfy { abs($0) <= 1 } && st.valence.allSatisfy { abs($0) <= 1 })
            #expect(Self.correlation(st.arousal.map(Double.init), st.latentArousal) > 0.9)
            #expect(Self.correlation(st.valence.map(Double.init), st.latentValence) > 0.9)
            let before = 0..<max(1, st.stressOnsetStep - 10), after = min(T - 1, st.stressOnsetStep + 10)..<T
            func mean(_ x: [Float], _ r: Range<Int>) -> Double { r.map { Double(x[$0]) }.reduce(0, +) / Double(r.count) }
            if mean(st.arousal, after) > mean(st.arousal, before) { arousalUp += 1 }
            if mean(st.valence, after) < mean(st.valence, before) { valenceDown += 1 }
        }
        #expect(Double(arousalUp) >= 0.75 * Double(subjects.count), "\(arousalUp)/\(subjects.count)")
        #expect(Double(valenceDown) >= 0.75 * Double(subjects.count), "\(valenceDown)/\(subjects.count)")
        // Arousal and valence are distinct targets, negatively related through the onset.
        let a = subjects.flatMap { $0.state.arousal.map(Double.init) }, v = subjects.flatMap { $0.state.valence.map(Double.init) }
        let r = Self.correlation(a, v)
        #expect(r < 0 && r > -0.8, "corr(arousal, valence) = \(r)")
    }

    @Test func textIsHeldOverWordsAndSubjectsAreIndependentOfOrder() throws {
        let g = try SyntheticGenerator(preset: Self.preset, seed: 9)
        let bert = Self.index("bert-4"), d = Self.preset.featureSets[bert].dimensions
        let late = g.features(ofSet: bert, for: g.state(ofSubject: 3)).array
        _ = g.features(ofSet: 0, for: g.state(ofSubject: 0))
        let again = g.features(ofSet: bert, for: g.state(ofSubject: 3)).array
        #expect(late == again)
        let T = late.count / d
        let held = (1..<T).filter { t in (0..<d).allSatisfy { late[t * d + $0] == late[(t - 1) * d + $0] } }.count
        #expect(Double(held) > 0.4 * Double(T) && Double(held) < 0.9 * Double(T), "\(held) of \(T) rows held")
        // Other sets are never held (every row has fresh noise).
        let ege = g.features(ofSet: Self.index("egemaps"), for: g.state(ofSubject: 3)).array
        let egeD = Self.preset.featureSets[Self.index("egemaps")].dimensions
        #expect((1..<T).allSatisfy { t in ege[t * egeD] != ege[(t - 1) * egeD] })
    }
}
