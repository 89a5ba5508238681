import Foundation

/// The three stages of the paper, one model at a time (the `autoencode`, `train` and `fuse`
/// commands): each builds a one-model plan and runs it, so a finished, current model is reused.
public enum Stages {
    /// Stage 1: trains an auto-encoder on feature set `set` and writes `re-<set>`, its per-step
    /// reconstruction error, for every subject of every partition.
    @discardableResult
    /// With `folds > 1`, `re-<set>` is out-of-fold (see ``RunConfiguration/reOutOfFold``) and the
    /// in-sample RE is `re-<set>-insample`.
    public static func autoencode(set: String, folds: Int = 0, settings: ModelSettings = ModelSettings(),
                                  context: RunContext) throws -> ModelOutcome {
        try run(PlannedModel(name: ModelName.autoencoder(set), role: .autoencoder, inputs: [set], emotion: nil,
                             settings: settings, folds: folds, purpose: "autoencode"), context: context)
    }

    /// Stage 2: a regressor over `features` (one set, optionally with its `re-` set, or several for
    /// early fusion) for `emotion`; writes `name` (default ``ModelName/regressor(_:_:)``).
    /// With `folds > 1` it also writes `<name>-oof`: train-partition rows predicted by models that
    /// did not see them (k-fold over train subjects), devel/test rows as in `<name>`.
    @discardableResult
    public static func regress(features: [String], emotion: String, name: String? = nil, folds: Int = 0,
                               settings: ModelSettings = ModelSettings(), context: RunContext) throws -> ModelOutcome {
        try run(PlannedModel(name: name ?? ModelName.regressor(features, emotion), role: .regressor, inputs: features,
                             emotion: emotion, settings: settings, folds: folds, purpose: "train"), context: context)
    }

    /// Stage 3: the late-fusion model over unimodal prediction sets `predictions` (plus `with`, e.g.
    /// their `re-` sets) for `emotion`. With `outOfFold`, training rows come from the `<pred>-oof`
    /// sets. Writes `name` (default `pred-fusion-<emotion>`) and, with `submission`, the test
    /// partition's predictions under `<run>/submission/label_segments/<emotion>/`.
    @discardableResult
    public static func fuse(predictions: [String], with extra: [String] = [], emotion: String,
                            outOfFold: Bool = false, name: String? = nil, submission: Bool = false,
                            settings: ModelSettings = ModelSettings(), context: RunContext) throws -> ModelOutcome {
        let inputs = (outOfFold ? predictions.map(ModelName.outOfFold) : predictions) + extra
        return try run(PlannedModel(name: name ?? ModelName.fusion(emotion), role: .fusion, inputs: inputs,
                                    emotion: emotion, settings: settings, submission: submission, purpose: "fuse"),
                       context: context)
    }

    static func run(_ model: PlannedModel, context: RunContext) throws -> ModelOutcome {
        try model.settings.validate()
        var plan = Plan()
        try plan.add(model)
        let context = try context.resolvingTestKey(nil)
        return try Runner(plan: plan, context: context).run()[model.name]!
    }
}
