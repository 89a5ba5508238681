/// What a synthetic feature set imitates, which decides how its values look on disk.
public enum SynthValueStyle: String, Codable, Sendable, Equatable {
    /// eGeMAPS-like: every column has its own unit and offset (magnitudes 0.01…100), so
    /// z-scoring is crucial.
    case acousticDescriptors
    /// DeepSpectrum-like: non-negative ReLU activations with many exact zeros.
    case cnnActivations
    /// VGGFace-like: a real-valued embedding with a strong per-subject identity offset.
    case faceEmbedding
    /// OpenFace action-unit intensities: clipped to 0…5, often exactly 0.
    case actionUnitIntensities
    /// BERT-like: held constant over each word (2–6 steps), a few outlier dimensions of large
    /// magnitude.
    case textEmbedding
}

/// The channel a feature set is extracted from; it decides the corruption the set suffers.
public enum SynthModality: String, Codable, Sendable, Equatable {
    /// Audio noise bursts: over stretches the features are large-variance noise without signal.
    case audio
    /// Face lost: over stretches every cell of the row is empty (NaN).
    case video
    /// Never corrupted.
    case text
}

/// One synthetic feature set: its folder name, width, and how much it knows about the emotions.
///
/// Each set sees its own noisy copy of the latent arousal/valence state, `leadSteps` steps
/// after the label time (annotators react late), with view noise of standard deviation
/// `arousalNoise · 0.2` and `valenceNoise · 0.2` (0.2 ≈ the latent's typical within-subject
/// standard deviation, so these are noise-to-signal ratios). Columns are random mixtures of
/// nonlinear functions of that view (`informativeFraction` of the columns), per-subject nuisance
/// random walks, a per-subject identity offset and per-cell noise.
public struct SynthFeatureSet: Codable, Sendable, Equatable {
    /// Folder name under `feature_segments/` (e.g. `egemaps`).
    public var name: String
    /// Number of feature columns.
    public var dimensions: Int
    public var modality: SynthModality
    public var style: SynthValueStyle
    /// The first row's timestamp is `timestampOffsetSteps · step` (the real package has sets that
    /// start at 0 and sets that start at 500 ms, with the same number of rows).
    public var timestampOffsetSteps: Int
    /// The features at row `t` reflect the latent state the labels show at row `t + leadSteps`
    /// (annotators react late, so labels lag the behaviour they rate).
    public var leadSteps: Int
    /// Noise-to-signal ratio of this set's view of arousal (0 = perfect, 3 = barely there).
    public var arousalNoise: Double
    /// Noise-to-signal ratio of this set's view of valence.
    public var valenceNoise: Double
    /// Share of the columns that carry the emotional signal; the rest are nuisance and noise only.
    public var informativeFraction: Double

    public init(name: String, dimensions: Int, modality: SynthModality, style: SynthValueStyle,
                timestampOffsetSteps: Int, leadSteps: Int, arousalNoise: Double,
                valenceNoise: Double, informativeFraction: Double) {
        self.name = name
        self.dimensions = dimensions
        self.modality = modality
        self.style = style
        self.timestampOffsetSteps = timestampOffsetSteps
        self.leadSteps = leadSteps
        self.arousalNoise = arousalNoise
        self.valenceNoise = valenceNoise
        self.informativeFraction = informativeFraction
    }

    /// Column names written in the CSV header (after `timestamp,segment_id`).
    ///
    /// `actionUnitIntensities` sets use OpenFace's 17 intensity names (`AU01_r` …, then
    /// `AU_extra<i>_r` beyond 17); other sets use `<name>_<i>` with `i` from 0.
    public var columnNames: [String] {
        if style == .actionUnitIntensities {
            let au = ["AU01_r", "AU02_r", "AU04_r", "AU05_r", "AU06_r", "AU07_r", "AU09_r", "AU10_r",
                      "AU12_r", "AU14_r", "AU15_r", "AU17_r", "AU20_r", "AU23_r", "AU25_r", "AU26_r",
                      "AU45_r"]
            return (0..<dimensions).map { $0 < au.count ? au[$0] : "AU_extra\($0 - au.count)_r" }
        }
        return (0..<dimensions).map { "\(name)_\($0)" }
    }
}

/// How corrupted stretches of one modality are drawn for each subject: a Poisson number of
/// stretches (mean `meanCount`, at most 4), each covering a uniform fraction
/// `minFraction…maxFraction` of the subject's steps, never overlapping.
public struct SynthStretchSpec: Codable, Sendable, Equatable {
    public var meanCount: Double
    public var minFraction: Double
    public var maxFraction: Double

