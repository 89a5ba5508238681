import Foundation

/// A transform of an auto-encoder's per-step reconstruction error (RE), written beside it as
/// `re-<set>-<transform>` (``ModelName/transformedRE(_:_:)``) when the configuration's
/// `reTransforms` names it, to test whether RE's effect is about frames or about people.
///
/// Part of the gap between train and devel/test RE is between people: within one subject the RE
/// of a hard frame stands out, across subjects the level differs. The subject transforms remove
/// each recording's own level, so they read the whole recording and cannot run live. A global
/// z-score is not offered: every model already z-scores its inputs with train statistics, so it
/// would change nothing.
public enum RETransform: String, Codable, CaseIterable, Sendable {
    /// `ln(RE + 1e-6)`: compresses the long right tail of RE (corrupted or unseen frames).
    case log
    /// `RE / median(RE of this recording)`: 1 is the subject's typical frame.
    case subjectMedian = "subject-median"
    /// `(RE − mean) / sd` over this recording: the frame's RE in the subject's own units.
    case subjectZ = "subject-z"

    /// Floor of a recording's median or standard deviation (a recording whose RE is constant, e.g.
    /// all frames missing, maps to finite values).
    static let floor: Float = 1e-6

    /// The transformed RE of one recording; non-finite steps stay as they are and are left out of
    /// the recording's statistics.
    public func apply(_ re: [Float]) -> [Float] {
        let finite = re.filter(\.isFinite)
        switch self {
        case .log:
            return re.map { $0.isFinite ? Float(Foundation.log(Double(max($0, 0)) + 1e-6)) : $0 }
        case .subjectMedian:
            guard !finite.isEmpty else { return re }
            let sorted = finite.sorted(), n = sorted.count
            let median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
            let scale = max(median, Self.floor)
            return re.map { $0.isFinite ? $0 / scale : $0 }
        case .subjectZ:
            guard !finite.isEmpty else { return re }
            let mean = finite.reduce(0.0) { $0 + Double($1) } / Double(finite.count)
            let variance = finite.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(finite.count)
            let sd = max(Float(variance.squareRoot()), Self.floor)
            return re.map { $0.isFinite ? Float((Double($0) - mean) / Double(sd)) : $0 }
        }
    }

    /// Parses `log,subject-median`, naming the allowed values on error.
    public static func parseList(_ text: String) throws -> [RETransform] {
        try text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map { name in
            guard let t = RETransform(rawValue: name) else {
                throw ConfigurationError(file: "the command line", message: "unknown RE transform '\(name)' (allowed: \(allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return t
        }
    }
}
