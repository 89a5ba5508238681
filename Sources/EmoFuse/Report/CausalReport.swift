import Foundation

extension Report {
    /// "What causality costs": the causal system's models against the same models trained
    /// bidirectional on the same data (global CCC, paired differences with bootstrap intervals).
    static func causalCostSection(_ study: ExperimentResults) -> String {
        guard !study.causalCost.isEmpty else { return "" }
        var md = "\n## What causality costs\n\n"
        md += "This system is causal (`causal`: every model unidirectional, auto-encoders included, so a prediction at "
            + "frame t reads frames ≤ t only, as `emofuse stream` needs). The same system was trained bidirectional on "
            + "the same data, sets, settings and seeds (`exp-bidir-…`, the paper's offline system) for comparison. A negative "
            + "difference is what live prediction costs; an interval containing 0 means these data cannot tell the two apart.\n\n"
        md += "| model | partition | causal | bidirectional | causal − bidirectional |\n|---|---|---|---|---|\n"
        for c in study.causalCost {
            let causal = study.models[c.a]?[c.partition]?.text ?? "–"
            let offline = study.models[c.b]?[c.partition]?.text ?? "–"
            md += "| \(c.a) | \(c.partition) | \(causal) | \(offline) | \(c.difference.signedText) |\n"
        }
        return md
    }
}