    public init(meanCount: Double, minFraction: Double, maxFraction: Double) {
        self.meanCount = meanCount
        self.minFraction = minFraction
        self.maxFraction = maxFraction
    }
}

/// Everything that sizes a synthetic MuSe-Stress-like dataset. The three standard presets are
/// ``tiny``, ``demo`` and ``full``; tests may build their own.
public struct SynthPreset: Codable, Sendable, Equatable {
    public var name: String
    public var trainSubjects: Int
    public var develSubjects: Int
    public var testSubjects: Int
    /// IDs are the integers `1…(subjects + idGaps)` with `idGaps` of them left out at random.
    public var idGaps: Int
    /// Mean number of rows per subject; each subject gets `meanSteps · (1 ± lengthJitter)`.
    public var meanSteps: Int
    public var lengthJitter: Double
    /// Time between rows in milliseconds.
    public var stepMilliseconds: Int
    public var featureSets: [SynthFeatureSet]
    /// Stretches where the face is lost (every `video` set: whole rows empty).
    public var faceLoss: SynthStretchSpec
    /// Stretches of audio noise (every `audio` set: signal replaced by noise of this scale).
    public var audioBursts: SynthStretchSpec
    /// Standard deviation of the burst noise, in units of the normal per-cell noise.
    public var burstNoiseScale: Double

    public init(name: String, trainSubjects: Int, develSubjects: Int, testSubjects: Int, idGaps: Int,
                meanSteps: Int, lengthJitter: Double, stepMilliseconds: Int,
                featureSets: [SynthFeatureSet], faceLoss: SynthStretchSpec,
                audioBursts: SynthStretchSpec, burstNoiseScale: Double) {
        self.name = name
        self.trainSubjects = trainSubjects
        self.develSubjects = develSubjects
        self.testSubjects = testSubjects
        self.idGaps = idGaps
        self.meanSteps = meanSteps
        self.lengthJitter = lengthJitter
        self.stepMilliseconds = stepMilliseconds
        self.featureSets = featureSets
        self.faceLoss = faceLoss
        self.audioBursts = audioBursts
        self.burstNoiseScale = burstNoiseScale
    }

    public var totalSubjects: Int { trainSubjects + develSubjects + testSubjects }

    /// The five feature sets of the paper with the given widths. Audio carries arousal best,
    /// the face valence, text little of either; video sets start one step later (at 500 ms).
    public static func paperFeatureSets(egemaps: Int, deepspectrum: Int, vggface: Int,
                                        fauIntensity: Int, bert: Int) -> [SynthFeatureSet] {
        [
            SynthFeatureSet(name: "egemaps", dimensions: egemaps, modality: .audio,
                            style: .acousticDescriptors, timestampOffsetSteps: 0, leadSteps: 4,
                            arousalNoise: 0.6, valenceNoise: 2.0, informativeFraction: 0.6),
            SynthFeatureSet(name: "deepspectrum", dimensions: deepspectrum, modality: .audio,
                            style: .cnnActivations, timestampOffsetSteps: 0, leadSteps: 4,
                            arousalNoise: 0.9, valenceNoise: 2.2, informativeFraction: 0.3),
            SynthFeatureSet(name: "vggface", dimensions: vggface, modality: .video,
                            style: .faceEmbedding, timestampOffsetSteps: 1, leadSteps: 3,
                            arousalNoise: 2.5, valenceNoise: 0.5, informativeFraction: 0.5),
            SynthFeatureSet(name: "fau_intensity", dimensions: fauIntensity, modality: .video,
                            style: .actionUnitIntensities, timestampOffsetSteps: 1, leadSteps: 3,
                            arousalNoise: 1.8, valenceNoise: 0.8, informativeFraction: 0.8),
            SynthFeatureSet(name: "bert-4", dimensions: bert, modality: .text,
                            style: .textEmbedding, timestampOffsetSteps: 0, leadSteps: 8,
                            arousalNoise: 2.5, valenceNoise: 2.2, informativeFraction: 0.3),
        ]
    }

    /// For tests: 6/3/3 subjects of ~80–120 rows, narrow feature sets (egemaps 8, others ≤ 16).
    public static let tiny = SynthPreset(
        name: "tiny", trainSubjects: 6, develSubjects: 3, testSubjects: 3, idGaps: 2,
        meanSteps: 100, lengthJitter: 0.2, stepMilliseconds: 500,
        featureSets: paperFeatureSets(egemaps: 8, deepspectrum: 16, vggface: 12, fauIntensity: 8, bert: 12),
        faceLoss: SynthStretchSpec(meanCount: 1.5, minFraction: 0.05, maxFraction: 0.15),
        audioBursts: SynthStretchSpec(meanCount: 1.5, minFraction: 0.04, maxFraction: 0.10),
        burstNoiseScale: 3)

