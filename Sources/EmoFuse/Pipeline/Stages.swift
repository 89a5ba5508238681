import Foundation

/// The three stages of the paper, each reading and writing MuSe-layout feature sets.
public enum Stages {
    /// Stage 1: trains an auto-encoder on feature set `set` and writes `re-<set>`, its per-step
    /// reconstruction error, for every subject of every partition.
    @discardableResult
    public static func autoencode(set: String, context: RunContext) throws -> ModelOutcome {
        try ModelJob(name: "re-\(set)", role: .autoencoder, inputs: [set], emotion: nil, folds: 0)
            .run(context)
    }

    /// Stage 2: a regressor over `features` (one set, optionally with its `re-` set, or several for
    /// early fusion) for `emotion`; writes `name` (default `pred-<features…>-<emotion>`).
    /// With `folds > 1` it also writes `<name>-oof`: train-partition rows predicted by models that
    /// did not see them (k-fold over train subjects), devel/test rows as in `<name>`.
    @discardableResult
    public static func regress(features: [String], emotion: String, name: String? = nil, folds: Int = 0,
                               context: RunContext) throws -> ModelOutcome {
        let output = name ?? "pred-\(features.filter { !$0.hasPrefix("re-") }.joined(separator: "+"))-\(emotion)"
        return try ModelJob(name: output, role: .regressor, inputs: features, emotion: emotion, folds: folds)
            .run(context)
    }

    /// Stage 3: the late-fusion model over unimodal prediction sets `predictions` (plus `with`, e.g.
    /// their `re-` sets) for `emotion`. With `outOfFold`, training rows come from the `<pred>-oof`
    /// sets (see ``regress(features:emotion:name:folds:context:)``). Writes `name` (default
    /// `pred-fusion-<emotion>`) and the test partition's predictions as a challenge submission under
    /// `<run>/submission/label_segments/<emotion>/`.
    @discardableResult
    public static func fuse(predictions: [String], with extra: [String] = [], emotion: String,
                            outOfFold: Bool = false, name: String? = nil,
                            context: RunContext) throws -> ModelOutcome {
        let inputs = (outOfFold ? predictions.map { "\($0)-oof" } : predictions) + extra
        let output = name ?? "pred-fusion-\(emotion)"
        return try ModelJob(name: output, role: .fusion, inputs: inputs, emotion: emotion, folds: 0,
                            submission: true).run(context)
    }

    /// Reads `metrics/<name>.json` if the model has finished in this run folder.
    public static func finished(_ name: String, context: RunContext) -> ModelOutcome? {
        let url = context.metricsURL(name)
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(ModelOutcome.self, from: data)
    }
}
