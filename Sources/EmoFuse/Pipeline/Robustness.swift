import Foundation

/// One line of the robustness comparison: fusion with and without reconstruction errors on a
/// subset of frames.
public struct RobustnessRow: Codable, Sendable, Equatable {
    public var emotion: String
    public var partition: String
    /// `all`, `corrupted`/`clean` (the synthetic generator's recorded corruption of any fused
    /// set), or `high RE`/`low RE` (any fused set's RE above its 90th percentile over the partition, or none).
    public var subset: String
    /// Labelled frames of the subset (of the first seed's predictions).
    public var frames: Int
    /// Mean CCC over seeds.
    public var withRE: Double
    public var withoutRE: Double
    /// The compared models (replicate-free names).
    public var withREModel: String
    public var withoutREModel: String
    public var withREEstimate: Estimate?
    public var withoutREEstimate: Estimate?
    /// With RE − without RE, paired over seeds and subjects.
    public var difference: Estimate?
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
            // With out-of-fold REs: the same fusion fed the in-sample REs, to compare the variants.
            if config.reOutOfFold > 1 {
                var inSample = PaperSystem.fusionModel(config, emotion: emotion, withRE: true,
                                                       name: ModelName.fusionInSampleRE(sets, outOfFold: oof, emotion),
                                                       purpose: "RE variants: the system's fusion with in-sample REs")
                inSample.inputs = inSample.inputs.map { ModelName.isReconstructionError($0) ? ModelName.inSample($0) : $0 }
                try plan.add(inSample)
            }
            // With RE transforms: the same fusion fed each transformed RE.
            for t in config.reTransforms {
                var twin = PaperSystem.fusionModel(config, emotion: emotion, withRE: true,
                                                   name: ModelName.fusionTransformedRE(sets, t, outOfFold: oof, emotion),
                                                   purpose: "RE variants: the system's fusion with \(t.rawValue) RE")
                twin.inputs = twin.inputs.map { ModelName.isReconstructionError($0) ? ModelName.transformedRE($0, t) : $0 }
                try plan.add(twin)
            }
        }
    }

    /// Scores each pair on all frames, corrupted vs clean frames (where `corrupted` says, by default
    /// the synthetic generator's record) and high- vs low-RE frames, for devel and test (where
    /// labelled): the mean over seeds, and bootstrap intervals of each model and of the paired
    /// difference. Writes `robustness.json` into `context.run` unless `write` is false.
    public static func analyse(_ pairs: [RobustnessPair], plan: Plan, context: RunContext,
                               corrupted: ((_ sets: [String], _ id: String, _ timestamp: Int64) -> Bool)? = nil,
                               dataset: MuseDataset? = nil, write: Bool = true) throws -> [RobustnessRow] {
        let scorer = try Scorer(context: context, dataset: dataset)
        let map = CorruptionMap.load(dataRoot: context.data)
        let isCorrupted = corrupted ?? (map.isEmpty ? nil : { map.isCorrupted(sets: $0, id: $1, timestamp: $2) })
        let dataset = scorer.dataset
        var rows: [RobustnessRow] = []
        for pair in pairs {
            let emotion = pair.emotion
            let a = plan.replicates(pair.withRE), b = plan.replicates(pair.withoutRE)
            for partition in [Partition.devel, .test] where try scorer.hasLabels(emotion, partition) {
                // Per replicate: its REs and their 90th percentiles over the scored partition itself
                // (REs are unsupervised, and the auto-encoders fit train better than unseen subjects).
                let re = try a.indices.map { r in
                    try pair.sets.map { set -> (FeatureSet, Float) in
                        let names = plan.replicates(ModelName.autoencoder(set))
                        let fs = try dataset.featureSet(names[min(r, names.count - 1)])
                        let values = dataset.subjects(in: partition).flatMap { fs.sequences[$0.id]?.values ?? [] }
                        return (fs, percentile(values, 0.9))
                    }
                }
                func high(_ r: Int, _ s: Subject, _ t: Int) -> Bool {
                    re[r].contains { fs, th in (fs.sequences[s.id]?.values).map { t < $0.count && $0[t] > th } ?? false }
                }
                var subsets: [(String, (Int) -> ((Subject, Int64, Int) -> Bool)?)] = [("all", { _ in nil })]
                if let isCorrupted {
                    subsets.append(("corrupted", { _ in { s, ts, _ in isCorrupted(pair.sets, s.id, ts) } }))
                    subsets.append(("clean", { _ in { s, ts, _ in !isCorrupted(pair.sets, s.id, ts) } }))
                }
                subsets.append(("high RE", { r in { s, _, t in high(r, s, t) } }))
                subsets.append(("low RE", { r in { s, _, t in !high(r, s, t) } }))
                for (name, keep) in subsets {
                    let tag = "\(name)|\(pair.sets.joined(separator: "+"))|\(corrupted == nil ? "manifest" : "given")"
                    let ga = try a.indices.map { try scorer.sums(a[$0], emotion: emotion, partition: partition, subset: tag, keep: keep($0)) }
                    let gb = try b.indices.map { try scorer.sums(b[$0], emotion: emotion, partition: partition, subset: tag, keep: keep($0)) }
                    let frames = Int(ga[0].reduce(0) { $0 + $1.n })
                    guard frames > 1 else { continue }
                    let ea = Bootstrap.estimate(ga), eb = Bootstrap.estimate(gb)
                    let d = Bootstrap.estimate(groups: [ga, gb]) { Bootstrap.mean($0[0]) - Bootstrap.mean($0[1]) }
                    rows.append(RobustnessRow(emotion: emotion, partition: partition.rawValue, subset: name, frames: frames,
                                              withRE: ea.mean, withoutRE: eb.mean, withREModel: pair.withRE,
                                              withoutREModel: pair.withoutRE, withREEstimate: ea, withoutREEstimate: eb,
                                              difference: d))
                }
            }
        }
        if write { try JSONFiles.write(rows, to: context.run.appendingPathComponent("robustness.json")) }
        return rows
    }

    static func percentile(_ values: [Float], _ q: Double) -> Float {
        let sorted = values.filter { !$0.isNaN }.sorted()
        guard !sorted.isEmpty else { return .infinity }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]
    }
}
