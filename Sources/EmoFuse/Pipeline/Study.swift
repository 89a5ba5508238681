import Foundation

/// A paired comparison of two models over the same seeds and subjects: `a − b`.
public struct Comparison: Codable, Sendable, Equatable {
    public var label: String
    public var partition: String
    /// Replicate-free model names (see ``Plan/replicates(_:)``).
    public var a: String
    public var b: String
    public var difference: Estimate
    /// The emotion both models predict (empty when the comparison is not of one emotion).
    public var emotion: String = ""
}

/// One claim of the paper and what these data say about it: a verdict per emotion and partition
/// (a ``Finding``), and an overall verdict that is their common verdict, or `mixed` when they differ.
public struct Claim: Codable, Sendable, Equatable {
    public enum Verdict: String, Codable, Sendable {
        case supported, contradicted, undecided
        /// Intervals on both sides of zero: the emotions or partitions (or, within one, the
        /// comparisons) disagree.
        case mixed
        case notMeasured = "not measured"
    }

    /// What the paired differences of one emotion on one partition say.
    public struct Finding: Codable, Sendable, Equatable {
        public var emotion: String
        public var partition: String
        public var verdict: Verdict
        /// The rule applied to this finding's comparisons, in numbers.
        public var reason: String
        public var comparisons: [Comparison]
    }

    public var statement: String
    /// The overall verdict: the findings' verdict when they all agree, `mixed` when they differ,
    /// `not measured` when there are none.
    public var verdict: Verdict
    /// Why this overall verdict (which findings say what, or what would measure the claim).
    public var reason: String
    /// One per emotion and partition measured (test only where it is labelled), emotions in the
    /// order first compared, devel before test.
    public var findings: [Finding]

    /// Every comparison behind the claim, finding by finding.
    public var comparisons: [Comparison] { findings.flatMap(\.comparisons) }

    /// The rule, in words (the report quotes it); ``judge(_:)`` applies it.
    public static let rule = "Each claim is judged per emotion and partition (test only where its labels are available) by its "
        + "paired differences there (same seeds, same bootstrap resamples of subjects): **supported** when at least one "
        + "difference's 95% interval lies above 0 and none below, **contradicted** in the mirror case, **mixed** when "
        + "intervals lie on both sides of 0, otherwise (every interval contains 0) **undecided** at this many seeds. "
        + "A claim's overall verdict is that of its findings when they all agree, and **mixed** when they differ."

    /// The verdict of a set of paired differences (one emotion on one partition), as ``rule`` says.
    static func judge(_ comparisons: [Comparison]) -> (verdict: Verdict, reason: String) {
        let n = comparisons.count
        let up = comparisons.filter { $0.difference.sign > 0 }.count
        let down = comparisons.filter { $0.difference.sign < 0 }.count
        if n == 1 {
            return up > 0 ? (.supported, "its interval lies above 0") : down > 0 ? (.contradicted, "its interval lies below 0")
                : (.undecided, "its interval contains 0")
        }
        switch (up, down) {
        case (0, 0): return (.undecided, "all \(n) intervals contain 0")
        case (_, 0): return (.supported, "\(up) of \(n) intervals above 0, none below")
        case (0, _): return (.contradicted, "\(down) of \(n) intervals below 0, none above")
        default: return (.mixed, "\(up) of \(n) intervals above 0, \(down) below")
        }
    }

    /// Groups `comparisons` by emotion and partition and judges each group; `missing` says what
    /// would measure the claim when there are none.
    init(_ statement: String, _ comparisons: [Comparison], missing: String) {
        var emotions: [String] = [], partitions = ["devel", "test"]
        for c in comparisons {
            if !emotions.contains(c.emotion) { emotions.append(c.emotion) }
            if !partitions.contains(c.partition) { partitions.append(c.partition) }
        }
        var findings: [Finding] = []
        for emotion in emotions {
            for partition in partitions {
                let group = comparisons.filter { $0.emotion == emotion && $0.partition == partition }
                guard !group.isEmpty else { continue }
                let (verdict, reason) = Self.judge(group)
                findings.append(Finding(emotion: emotion, partition: partition, verdict: verdict, reason: reason, comparisons: group))
            }
        }
        self.statement = statement
        self.findings = findings
        (verdict, reason) = Self.overall(findings, missing: missing)
    }

