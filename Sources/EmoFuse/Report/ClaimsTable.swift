import Foundation

extension Report {
    /// The claims section's body: the rule (``Claim/rule``), then per claim a row with its overall
    /// verdict and a row (↳) per emotion and partition with that finding's verdict and reason, then
    /// each claim's paired differences.
    static func claimsTable(_ claims: [Claim], seeds: Int) -> String {
        var md = Claim.rule + " Here: \(seeds) seed\(seeds == 1 ? "" : "s")"
            + (seeds == 1 ? " (one seed: an interval covers subjects only, not seed-to-seed variation)" : "") + ".\n\n"
        md += "| claim | emotion | partition | verdict | why |\n|---|---|---|---|---|\n"
        for c in claims {
            let scope = c.findings.isEmpty ? "– | –" : "all | all"
            md += "| \(c.statement) | \(scope) | **\(c.verdict.rawValue)** | \(c.reason) |\n"
            for f in c.findings {
                md += "| ↳ | \(f.emotion.isEmpty ? "–" : f.emotion) | \(f.partition) | \(f.verdict.rawValue) | \(f.reason) |\n"
            }
        }
        for c in claims where !c.findings.isEmpty {
            md += "\n**\(c.statement)** (\(c.verdict.rawValue)):\n\n| comparison | emotion | partition | difference | interval |\n|---|---|---|---|---|\n"
            for f in c.findings {
                for x in f.comparisons {
                    let side = x.difference.sign > 0 ? "above 0" : x.difference.sign < 0 ? "below 0" : "contains 0"
                    md += "| \(x.label) | \(f.emotion.isEmpty ? "–" : f.emotion) | \(x.partition) | \(x.difference.signedText) | \(side) |\n"
                }
            }
        }
        return md
    }
}
