import Foundation

/// The fixed "feature extractor" of one synthetic feature set: how its columns mix the latent
/// view, the nuisance drifts and the noise, and how the mixture is mapped to on-disk values.
/// Drawn once per dataset (shared by every subject), from the seed and the set's name.
///
/// For a row `t` of a subject, column `j` is
/// `x[t, j] = clamp(offset[j] + scale[j] · z[t, j], lower, upper)` with
/// `z[t, j] = identity[j] + signalGain · Σ_b φ_b(t) · W[b, j] + nuisanceGain · Σ_k ν_k(t) · Q[k, j] + ε`,
/// `φ` the ``basisCount`` nonlinear functions of the set's view of the latent state (see
/// ``basis(arousal:valence:into:)``), `ν` the subject's ``nuisanceCount`` random walks and `ε`
/// per-cell noise. During an audio burst the `φ` term is dropped and `ε` is ``SynthPreset/burstNoiseScale``
/// times larger.
struct SynthSetModel: Sendable {
    static let basisCount = 10
    static let nuisanceCount = 4
    /// Latent values are divided by this before the nonlinearities (≈ the latent's spread).
    static let latentScale = 0.3

    let spec: SynthFeatureSet
    /// `W`, basis-major: `signalWeights[b · d + j]`; all zero for uninformative columns.
    let signalWeights: FloatBuffer
    /// `Q`, nuisance-major: `nuisanceWeights[k · d + j]`.
    let nuisanceWeights: FloatBuffer
    /// Per-column affine map from `z` to the stored value, `[d]` each.
    let scale: FloatBuffer
    let offset: FloatBuffer
    let lower: Float
    let upper: Float
    /// Standard deviation of the per-subject identity offset of each column.
    let identityScale: Float
    let signalGain: Float = 1
    let nuisanceGain: Float = 0.5
    /// Standard deviation of the per-cell noise outside bursts.
    let cellNoise: Float = 0.7

    init(spec: SynthFeatureSet, rng: inout RandomSource) {
        self.spec = spec
        let d = spec.dimensions
        let nb = Self.basisCount, nn = Self.nuisanceCount
        signalWeights = FloatBuffer(count: nb * d)
        nuisanceWeights = FloatBuffer(count: nn * d)
        scale = FloatBuffer(count: d)
        offset = FloatBuffer(count: d)
        // Which columns are informative: exactly round(fraction · d) of them, at random.
        let informative = Int((spec.informativeFraction * Double(d)).rounded())
        var columns = Array(0..<d)
        rng.shuffle(&columns)
        let wScale = 1 / Double(nb).squareRoot()
        for j in columns.prefix(informative) {
            for b in 0..<nb { signalWeights[b * d + j] = Float(rng.normal() * wScale) }
        }
        let qScale = 1 / Double(nn).squareRoot()
        for k in 0..<nn { for j in 0..<d { nuisanceWeights[k * d + j] = Float(rng.normal() * qScale) } }

        var lo = -Float.infinity, hi = Float.infinity
        switch spec.style {
        case .acousticDescriptors:
            identityScale = 0.3
            for j in 0..<d {
                let s = pow(10, rng.uniform(-2, 2))          // units from 0.01 to 100
                scale[j] = s
                offset[j] = s * rng.uniform(-1, 5)
            }
        case .cnnActivations:
            identityScale = 0.3
            lo = 0
            for j in 0..<d {
                let s = pow(10, rng.uniform(-0.5, 0.5))
                scale[j] = s
                offset[j] = s * rng.uniform(-0.5, 1)         // ReLU threshold: many exact zeros
            }
        case .faceEmbedding:
            identityScale = 0.6
            for j in 0..<d {
                scale[j] = rng.uniform(0.5, 1.5)
                offset[j] = Float(rng.normal() * 0.5)
            }
        case .actionUnitIntensities:
            identityScale = 0.3
            lo = 0; hi = 5
            for j in 0..<d {
                scale[j] = 0.7
                offset[j] = rng.uniform(0.3, 1.5)
            }
        case .textEmbedding:
            identityScale = 0.3
            for j in 0..<d {
                let outlier = rng.nextInt(below: 100) == 0   // BERT's few huge dimensions
                scale[j] = outlier ? 10 : rng.uniform(0.3, 1)
                offset[j] = Float(rng.normal() * (outlier ? 5 : 0.2))
            }
        }
        lower = lo
        upper = hi
    }

    /// Writes the ``basisCount`` basis functions of a view `(arousal, valence)` into `out`.
    @inline(__always)
    static func basis(arousal: Double, valence: Double, into out: UnsafeMutablePointer<Float>) {
        let u = arousal / latentScale, w = valence / latentScale
        out[0] = Float(u)
        out[1] = Float(w)
        out[2] = Float(tanh(u))
        out[3] = Float(tanh(w))
        out[4] = Float(0.5 * (u * u - 1))
        out[5] = Float(0.5 * (w * w - 1))
        out[6] = Float(0.5 * u * w)
        out[7] = Float(sin(1.3 * u))
        out[8] = Float(sin(1.3 * w))
        out[9] = Float(tanh(u - w))
    }

    /// Fills row `row` (`[d]`) for one step.
    ///
    /// - `phi`: `[basisCount]` basis values, or nil to drop the signal (audio burst).
    /// - `nuisance`: `[nuisanceCount]` random-walk values at this step.
    /// - `identity`: `[d]` the subject's identity offsets.
    /// - `noiseScale`: standard deviation of the per-cell noise.
    @inline(__always)
    func fillRow(_ row: UnsafeMutablePointer<Float>, phi: UnsafePointer<Float>?,
                 nuisance: UnsafePointer<Float>, identity: UnsafePointer<Float>,
                 noiseScale: Float, rng: inout RandomSource) {
        let d = spec.dimensions
        for j in 0..<d { row[j] = identity[j] + noiseScale * SynthSignals.cellNoise(&rng) }
        if let phi {
            let w = UnsafePointer(signalWeights.pointer)
            for b in 0..<Self.basisCount {
                let c = signalGain * phi[b]
                let wb = w + b * d
                for j in 0..<d { row[j] += c * wb[j] }
            }
        }
        let q = UnsafePointer(nuisanceWeights.pointer)
        for k in 0..<Self.nuisanceCount {
            let c = nuisanceGain * nuisance[k]
            let qk = q + k * d
            for j in 0..<d { row[j] += c * qk[j] }
        }
        let s = UnsafePointer(scale.pointer), o = UnsafePointer(offset.pointer)
        if lower == -.infinity && upper == .infinity {
            for j in 0..<d { row[j] = o[j] + s[j] * row[j] }
        } else {
            let lo = lower, hi = upper
            for j in 0..<d {
                let x = o[j] + s[j] * row[j]
                row[j] = x < lo ? lo : (x > hi ? hi : x)
            }
        }
    }
}
