import SeqNet

/// What can go wrong when loading or running a trained system with the library API
/// (``LiveSystem``, ``LiveStream``). Every case names the file or the feature set concerned.
public enum LiveError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A checkpoint could not be read or is not an EmoFuse model checkpoint.
    case checkpoint(file: String, message: String)
    /// A model of the chain is bidirectional: it reads future frames and cannot stream.
    case notCausal(model: String, file: String)
    /// The widths of raw feature sets could not be told from the checkpoints (e.g. an
    /// early-fusion model over two raw sets without auto-encoders).
    case ambiguousWidths(model: String, sets: [String])
    /// Two models disagree on a feature set's width.
    case conflictingWidth(set: String, widths: [Int])
    /// The recording or frame lacks a feature set the system needs.
    case missingFeatureSet(String)
    /// A feature set the system does not use.
    case unknownFeatureSet(String, known: [String])
    /// A feature set has the wrong number of columns.
    case wrongWidth(set: String, expected: Int, got: Int)
    /// The feature sets of a recording have different numbers of rows.
    case rowCountMismatch(set: String, rows: Int, expected: Int)
    /// A data folder, subject or file could not be read.
    case data(String)
    /// The checkpoints form a loop (a model is its own input).
    case cycle([String])

    public var description: String {
        switch self {
        case .checkpoint(let file, let message): return "\(file): \(message)"
        case .notCausal(let model, let file):
            return "\(file): model '\(model)' is bidirectional and cannot run live (it reads future frames); train the system with \"causal\": true"
        case .ambiguousWidths(let model, let sets):
            return "model '\(model)': cannot tell the widths of \(sets.joined(separator: ", ")) from the checkpoints"
        case .conflictingWidth(let set, let widths):
            return "feature set '\(set)': the checkpoints disagree on its width (\(widths.map(String.init).joined(separator: " vs ")))"
        case .missingFeatureSet(let set): return "feature set '\(set)' is needed but was not given"
        case .unknownFeatureSet(let set, let known):
            return "feature set '\(set)' is not an input of this system (inputs: \(known.joined(separator: ", ")))"
        case .wrongWidth(let set, let expected, let got):
            return "feature set '\(set)': \(got) columns, the system expects \(expected)"
        case .rowCountMismatch(let set, let rows, let expected):
            return "feature set '\(set)': \(rows) rows, other sets have \(expected)"
        case .data(let message): return message
        case .cycle(let names): return "the checkpoints form a loop: \(names.joined(separator: " → "))"
        }
    }
}
