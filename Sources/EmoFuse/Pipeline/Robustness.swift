import Foundation

/// One line of the robustness comparison: fusion with and without reconstruction errors on a
/// subset of frames.
public struct RobustnessRow: Codable, Sendable, Equatable {
    public var emotion: String
    public var partition: String
    /// `all`, `corrupted`/`clean` (the synthetic generator's recorded corruption of any fused
    /// set), or `high RE`/`low RE` (any fused set's RE above its 90th percentile over the partition, or none).
    public var subset: String
    public var frames: Int
    public var withRE: Double
    public var withoutRE: Double
}

/// The paper's open question: does feeding reconstruction errors to the fusion model make it more
/// robust where a modality is corrupted? Compares the system's fusion (predictions + RE) with the
/// same fusion without RE, on all frames and on corrupted vs clean frames.
public enum Robustness {
    /// Adds, per emotion, the twin of the system's fusion model (the same fusion without RE when the
    /// system uses RE, with RE otherwise) and the comparison of the two.
    static func plan(_ config: RunConfiguration, into plan: inout Plan) throws {
        let sets = config.fusionSets.sets
        let oof = config.fusion.outOfFold > 1
        for emotion in config.emotions {
            let system = ModelName.fusion(emotion)
            let twinWithRE = !config.fusion.withRE
            let twin = ModelName.fusionVariant(sets, withRE: twinWithRE, outOfFold: oof, emotion)
            try plan.add(PaperSystem.fusionModel(config, emotion: emotion, withRE: twinWithRE, name: twin,
                                                 purpose: "robustness: the system's fusion \(twinWithRE ? "with" : "without") RE"))
            plan.robustness.append(RobustnessPair(emotion: emotion, withRE: twinWithRE ? twin : system,
                                                  withoutRE: twinWithRE ? system : twin, sets: sets))
        }
    }

    /// Scores each pair on all frames, corrupted vs clean frames (where the data record corruption)
    /// and high- vs low-RE frames, for devel and test; writes `robustness.json`.
    public static func analyse(_ pairs: [RobustnessPair], context: RunContext) throws -> [RobustnessRow] {
        let corruption = CorruptionMap.load(dataRoot: context.data)
        let dataset = try context.dataset()
        var rows: [RobustnessRow] = []
        for pair in pairs {
            let emotion = pair.emotion
            let a = try dataset.featureSet(pair.withRE), b = try dataset.featureSet(pair.withoutRE)
            let gold = try GoldLabels(dataset: dataset, emotion: emotion, testKey: context.testKey)
            let re = try pair.sets.map { try dataset.featureSet(ModelName.autoencoder($0)) }
            for partition in [Partition.devel, .test] {
                // Thresholds from the scored partition itself: REs are unsupervised, and the
                // auto-encoders fit train better than unseen subjects.
                let thresholds = re.map { set in
                    percentile(dataset.subjects(in: partition).flatMap { set.sequences[$0.id]?.values ?? [] }, 0.9)
                }
                var subsets: [String: (p: [Float], q: [Float], y: [Float])] = [:]
                for subject in dataset.subjects(in: partition) {
                    guard let labels = gold.labels(for: subject),
                          let pa = a.sequences[subject.id], let pb = b.sequences[subject.id] else { continue }
                    for t in 0..<min(labels.values.count, pa.values.count, pb.values.count) where !labels.values[t].isNaN {
                        var names = ["all"]
                        if !corruption.isEmpty {
                            names.append(corruption.isCorrupted(sets: pair.sets, id: subject.id,
                                                                timestamp: labels.timestamps[t]) ? "corrupted" : "clean")
                        }
                        let high = zip(re, thresholds).contains { set, th in
                            (set.sequences[subject.id]?.values[t]).map { $0 > th } ?? false
                        }
                        names.append(high ? "high RE" : "low RE")
                        for n in names {
                            subsets[n, default: ([], [], [])].p.append(pa.values[t])
                            subsets[n]!.q.append(pb.values[t])
                            subsets[n]!.y.append(labels.values[t])
                        }
                    }
                }
                for name in ["all", "corrupted", "clean", "high RE", "low RE"] {
                    guard let s = subsets[name], s.y.count > 1 else { continue }
                    rows.append(RobustnessRow(emotion: emotion, partition: partition.rawValue, subset: name, frames: s.y.count,
                                              withRE: concordanceCorrelation(s.p, s.y),
                                              withoutRE: concordanceCorrelation(s.q, s.y)))
                }
            }
        }
        try JSONFiles.write(rows, to: context.run.appendingPathComponent("robustness.json"))
        return rows
    }

    static func percentile(_ values: [Float], _ q: Double) -> Float {
        let sorted = values.filter { !$0.isNaN }.sorted()
        guard !sorted.isEmpty else { return .infinity }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]
    }
}
