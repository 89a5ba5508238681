import Foundation

/// A corrupted stretch of one subject and feature set, as recorded in `synth.json`.
public struct SynthCorruptedStretch: Codable, Sendable, Equatable {
    /// `face-lost` (rows empty) or `audio-noise` (signal replaced by noise).
    public var kind: String
    /// Rows `startStep..<endStep` (row indices, the same in every file of the subject).
    public var startStep: Int
    public var endStep: Int
    /// The same stretch in milliseconds on the labels' clock (row `r` is at `r · step`).
    public var startMilliseconds: Int
    public var endMilliseconds: Int
}

/// One subject in `synth.json`.
public struct SynthSubjectRecord: Codable, Sendable, Equatable {
    public var id: String
    public var partition: String
    public var steps: Int
    /// Row at which the stress onset is half-way up.
    public var stressOnsetStep: Int
    /// Corrupted stretches per feature-set name (an empty list for an uncorrupted set).
    public var corrupted: [String: [SynthCorruptedStretch]]
}

/// Paths of the written dataset, relative to its root folder.
public struct SynthLayout: Codable, Sendable, Equatable {
    public var featureSegments = "feature_segments"
    public var labelSegments = "label_segments"
    public var partitionFile = "metadata/partition.csv"
    /// The withheld test labels, laid out as `<testKey>/label_segments/{arousal,valence}/<ID>.csv`.
    /// It sits outside the MuSe layout, so a MuSe reader never takes it for features or labels.
    public var testKey = "test_key"
    public var manifest = "synth.json"
}

/// `synth.json`: what was generated, with which preset and seed, and where each subject's
/// data is corrupted (so reports can draw the stretches). Written last: its presence marks a
/// complete dataset.
public struct SynthManifest: Codable, Sendable, Equatable {
    public var generator = "emofuse synth"
    public var formatVersion = 1
    public var note = "Synthetic data shaped like MuSe-Stress (Ulm-TSST). It is not a substitute for the real data: numbers measured on it say nothing about performance on Ulm-TSST."
    public var seed: UInt64
    public var preset: SynthPreset
    public var layout = SynthLayout()
    /// Label value range after clipping.
    public var labelRange: [Double] = [-1, 1]
    public var significantDigits: Int
    public var subjects: [SynthSubjectRecord]

    public init(seed: UInt64, preset: SynthPreset, significantDigits: Int, subjects: [SynthSubjectRecord]) {
        self.seed = seed
        self.preset = preset
        self.significantDigits = significantDigits
        self.subjects = subjects
    }

    /// The manifest as deterministic JSON (sorted keys, pretty-printed).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Reads a manifest written by ``generateSyntheticDataset(preset:seed:to:overwrite:threads:progress:)``.
    public static func load(from url: URL) throws -> SynthManifest {
        try JSONDecoder().decode(SynthManifest.self, from: Data(contentsOf: url))
    }

    /// The record of a subject's state, with each feature set's corrupted stretches.
    static func record(for state: SynthSubjectState, preset: SynthPreset) -> SynthSubjectRecord {
        var corrupted: [String: [SynthCorruptedStretch]] = [:]
        for set in preset.featureSets {
            let kind = set.modality == .video ? "face-lost" : "audio-noise"
            corrupted[set.name] = state.corruption(for: set.modality).map {
                SynthCorruptedStretch(kind: kind, startStep: $0.startStep, endStep: $0.endStep,
                                      startMilliseconds: $0.startStep * preset.stepMilliseconds,
                                      endMilliseconds: $0.endStep * preset.stepMilliseconds)
            }
        }
        return SynthSubjectRecord(id: state.plan.id, partition: state.plan.partition, steps: state.plan.steps,
                                  stressOnsetStep: state.stressOnsetStep, corrupted: corrupted)
    }
}
