import Foundation
import SeqNet

/// One controlled corruption of a modality: `<set>:<kind>:<fraction>[:<snr dB>]`, e.g.
/// `vggface:missing:0.3`, `egemaps:noise:0.2:0`, `face:frozen:0.3`. The fraction is the share of
/// each devel/test sequence's frames that fall in corrupted stretches; train is never touched.
public struct CorruptionSpec: Codable, Sendable, Equatable, Hashable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// The modality is absent: cells empty (the loader fills the train mean, as for missing data).
        case missing
        /// Additive Gaussian noise bursts at `snr` dB relative to each column's variance in the sequence.
        case noise
        /// The stream freezes: each stretch repeats its first frame.
        case frozen
    }
    /// A feature set, or `audio` / `face` / `text` (the MuSe-Stress sets of that modality).
    public var target: String
    public var kind: Kind
    public var fraction: Double
    public var snr: Double = 0

    public static let modalities = ["audio": ["egemaps", "deepspectrum"], "face": ["vggface", "fau_intensity"],
                                    "video": ["vggface", "fau_intensity"], "text": ["bert-4"]]

    /// Parses a comma-separated list; errors name the bad item and what was expected.
    public static func parseList(_ text: String) throws -> [CorruptionSpec] {
        let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !items.isEmpty else { throw ConfigurationError(file: "--corrupt", message: "no corruption given") }
        return try items.map { item in
            let parts = item.split(separator: ":").map(String.init)
            func fail(_ why: String) -> ConfigurationError {
                ConfigurationError(file: "--corrupt", message: "'\(item)': \(why) (expected <set>:<missing|noise|frozen>:<fraction>[:<snr dB>])")
            }
            guard parts.count == 3 || parts.count == 4 else { throw fail("\(parts.count) fields") }
            guard let kind = Kind(rawValue: parts[1]) else { throw fail("unknown kind '\(parts[1])'\(didYouMean(parts[1], Kind.allCases.map(\.rawValue)))") }
            guard let fraction = Double(parts[2]), fraction > 0, fraction <= 1 else { throw fail("the fraction must be in (0, 1]") }
            var spec = CorruptionSpec(target: parts[0], kind: kind, fraction: fraction)
            if parts.count == 4 {
                guard kind == .noise, let snr = Double(parts[3]), snr.isFinite else { throw fail("only noise takes an SNR in dB") }
                spec.snr = snr
            }
            return spec
        }
    }

    /// `vggface-missing-0.3`: the sub-run folder's name.
    public var tag: String {
        "\(target)-\(kind.rawValue)-\(fraction)" + (kind == .noise && snr != 0 ? "-snr\(snr)" : "")
    }

    /// The dataset's feature sets this corrupts; errors name the target and the sets there are.
    func sets(in dataset: MuseDataset) throws -> [String] {
        let available = dataset.featureSetNames
        if available.contains(target) { return [target] }
        if let sets = Self.modalities[target]?.filter(available.contains), !sets.isEmpty { return sets }
        throw ConfigurationError(file: "--corrupt", message: "'\(target)' is neither a feature set of \(dataset.root.path) "
                                 + "nor a modality with sets there\(didYouMean(target, available)) (have: \(available.joined(separator: ", ")))")
    }
}

/// Corrupts feature sequences in seeded stretches, devel and test only.
public enum Corruption {
    /// Row ranges that cover about `fraction` of `rows` rows: stretches of 2–10% of the sequence,
    /// at random starts, until the share is reached.
    static func stretches(rows: Int, fraction: Double, rng: inout RandomSource) -> [Range<Int>] {
        guard rows > 0 else { return [] }
        var marked = [Bool](repeating: false, count: rows)
        var covered = 0
        let target = Int((fraction * Double(rows)).rounded())
        let shortest = max(1, rows / 50), longest = max(shortest, rows / 10)
        while covered < target {
            let length = min(target - covered, shortest + rng.nextInt(below: longest - shortest + 1))
            let start = rng.nextInt(below: rows)
            for t in start..<min(rows, start + length) where !marked[t] { marked[t] = true; covered += 1 }
        }
        var out: [Range<Int>] = []
        var t = 0
        while t < rows {
            if marked[t] { let s = t; while t < rows && marked[t] { t += 1 }; out.append(s..<t) } else { t += 1 }
        }
        return out
    }

    /// `set` with `spec` applied to every devel and test subject; train sequences are unchanged.
    /// The stretches depend on `seed`, the set and the subject only (not on the order of calls).
    static func apply(_ spec: CorruptionSpec, to set: FeatureSet, subjects: [Subject], seed: UInt64)
        -> (sequences: [FeatureSequence], stretches: [String: [Range<Int>]]) {
        var sequences: [FeatureSequence] = []
        var record: [String: [Range<Int>]] = [:]
        for subject in subjects {
            guard let s = set.sequences[subject.id] else { continue }
            guard subject.partition != .train else { sequences.append(s); continue }
            var rng = RandomSource(seed: seed ^ fnv1a64(Array("\(set.name)/\(subject.id)/\(spec.kind.rawValue)".utf8)))
            let ranges = stretches(rows: s.rows, fraction: spec.fraction, rng: &rng)
            var values = s.values
            let d = s.dim
            for r in ranges {
                switch spec.kind {
                case .missing:
                    for t in r { for i in 0..<d { values[t * d + i] = .nan } }
                case .frozen:
                    for t in r { for i in 0..<d { values[t * d + i] = s.values[r.lowerBound * d + i] } }
                case .noise:
                    for i in 0..<d {
                        let column = (0..<s.rows).map { s.values[$0 * d + i] }.filter { !$0.isNaN }
                        let mean = column.reduce(0, +) / Float(max(1, column.count))
                        let variance = column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(max(1, column.count))
                        let sd = Float((Double(variance) / pow(10, spec.snr / 10)).squareRoot())
                        for t in r where !values[t * d + i].isNaN { values[t * d + i] += sd * Float(rng.normal()) }
                    }
                }
            }
            sequences.append(FeatureSequence(id: s.id, timestamps: s.timestamps, segmentIDs: s.segmentIDs, dim: d, values: values))
            record[subject.id] = ranges
        }
        return (sequences, record)
    }
}

/// The corrupted stretches of one corruption run, in milliseconds (`corruption.json` of its folder).
public struct CorruptionRecord: Codable, Sendable, Equatable {
    public var spec: CorruptionSpec
    public var seed: UInt64
    /// set → subject → [[from, to)] in ms.
    public var stretches: [String: [String: [[Int64]]]]

    /// The row ranges of `rows` as half-open millisecond intervals of `timestamps`.
    static func milliseconds(_ rows: [Range<Int>], _ timestamps: [Int64]) -> [[Int64]] {
        rows.map { r in [timestamps[r.lowerBound], r.upperBound < timestamps.count ? timestamps[r.upperBound] : timestamps[r.upperBound - 1] + 1] }
    }

    func isCorrupted(sets: [String], id: String, timestamp: Int64) -> Bool {
        sets.contains { set in stretches[set]?[id]?.contains { timestamp >= $0[0] && timestamp < $0[1] } ?? false }
    }
}
