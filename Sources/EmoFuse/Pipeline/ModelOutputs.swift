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

    /// An auto-encoder's RE transforms (`model.reTransforms`), each written as `<name>-<transform>`;
    /// returns their mean per partition as scores `<partition>-<transform>`.
    static func writeTransforms(_ model: PlannedModel, re: [[Float]], aligned: AlignedData, data: ModelData,
                                to run: URL) throws -> [String: Double] {
        var scores: [String: Double] = [:]
        for t in model.reTransforms ?? [] {
            let values = re.map(t.apply)
            try write(name: ModelName.transformedRE(model.name, t), role: .autoencoder, values: values, aligned: aligned, to: run)
            for (p, v) in Self.scores(values, role: .autoencoder, data: data) { scores["\(p)-\(t.rawValue)"] = v }
        }
        return scores
    }

    /// Test-partition predictions as `label_segments/<emotion>/<ID>.csv` under `root`, one row per
    /// label row. Where the features were shorter than the labels (trimmed within the row
    /// tolerance), the last prediction is repeated so the submission has no empty cell.
    static func writeSubmission(_ values: [[Float]], aligned: AlignedData, labels: LabelSet, to root: URL) throws {
        var sequences: [LabelSequence] = []
        for (s, v) in zip(aligned.subjects, values) where s.partition == .test {
            guard let full = labels.sequences[s.id], full.timestamps.count > v.count, let last = v.last else {
                sequences.append(LabelSequence(id: s.id, timestamps: s.timestamps, segmentIDs: s.segmentIDs, values: v))
                continue
            }
            sequences.append(LabelSequence(id: s.id, timestamps: full.timestamps, segmentIDs: full.segmentIDs,
                                           values: v + Array(repeating: last, count: full.timestamps.count - v.count)))
        }
        guard !sequences.isEmpty else { return }
        try MuseWriter.writeSubmission(emotion: labels.emotion, sequences: sequences, to: root)
    }

    /// CCC (regressors) or mean reconstruction error (auto-encoders) per partition with data to score.
    static func scores(_ values: [[Float]], role: ModelRole, data: ModelData) -> [String: Double] {
        var out: [String: Double] = [:]
        for partition in Partition.allCases {
            let idx = data.sequences.indices.filter { data.sequences[$0].partition == partition }
            guard !idx.isEmpty else { continue }
            if role == .autoencoder {
                let all = idx.flatMap { values[$0] }
                if !all.isEmpty { out[partition.rawValue] = all.reduce(0.0) { $0 + Double($1) } / Double(all.count) }
            } else {
                let labelled = idx.reduce(0) { n, i in n + data.sequences[i].targets.filter { !$0.isNaN }.count }
                if labelled > 1 {
                    out[partition.rawValue] = Inference.ccc(predictions: idx.map { values[$0] },
                                                            sequences: idx.map { data.sequences[$0] })
                }
            }
        }
        return out
    }

    /// Test CCC against withheld labels in `key`, or nil when the key has none for this emotion.
    static func testScore(_ values: [[Float]], aligned: AlignedData, dataset: MuseDataset, emotion: String,
                          key: TestKey) throws -> Double? {
        let gold = try GoldLabels(dataset: dataset, emotion: emotion, testKey: key)
        var pairs = FramePairs()
        for (s, v) in zip(aligned.subjects, values) where s.partition == .test {
            guard var labels = gold.labels(for: Subject(id: s.id, partition: s.partition)) else { continue }
            if labels.values.count > v.count {   // features trimmed within the row tolerance
                labels = LabelSequence(id: s.id, timestamps: Array(labels.timestamps.prefix(v.count)),
                                       segmentIDs: Array(labels.segmentIDs.prefix(v.count)), values: Array(labels.values.prefix(v.count)))
            }
            try pairs.add(predicted: v, timestamps: s.timestamps, gold: labels,
                          file: (key.folder(for: emotion) ?? key.root).appendingPathComponent("\(s.id).csv").path)
        }
        return pairs.ccc
    }
}