    /// The findings' common verdict, or `mixed` (saying which finding says what) when they differ.
    private static func overall(_ findings: [Finding], missing: String) -> (Verdict, String) {
        func place(_ f: Finding) -> String { f.emotion.isEmpty ? f.partition : "\(f.emotion) \(f.partition)" }
        guard let first = findings.first else { return (.notMeasured, missing) }
        if findings.allSatisfy({ $0.verdict == first.verdict }) {
            return (first.verdict, findings.count == 1 ? "\(place(first)): \(first.reason)"
                    : "\(first.verdict.rawValue) on each of its \(findings.count) findings (\(findings.map(place).joined(separator: ", ")))")
        }
        let order: [Verdict] = [.supported, .contradicted, .mixed, .undecided]
        return (.mixed, "the findings differ: " + order.compactMap { v in
            let at = findings.filter { $0.verdict == v }.map(place)
            return at.isEmpty ? nil : "\(v.rawValue) for \(at.joined(separator: ", "))"
        }.joined(separator: "; "))
    }
}

/// The study's statistics, from the prediction files the plan's models wrote: tables with mean ±
/// sd over seeds and bootstrap intervals over subjects, paired comparisons and the paper's claims.
public enum Study {
    /// The estimate of model `name` (replicate-free) on `partition`, or nil when it was not run or
    /// the partition has no labels.
    static func estimate(_ name: String, _ partition: Partition, plan: Plan, scorer: Scorer) throws -> Estimate? {
        let names = plan.replicates(name)
        guard let emotion = plan.model(names[0])?.emotion, try scorer.hasLabels(emotion, partition) else { return nil }
        return Bootstrap.estimate(try names.map { try scorer.sums($0, emotion: emotion, partition: partition) })
    }

    /// `a − b` over the same seeds and subjects (nil where either is unavailable).
    static func compare(_ a: String, _ b: String, label: String, _ partition: Partition, plan: Plan,
                        scorer: Scorer) throws -> Comparison? {
        let an = plan.replicates(a), bn = plan.replicates(b)
        guard let emotion = plan.model(an[0])?.emotion, plan.model(bn[0]) != nil,
              try scorer.hasLabels(emotion, partition) else { return nil }
        let ga = try an.map { try scorer.sums($0, emotion: emotion, partition: partition) }
        let gb = try bn.map { try scorer.sums($0, emotion: emotion, partition: partition) }
        let d = Bootstrap.estimate(groups: [ga, gb]) { Bootstrap.mean($0[0]) - Bootstrap.mean($0[1]) }
        return Comparison(label: label, partition: partition.rawValue, a: a, b: b, difference: d, emotion: emotion)
    }

    /// The experiment tables, each cell the devel estimate of its model.
    static func tables(_ plans: [TablePlan], plan: Plan, scorer: Scorer) throws -> ExperimentResults {
        ExperimentResults(tables: try plans.map { t in
            ExperimentTable(id: t.id, title: t.title, columns: t.columns, rows: try t.rows.map { row in
                let estimates = try row.models.map { try $0.flatMap { try estimate($0, .devel, plan: plan, scorer: scorer) } }
                return .init(label: row.label, values: estimates.map { $0?.mean }, paper: row.paper, estimates: estimates)
            })
        })
    }

    /// The RE variants of the fusion model, paired: with out-of-fold REs, out-of-fold − in-sample
    /// RE and each − no RE; with RE transforms, each transformed RE − raw RE and − no RE.
    static func reVariants(plan: Plan, config: RunConfiguration, scorer: Scorer) throws -> [Comparison] {
        let raw = config.reOutOfFold > 1 ? "out-of-fold RE" : "RE"
        var out: [Comparison] = []
        for pair in plan.robustness {
            let oof = config.fusion.outOfFold > 1
            var pairs: [(String, String, String)] = []
            let inSample = ModelName.fusionInSampleRE(pair.sets, outOfFold: oof, pair.emotion)
            if config.reOutOfFold > 1, plan.model(plan.replicates(inSample)[0]) != nil {
                pairs += [(pair.withRE, inSample, "out-of-fold RE − in-sample RE"),
                          (pair.withRE, pair.withoutRE, "out-of-fold RE − no RE"),
                          (inSample, pair.withoutRE, "in-sample RE − no RE")]
            }
            for t in config.reTransforms {
                let twin = ModelName.fusionTransformedRE(pair.sets, t, outOfFold: oof, pair.emotion)
                guard plan.model(plan.replicates(twin)[0]) != nil else { continue }
                if pairs.isEmpty { pairs.append((pair.withRE, pair.withoutRE, "\(raw) − no RE")) }
                pairs += [(twin, pair.withRE, "\(t.rawValue) RE − \(raw)"), (twin, pair.withoutRE, "\(t.rawValue) RE − no RE")]
            }
            for p in [Partition.devel, .test] {
                for (a, b, label) in pairs {
                    if let c = try compare(a, b, label: "\(label), \(pair.emotion)", p, plan: plan, scorer: scorer) { out.append(c) }
                }
            }
        }
        return out
    }

