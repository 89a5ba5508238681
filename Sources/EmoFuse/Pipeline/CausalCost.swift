import Foundation

extension Study {
    /// What causality costs: each of `models` (the causal system's fusion and unimodal regressors,
    /// replicate-free names) minus its bidirectional reference (`exp-bidir-<name>`), paired over the
    /// same seeds and bootstrap resamples of subjects, on devel and test where labelled. Empty when
    /// the plan has no reference (not causal, or `causalReference` off).
    static func causalCost(_ models: [String], plan: Plan, scorer: Scorer) throws -> [Comparison] {
        var out: [Comparison] = []
        for name in models {
            let reference = ModelName.bidirectionalReference(name)
            guard plan.model(plan.replicates(reference)[0]) != nil else { continue }
            for partition in [Partition.devel, .test] {
                if let c = try compare(name, reference, label: "causal − bidirectional, \(name)", partition,
                                       plan: plan, scorer: scorer) { out.append(c) }
            }
        }
        return out
    }
}
