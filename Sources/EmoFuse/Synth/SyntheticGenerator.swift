import Foundation

/// One subject of a synthetic dataset as planned: ID, partition and length.
public struct SynthSubjectPlan: Codable, Sendable, Equatable {
    /// The ID as written in `partition.csv` and used as file name (an integer as text).
    public var id: String
    /// `train`, `devel` or `test`.
    public var partition: String
    /// Number of rows of every file of this subject.
    public var steps: Int
}

/// A subject's latent emotional state, its labels and its corrupted stretches.
public struct SynthSubjectState: Sendable {
    public let plan: SynthSubjectPlan
    /// Latent arousal and valence on the labels' clock, `[steps]`.
    public let latentArousal: [Double]
    public let latentValence: [Double]
    /// Labels: latent plus annotation noise, clipped to −1…1, `[steps]`.
    public let arousal: [Float]
    public let valence: [Float]
    /// Row at which the stress onset is half-way up (arousal rises, valence falls).
    public let stressOnsetStep: Int
    /// Stretches where every `video` set's rows are empty.
    public let faceLost: [SynthStretch]
    /// Stretches where every `audio` set carries noise instead of signal.
    public let audioBursts: [SynthStretch]

    /// The corrupted stretches of a feature set of `modality`.
    public func corruption(for modality: SynthModality) -> [SynthStretch] {
        switch modality {
        case .audio: return audioBursts
        case .video: return faceLost
        case .text: return []
        }
    }
}

/// Generates a synthetic MuSe-Stress-like dataset in memory, one subject and feature set at a
/// time (``generateSyntheticDataset(preset:seed:to:overwrite:threads:progress:)`` writes it to disk).
///
/// Deterministic: the plan, every set's extractor and every subject's data come from their own
/// random streams derived from `seed` (subjects by ID, sets by name), so any subject can be
/// generated alone, in any order, on any thread, with the same result.
///
/// The model (see docs/synthetic-data.md): per subject a smooth latent arousal and valence
/// (three time scales plus a stress onset that raises arousal and lowers valence); labels are
/// the latent plus annotation noise; each feature set is a noisy nonlinear view of the latent,
/// `leadSteps` ahead of the labels, mixed with nuisance drifts, identity offsets and cell noise;
/// face sets lose whole stretches (empty rows), audio sets get noise bursts without signal.
public struct SyntheticGenerator: Sendable {
    public let preset: SynthPreset
    public let seed: UInt64
    /// All subjects, sorted by numeric ID.
    public let subjects: [SynthSubjectPlan]
    let models: [SynthSetModel]
    private let root: RandomSource

    /// Plans the dataset; throws ``SynthError/invalidPreset(_:)`` for an inconsistent preset.
    public init(preset: SynthPreset, seed: UInt64) throws {
        try preset.validate()
        self.preset = preset
        self.seed = seed
        root = RandomSource(seed: seed)

        var planRNG = root.derived(stream: 1)
        let n = preset.totalSubjects
        var ids = Array(1...(n + preset.idGaps))
        planRNG.shuffle(&ids)
        ids = Array(ids.prefix(n))                     // the left-out ones are the gaps
        var partitions: [Int: String] = [:]
        for (i, id) in ids.enumerated() {
            partitions[id] = i < preset.trainSubjects ? "train"
                : (i < preset.trainSubjects + preset.develSubjects ? "devel" : "test")
        }
        var plans: [SynthSubjectPlan] = []
        for id in ids.sorted() {
            let jitter = preset.lengthJitter * (2 * planRNG.nextDouble() - 1)
            let steps = max(8, Int((Double(preset.meanSteps) * (1 + jitter)).rounded()))
            plans.append(SynthSubjectPlan(id: String(id), partition: partitions[id]!, steps: steps))
        }
        subjects = plans
        models = preset.featureSets.map { spec in
            var r = RandomSource(seed: seed).derived(stream: SynthSignals.stableHash("extractor/" + spec.name))
            return SynthSetModel(spec: spec, rng: &r)
        }
    }

    private func subjectRNG(_ plan: SynthSubjectPlan) -> RandomSource {
        root.derived(stream: SynthSignals.stableHash("subject/" + plan.id))
    }

