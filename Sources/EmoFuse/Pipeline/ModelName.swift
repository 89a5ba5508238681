/// Every model name of the system, built here and nowhere else. A model's name is also the name of
/// the feature set it writes into the run folder (and of its checkpoint, log and marker).
public enum ModelName {
    /// The auto-encoder of `set`; writes its per-step reconstruction error: `re-<set>`.
    public static func autoencoder(_ set: String) -> String { "re-\(set)" }

    /// The regressor over `sets` (one set, or several for early fusion): `pred-<a+b>-<emotion>`.
    /// Reconstruction-error inputs are not part of the name (see ``Experiments`` for ablations).
    public static func regressor(_ sets: [String], _ emotion: String) -> String {
        "pred-\(sets.filter { !isReconstructionError($0) }.joined(separator: "+"))-\(emotion)"
    }

    /// The system's late-fusion model: `pred-fusion-<emotion>`.
    public static func fusion(_ emotion: String) -> String { "pred-fusion-\(emotion)" }

    /// A fusion variant of the experiments and the robustness comparison:
    /// `exp-fusion[-re]-<a+b>[-oof]-<emotion>`.
    public static func fusionVariant(_ sets: [String], withRE: Bool, outOfFold: Bool, _ emotion: String) -> String {
        "exp-fusion\(withRE ? "-re" : "")-\(sets.joined(separator: "+"))\(outOfFold ? "-oof" : "")-\(emotion)"
    }

    /// The fusion twin fed the in-sample REs (`re-<set>-insample`) instead of the out-of-fold ones,
    /// to compare the two RE variants: `exp-fusion-re-insample-<a+b>[-oof]-<emotion>`.
    public static func fusionInSampleRE(_ sets: [String], outOfFold: Bool, _ emotion: String) -> String {
        "exp-fusion-re-insample-\(sets.joined(separator: "+"))\(outOfFold ? "-oof" : "")-\(emotion)"
    }

    /// An ablation regressor of Tables 1–6: `exp-<cell>-<loss>[-re]-<set>-<emotion>`.
    public static func ablation(cell: String, loss: String, withRE: Bool, _ set: String, _ emotion: String) -> String {
        "exp-\(cell.lowercased())-\(loss)\(withRE ? "-re" : "")-\(set)-\(emotion)"
    }

    /// The bidirectional twin of a causal system's model, trained to measure what causality costs:
    /// `exp-bidir-<name>` (its derived sets, `-oof` and `-insample`, follow it).
    public static func bidirectionalReference(_ name: String) -> String { "exp-bidir-\(name)" }

    /// The out-of-fold twin a regressor with folds writes beside its own set: `<name>-oof`.
    public static func outOfFold(_ name: String) -> String { "\(name)\(oofSuffix)" }

    /// The in-sample twin an auto-encoder with folds writes beside its out-of-fold RE:
    /// `re-<set>-insample` (RE of the auto-encoder trained on every train subject).
    public static func inSample(_ name: String) -> String { "\(name)\(inSampleSuffix)" }

    /// A transform of auto-encoder `name`'s RE, written beside it: `re-<set>-<transform>` (e.g.
    /// `re-egemaps-log`); see ``RETransform``.
    public static func transformedRE(_ name: String, _ transform: RETransform) -> String { "\(name)-\(transform.rawValue)" }

    /// The fusion twin fed transformed REs: `exp-fusion-re-<transform>-<a+b>[-oof]-<emotion>`.
    public static func fusionTransformedRE(_ sets: [String], _ transform: RETransform, outOfFold: Bool, _ emotion: String) -> String {
        "exp-fusion-re-\(transform.rawValue)-\(sets.joined(separator: "+"))\(outOfFold ? "-oof" : "")-\(emotion)"
    }

    /// The model that writes feature set `set` (itself, or the model of an out-of-fold, in-sample
    /// or transformed-RE set).
    public static func producer(of set: String) -> String {
        for suffix in [oofSuffix, inSampleSuffix] where set.hasSuffix(suffix) { return String(set.dropLast(suffix.count)) }
        if isReconstructionError(set) {
            for t in RETransform.allCases where set.hasSuffix("-\(t.rawValue)") { return String(set.dropLast(t.rawValue.count + 1)) }
        }
        return set
    }

    /// The checkpoint file of fold `fold` of a model trained with folds (auto-encoders keep them, to
    /// recompute out-of-fold REs on new inputs): `<name>.fold<k>.safetensors`.
    public static func foldCheckpoint(_ name: String, fold: Int) -> String { "\(name).fold\(fold).safetensors" }

    /// Replicate `seed` of a model: `<name>-s<seed>` when a run repeats each model over several
    /// seeds (`grid.seeds`); a single-seed run keeps the plain names.
    public static func replicate(_ name: String, seed: UInt64, of seeds: [UInt64]) -> String {
        seeds.count > 1 ? "\(name)-s\(seed)" : name
    }

    /// Whether `set` is a reconstruction-error set (`re-…`).
    public static func isReconstructionError(_ set: String) -> Bool { set.hasPrefix("re-") }

    /// The feature set an RE set is computed from (`re-egemaps` → `egemaps`), or nil.
    public static func reconstructed(_ set: String) -> String? {
        isReconstructionError(set) ? String(producer(of: set).dropFirst(3)) : nil
    }

    static let oofSuffix = "-oof"
    static let inSampleSuffix = "-insample"
}