    /// Sized so the paper's whole system (5 auto-encoders, 10 regressors, 2 fusion models,
    /// 4-layer BiGRU 64) trains in minutes on 2 cores: 12/5/5 subjects of ~300 rows;
    /// deepspectrum 256, vggface 64 and bert-4 96 wide (egemaps 88 and fau_intensity 17 as real).
    public static let demo = SynthPreset(
        name: "demo", trainSubjects: 12, develSubjects: 5, testSubjects: 5, idGaps: 3,
        meanSteps: 300, lengthJitter: 0.1, stepMilliseconds: 500,
        featureSets: paperFeatureSets(egemaps: 88, deepspectrum: 256, vggface: 64, fauIntensity: 17, bert: 96),
        faceLoss: SynthStretchSpec(meanCount: 1.5, minFraction: 0.03, maxFraction: 0.12),
        audioBursts: SynthStretchSpec(meanCount: 1.5, minFraction: 0.02, maxFraction: 0.08),
        burstNoiseScale: 3)

    /// The real package's shape: 41/14/14 subjects with IDs 1…73, ~600 rows (±10%) at 500 ms,
    /// egemaps 88, deepspectrum 4096, vggface 512, fau_intensity 17, bert-4 768.
    public static let full = SynthPreset(
        name: "full", trainSubjects: 41, develSubjects: 14, testSubjects: 14, idGaps: 4,
        meanSteps: 600, lengthJitter: 0.1, stepMilliseconds: 500,
        featureSets: paperFeatureSets(egemaps: 88, deepspectrum: 4096, vggface: 512, fauIntensity: 17, bert: 768),
        faceLoss: SynthStretchSpec(meanCount: 1.5, minFraction: 0.03, maxFraction: 0.12),
        audioBursts: SynthStretchSpec(meanCount: 1.5, minFraction: 0.02, maxFraction: 0.08),
        burstNoiseScale: 3)

    /// The standard presets by name.
    public static let standard: [SynthPreset] = [tiny, demo, full]

    /// The standard preset called `name` (`tiny`, `demo`, `full`), or nil.
    public static func named(_ name: String) -> SynthPreset? {
        standard.first { $0.name == name }
    }

    /// Throws ``SynthError/invalidPreset(_:)`` naming the first inconsistent field.
    public func validate() throws {
        func fail(_ why: String) throws -> Never { throw SynthError.invalidPreset("preset \(name): \(why)") }
        if trainSubjects < 1 || develSubjects < 0 || testSubjects < 0 { try fail("subject counts must be ≥ 1/0/0") }
        if idGaps < 0 { try fail("idGaps must be ≥ 0") }
        if meanSteps < 8 { try fail("meanSteps must be ≥ 8") }
        if !(0..<0.5).contains(lengthJitter) { try fail("lengthJitter must be in 0..<0.5") }
        if stepMilliseconds < 1 { try fail("stepMilliseconds must be ≥ 1") }
        if featureSets.isEmpty { try fail("no feature sets") }
        var seen = Set<String>()
        for f in featureSets {
            if f.name.isEmpty || f.name.contains("/") || f.name.hasPrefix(".") { try fail("bad feature set name '\(f.name)'") }
            if !seen.insert(f.name).inserted { try fail("feature set '\(f.name)' listed twice") }
            if f.dimensions < 1 { try fail("\(f.name): dimensions must be ≥ 1") }
            if f.timestampOffsetSteps < 0 || f.leadSteps < 0 { try fail("\(f.name): offsets must be ≥ 0") }
            if f.arousalNoise < 0 || f.valenceNoise < 0 { try fail("\(f.name): noise must be ≥ 0") }
            if !(0...1).contains(f.informativeFraction) { try fail("\(f.name): informativeFraction must be in 0...1") }
        }
        for (label, s) in [("faceLoss", faceLoss), ("audioBursts", audioBursts)] {
            if s.meanCount < 0 || s.minFraction <= 0 || s.maxFraction < s.minFraction || s.maxFraction > 0.5 {
                try fail("\(label): need meanCount ≥ 0 and 0 < minFraction ≤ maxFraction ≤ 0.5")
            }
        }
        if burstNoiseScale < 0 { try fail("burstNoiseScale must be ≥ 0") }
    }
}