    /// The paper's claims, each judged by paired differences on devel (and test where labelled).
    static func claims(plan: Plan, config: RunConfiguration, robustness: [RobustnessRow], corruption: [CorruptionResult] = [],
                       scorer: Scorer) throws -> [Claim] {
        func pairs(_ tableIDs: [String], _ columns: [(Int, Int)]) throws -> [Comparison] {
            var out: [Comparison] = []
            for t in plan.tables where tableIDs.contains(t.id) {
                for row in t.rows {
                    for (i, j) in columns {
                        guard let a = row.models[i], let b = row.models[j] else { continue }
                        let emotion = plan.model(plan.replicates(a)[0])?.emotion ?? ""
                        if let c = try compare(a, b, label: "\(t.columns[i]) − \(t.columns[j]), \(row.label), \(emotion)",
                                               .devel, plan: plan, scorer: scorer) { out.append(c) }
                    }
                }
            }
            return out
        }
        let experiments = "run with experiments (`--experiments`) to measure it"
        var claims: [Claim] = []
        claims.append(Claim("Bidirectional cells beat unidirectional ones (Tables 1–2)",
                            try pairs(["1", "2"], [(1, 0), (3, 2)]), missing: experiments))
        claims.append(Claim("The CCC loss beats MSE and L1 (Tables 3–4)", try pairs(["3", "4"], [(2, 0), (2, 1)]), missing: experiments))
        claims.append(Claim("RE improves unimodal regressors (Tables 5–6)", try pairs(["5", "6"], [(1, 0)]), missing: experiments))

        // Fusion beats the best unimodal regressor among the fused sets (best by mean devel CCC).
        var fusionVsBest: [Comparison] = []
        let labelled = [Partition.devel, .test]
        for emotion in config.emotions {
            let fusion = ModelName.fusion(emotion)
            let unimodal = config.fusionSets.sets.map { ModelName.regressor([$0], emotion) }.filter { plan.model(plan.replicates($0)[0]) != nil }
            let scored = try unimodal.compactMap { u in try estimate(u, .devel, plan: plan, scorer: scorer).map { (u, $0.mean) } }
            guard let best = scored.max(by: { $0.1 < $1.1 })?.0 else { continue }
            for p in labelled {
                if let c = try compare(fusion, best, label: "fusion − \(best), \(emotion)", p, plan: plan, scorer: scorer) {
                    fusionVsBest.append(c)
                }
            }
        }
        claims.append(Claim("Late fusion beats the best unimodal regressor", fusionVsBest, missing: "no fusion model was run"))

        var reFusion: [Comparison] = []
        for pair in plan.robustness {
            for p in labelled {
                if let c = try compare(pair.withRE, pair.withoutRE, label: "with RE − without RE, \(pair.emotion)", p,
                                       plan: plan, scorer: scorer) { reFusion.append(c) }
            }
        }
        claims.append(Claim("RE improves the fusion model", reFusion, missing: "robustness is off: no fusion twin without RE was run"))

        let recorded = robustness.map { ("recorded corruption", $0) } + corruption.flatMap { c in c.rows.map { (c.spec.tag, $0) } }
        let corrupted = recorded.filter { $0.1.subset == "corrupted" }.compactMap { source, row -> Comparison? in
            row.difference.map { Comparison(label: "with RE − without RE on corrupted frames (\(source)), \(row.emotion)", partition: row.partition,
                                             a: row.withREModel, b: row.withoutREModel, difference: $0, emotion: row.emotion) }
        }
        claims.append(Claim("RE makes the fusion model robust where a modality is corrupted (the paper's open question)", corrupted,
                            missing: "these data record no corruption: run `emofuse robustness --run R --corrupt …` to corrupt devel/test inputs"))
        return claims
    }
}