    /// The latent state, labels and corrupted stretches of subject `index` (into ``subjects``).
    public func state(ofSubject index: Int) -> SynthSubjectState {
        let plan = subjects[index]
        let T = plan.steps
        var rng = subjectRNG(plan).derived(stream: 1)
        // Latent: subject level + three time scales (1 s, 7.5 s, 25 s at 500 ms) + stress onset.
        let scales = [2.0, 15, 50]
        let arousalAmp = [0.05, 0.09, 0.12], valenceAmp = [0.05, 0.08, 0.11]
        var a = [Double](repeating: rng.normal() * 0.10, count: T)
        var v = [Double](repeating: 0.05 + rng.normal() * 0.10, count: T)
        for (k, tau) in scales.enumerated() {
            let na = SynthSignals.smoothNoise(count: T, timeScale: tau, rng: &rng)
            let nv = SynthSignals.smoothNoise(count: T, timeScale: tau, rng: &rng)
            for t in 0..<T { a[t] += arousalAmp[k] * na[t]; v[t] += valenceAmp[k] * nv[t] }
        }
        let onset = Double(T) * (0.15 + 0.45 * rng.nextDouble())
        let width = 4 + 16 * rng.nextDouble()
        let rise = 0.15 + 0.30 * rng.nextDouble(), drop = 0.10 + 0.25 * rng.nextDouble()
        for t in 0..<T {
            let step = 1 / (1 + exp(-(Double(t) - onset) / width))
            a[t] += rise * step
            v[t] -= drop * step
        }
        // Labels: latent + smooth annotation noise, clipped like the real (fused) ratings.
        let annA = SynthSignals.smoothNoise(count: T, timeScale: 2, rng: &rng)
        let annV = SynthSignals.smoothNoise(count: T, timeScale: 2, rng: &rng)
        let labelA = (0..<T).map { Float(min(1, max(-1, a[$0] + 0.03 * annA[$0]))) }
        let labelV = (0..<T).map { Float(min(1, max(-1, v[$0] + 0.03 * annV[$0]))) }
        var corruptionRNG = subjectRNG(plan).derived(stream: 2)
        let face = SynthSignals.stretches(steps: T, spec: preset.faceLoss, rng: &corruptionRNG)
        let audio = SynthSignals.stretches(steps: T, spec: preset.audioBursts, rng: &corruptionRNG)
        return SynthSubjectState(plan: plan, latentArousal: a, latentValence: v, arousal: labelA,
                                 valence: labelV, stressOnsetStep: Int(onset.rounded()),
                                 faceLost: face, audioBursts: audio)
    }

    /// The features of feature set `setIndex` (into `preset.featureSets`) for a subject, row-major
    /// `[steps × dimensions]`; rows where the face is lost (video sets) are all NaN.
    public func features(ofSet setIndex: Int, for state: SynthSubjectState) -> FloatBuffer {
        let model = models[setIndex]
        let spec = model.spec
        let T = state.plan.steps, d = spec.dimensions
        var rng = subjectRNG(state.plan).derived(stream: SynthSignals.stableHash("features/" + spec.name))

        // This set's view of the latent state: `leadSteps` ahead, plus its own smooth noise.
        let noiseA = SynthSignals.smoothNoise(count: T, timeScale: 3, rng: &rng)
        let noiseV = SynthSignals.smoothNoise(count: T, timeScale: 3, rng: &rng)
        let nb = SynthSetModel.basisCount, nn = SynthSetModel.nuisanceCount
        let phi = FloatBuffer(count: T * nb)
        for t in 0..<T {
            let s = min(T - 1, t + spec.leadSteps)
            SynthSetModel.basis(arousal: state.latentArousal[s] + 0.2 * spec.arousalNoise * noiseA[t],
                                valence: state.latentValence[s] + 0.2 * spec.valenceNoise * noiseV[t],
                                into: phi.pointer + t * nb)
        }
        let nuisance = FloatBuffer(count: T * nn)
        for k in 0..<nn {
            let walk = SynthSignals.randomWalk(count: T, rng: &rng)
            for t in 0..<T { nuisance[t * nn + k] = Float(walk[t]) }
        }
        let identity = FloatBuffer(count: d)
        for j in 0..<d { identity[j] = Float(rng.normal()) * model.identityScale }
        // Text is held over words of 2–6 steps: a row is computed at each word start only.
        var holds = [Bool](repeating: false, count: T)
        if spec.style == .textEmbedding {
            var t = 0
            while t < T {
                let len = 2 + rng.nextInt(below: 5)
                for u in (t + 1)..<min(T, t + len) { holds[u] = true }
                t += len
            }
        }
        let corrupted = state.corruption(for: spec.modality)
        let burstScale = Float(preset.burstNoiseScale)
        let out = FloatBuffer(count: T * d)
        var stretch = 0
        for t in 0..<T {
            let row = out.pointer + t * d
            while stretch < corrupted.count && corrupted[stretch].endStep <= t { stretch += 1 }
            let inStretch = stretch < corrupted.count && corrupted[stretch].contains(t)
            if inStretch && spec.modality == .video {
                row.update(repeating: .nan, count: d)
            } else if holds[t] {
                row.update(from: row - d, count: d)
            } else {
                model.fillRow(row, phi: inStretch ? nil : UnsafePointer(phi.pointer + t * nb),
                              nuisance: nuisance.pointer + t * nn, identity: identity.pointer,
                              noiseScale: inStretch ? burstScale : model.cellNoise, rng: &rng)
            }
        }
        return out
    }
}

/// Errors of the synthetic-data generator.
public enum SynthError: Error, CustomStringConvertible, LocalizedError, Equatable {
    case invalidPreset(String)
    case unknownPreset(String)
    case outputNotEmpty(String)
    case outputNotDirectory(String)
    case notSyntheticDataset(String)

    public var description: String {
        switch self {
        case .invalidPreset(let why): return "invalid synthetic preset: \(why)"
        case .unknownPreset(let name):
            return "unknown preset '\(name)' (choose one of: \(SynthPreset.standard.map(\.name).joined(separator: ", ")))"
        case .outputNotEmpty(let path):
            return "output folder \(path) is not empty; choose an empty or new folder, or pass --force to replace the synthetic dataset there"
        case .outputNotDirectory(let path): return "output path \(path) exists and is not a folder"
        case .notSyntheticDataset(let path):
            return "output folder \(path) holds a MuSe layout without synth.json (not a synthetic dataset); nothing was deleted, choose another folder"
        }
    }

    public var errorDescription: String? { description }
}
