import ArgumentParser
import EmoFuse
import Foundation

/// `emofuse autoencode`: stage 1.
struct AutoencodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autoencode",
        abstract: "Train one auto-encoder per feature set and write its per-step reconstruction error as `re-<set>`.",
        discussion: "An auto-encoder trains once, with the first value of each grid option (--cells, --lr, --dropout, --seeds).")

    @OptionGroup var data: DataOptions
    @OptionGroup var training: TrainingFlags
    @Option(help: "Comma-separated feature sets.") var features: String
    @Option(help: "Cross-fit k auto-encoders by train subject (k ≥ 2): re-<set> is then out-of-fold, the in-sample RE re-<set>-insample.") var folds: Int = 0

    func validate() throws {
        guard folds == 0 || folds >= 2 else { throw ValidationError("--folds must be 0 (none) or at least 2") }
    }

    func run() throws {
        let context = try data.context(), settings = try training.settings()
        for set in splitList(features) {
            let o = try Stages.autoencode(set: set, folds: folds, settings: settings, context: context)
            print("\(o.name): devel reconstruction MSE \(Report.fmt(o.develMetric)) → \(data.run)/feature_segments/\(o.name)")
        }
    }
}

/// `emofuse train`: stage 2.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a unimodal (or early-fusion) regressor and write its predictions as a feature set.")

    @OptionGroup var data: DataOptions
    @OptionGroup var training: TrainingFlags
    @Option(help: "Comma-separated feature sets (columns concatenated in this order).") var features: String
    @Option(help: "Comma-separated extra sets, e.g. re-egemaps.") var with: String = ""
    @Option(help: "The emotion (a folder under label_segments).") var emotion: String
    @Option(help: "Output feature-set name (default pred-<features>-<emotion>).") var name: String?
    @Option(help: "Also write <name>-oof: k-fold out-of-fold predictions for the train partition (k ≥ 2).") var folds: Int = 0

    func validate() throws {
        guard folds == 0 || folds >= 2 else { throw ValidationError("--folds must be 0 (none) or at least 2") }
    }

    func run() throws {
        let o = try Stages.regress(features: splitList(features) + splitList(with), emotion: emotion, name: name,
                                   folds: folds, settings: try training.settings(), context: try data.context())
        print("\(o.name): \(o.chosen.label); CCC " + o.scores.keys.sorted().map { "\($0) \(Report.fmt(o.scores[$0]!))" }.joined(separator: ", "))
    }
}

/// `emofuse fuse`: stage 3.
struct FuseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuse",
        abstract: "Train the late-fusion model over unimodal predictions (+ REs); write its predictions and the test submission.")

    @OptionGroup var data: DataOptions
    @OptionGroup var training: TrainingFlags
    @Option(help: "Comma-separated prediction sets, e.g. pred-egemaps-arousal,pred-vggface-arousal.") var inputs: String
    @Option(help: "Comma-separated extra sets, e.g. re-egemaps,re-vggface.") var with: String = ""
    @Option(help: "The emotion.") var emotion: String
    @Option(help: "Train on out-of-fold predictions (<input>-oof sets, written by `train --folds K`); give K.") var folds: Int = 0
    @Option(help: "Output feature-set name (default pred-fusion-<emotion>).") var name: String?

    func run() throws {
        let o = try Stages.fuse(predictions: splitList(inputs), with: splitList(with), emotion: emotion,
                                outOfFold: folds > 1, name: name, submission: true,
                                settings: try training.settings(), context: try data.context())
        print("\(o.name): \(o.chosen.label); CCC " + o.scores.keys.sorted().map { "\($0) \(Report.fmt(o.scores[$0]!))" }.joined(separator: ", "))
        print("submission: \(data.run)/submission/label_segments/\(emotion)/")
    }
}
