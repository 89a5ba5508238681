import Foundation

/// A model's per-step outputs for every sequence, and how they are written and scored.
///
/// A regressor's output is its prediction (one column, `prediction`); an auto-encoder's is the
/// per-step reconstruction error `RE_t` (one column, `re`). Either becomes a MuSe feature set.
enum ModelOutputs {
    /// One array of `rows` values per sequence of `data`, in order.
    static func compute(_ network: SequenceNetwork, role: ModelRole, data: ModelData) -> [[Float]] {
        role == .autoencoder ? Inference.reconstructionErrors(network, sequences: data.sequences)
                             : Inference.predict(network, sequences: data.sequences)
    }

    static func column(for role: ModelRole) -> String { role == .autoencoder ? "re" : "prediction" }

    static func write(name: String, role: ModelRole, values: [[Float]], aligned: AlignedData, to run: URL) throws {
        let sequences = zip(aligned.subjects, values).map { s, v in
            FeatureSequence(id: s.id, timestamps: s.timestamps, segmentIDs: s.segmentIDs,
                            dim: 1, values: v)
        }
        try MuseWriter.writeFeatureSet(name: name, columns: [column(for: role)], sequences: sequences, to: run)
    }

    /// Test-partition predictions as `label_segments/<emotion>/<ID>.csv` under `root`.
    static func writeSubmission(_ values: [[Float]], aligned: AlignedData, emotion: String, to root: URL) throws {
        let sequences = zip(aligned.subjects, values).filter { $0.0.partition == .test }.map { s, v in
            LabelSequence(id: s.id, timestamps: s.timestamps, segmentIDs: s.segmentIDs, values: v)
        }
        guard !sequences.isEmpty else { return }
        try MuseWriter.writeSubmission(emotion: emotion, sequences: sequences, to: root)
    }

    /// CCC (regressors) or reconstruction MSE (auto-encoders) per partition with data to score.
    static func scores(_ values: [[Float]], role: ModelRole, data: ModelData) -> [String: Double] {
        var out: [String: Double] = [:]
        for partition in Partition.allCases {
            let idx = data.sequences.indices.filter { data.sequences[$0].partition == partition }
            guard !idx.isEmpty else { continue }
            if role == .autoencoder {
                var sum = 0.0, n = 0
                for i in idx { for v in values[i] { sum += Double(v) }; n += values[i].count }
                if n > 0 { out[partition.rawValue] = sum / Double(n) }
            } else {
                var p: [Float] = [], y: [Float] = []
                for i in idx {
                    let s = data.sequences[i]
                    for t in 0..<s.rows where !s.targets[t].isNaN { p.append(values[i][t]); y.append(s.targets[t]) }
                }
                if p.count > 1 { out[partition.rawValue] = concordanceCorrelation(p, y) }
            }
        }
        return out
    }

    /// Test CCC against withheld labels in `key` (`label_segments/<emotion>/<ID>.csv`), or nil
    /// when the key has none for these subjects.
    static func testScore(_ values: [[Float]], aligned: AlignedData, emotion: String, key: URL) throws -> Double? {
        let labels = try LabelFolder.read(root: key, emotion: emotion)
        var p: [Float] = [], y: [Float] = []
        for (s, v) in zip(aligned.subjects, values) where s.partition == .test {
            guard let gold = labels[s.id]?.values else { continue }
            for t in 0..<min(s.rows, gold.count) where !gold[t].isNaN { p.append(v[t]); y.append(gold[t]) }
        }
        return p.count > 1 ? concordanceCorrelation(p, y) : nil
    }
}
