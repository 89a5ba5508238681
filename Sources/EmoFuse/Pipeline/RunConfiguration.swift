import Foundation
import SeqNet

/// Everything `emofuse run` does, in one JSON file. Every key is optional and defaults to the
/// paper's final system on the five MuSe-Stress feature sets; unknown keys are errors.
///
/// ```json
/// {
///   "featureSets": ["egemaps", "deepspectrum", "vggface", "fau_intensity", "bert-4"],
///   "emotions": ["arousal", "valence"],
///   "withRE": true,
///   "reOutOfFold": 0,
///   "reTransforms": [],
///   "fusion": { "sets": ["egemaps", "vggface", "fau_intensity"], "withRE": true, "outOfFold": 0 },
///   "network": { "hiddenSize": 64, "layers": 4 },
///   "grid": { "cells": ["gru"], "bidirectional": [true], "learningRates": [0.001], "dropouts": [0.2], "seeds": [1] },
///   "training": { "maxEpochs": 100, "patience": 15, "batchSize": 64, "windowLength": 300, "windowHop": 50, "threads": 2 },
///   "autoencoderTraining": {},
///   "causal": false,
///   "causalReference": true,
///   "robustness": true,
///   "experiments": false
/// }
/// ```
public struct RunConfiguration: Codable, Sendable, Equatable {
    public struct Fusion: Codable, Sendable, Equatable {
        /// The feature sets whose unimodal predictions are fused. When absent: the paper's best
        /// (egemaps + vggface + fau_intensity) among `featureSets`, or all of `featureSets` when
        /// none of those is there (see ``RunConfiguration/fusionSets``).
        public var sets: [String]? = nil
        /// Also feed the fusion model the sets' reconstruction errors (the paper's final system).
        public var withRE: Bool = true
        /// 0: the fusion model trains on in-sample unimodal predictions (the paper); k > 1: on
        /// k-fold out-of-fold predictions of the train partition.
        public var outOfFold: Int = 0

        public init(sets: [String]? = nil, withRE: Bool = true, outOfFold: Int = 0) {
            self.sets = sets; self.withRE = withRE; self.outOfFold = outOfFold
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case sets, withRE, outOfFold }

        public init(from decoder: Decoder) throws {
            self.init()
            let c = try decoder.container(keyedBy: CodingKeys.self)
            sets = try c.decodeIfPresent([String].self, forKey: .sets)
            withRE = try c.decodeIfPresent(Bool.self, forKey: .withRE) ?? withRE
            outOfFold = try c.decodeIfPresent(Int.self, forKey: .outOfFold) ?? outOfFold
        }
    }

    /// The paper's fusion sets (its Table 8 / final system).
    public static let paperFusionSets = ["egemaps", "vggface", "fau_intensity"]

    public var featureSets: [String] = ["egemaps", "deepspectrum", "vggface", "fau_intensity", "bert-4"]
    public var emotions: [String] = ["arousal", "valence"]
    /// Feed every unimodal regressor its set's reconstruction error (the paper's stage 2).
    public var withRE: Bool = true
    /// 0: each auto-encoder trains on every train subject and its train RE is in-sample (the
    /// paper); k > 1: k fold auto-encoders by subject too, and `re-<set>` is out-of-fold (train
    /// subjects from the fold that held them out, devel/test the mean of the folds), the in-sample
    /// RE kept as `re-<set>-insample`.
    public var reOutOfFold: Int = 0
    /// Transforms of each auto-encoder's RE also written, as `re-<set>-<transform>` (`log`,
    /// `subject-median`, `subject-z`; see ``RETransform``). With `robustness` (or `experiments`),
    /// the fusion model is also trained on each and compared with raw RE and no RE.
    public var reTransforms: [RETransform] = []
    public var fusion = Fusion()
    /// The network shape shared by every model (the paper: 4 layers of 64 units).
    public var network = NetworkShape()
    public var grid = HyperparameterGrid()
    public var training = TrainingOptions()
    /// Keys of `training` that the auto-encoders train with instead (e.g. `{ "maxEpochs": 300,
    /// "batchSize": 8 }`), and `learningRate` in place of the first of `grid.learningRates`;
    /// absent keys keep `training`'s. Empty (the default): the paper's one schedule for every
    /// model. Not `loss` (auto-encoders always use MSE) nor `threads`. See ``TrainingOverride``.
    public var autoencoderTraining = TrainingOverride()
    /// Every model unidirectional, auto-encoders included, so that the output at frame t depends
    /// on frames ≤ t only (for live prediction; see `emofuse stream`).
    public var causal: Bool = false
    /// With `causal`: also train the same system bidirectional (`exp-bidir-…` models, the paper's
    /// offline system on the same data, seeds and settings) and report what causality costs.
    /// Ignored when `causal` is false.
    public var causalReference: Bool = true
    /// Train the fusion model without RE too and compare both on corrupted and clean frames
    /// (the paper's open question; see ``Robustness``).
    public var robustness: Bool = true
    /// Also run the paper's experiment grid (Tables 1–8) on these data.
    public var experiments: Bool = false
    /// Withheld test labels to score test predictions: a folder holding
    /// `label_segments/<emotion>/<ID>.csv` or `<emotion>/<ID>.csv`.
    public var testKey: String?

    public init() {}

    /// The `demo` command's settings: the paper's system with a schedule sized for the demo
    /// preset's half-length sequences (windows of 100, hop 25, batches of 32, ≤ 60 epochs,
    /// patience 10), so that every model stops by early stopping, not at the cap. An epoch is
    /// only ~4 batches of these data, so the regressors and fusion models learn at 1e-4 (at the
    /// paper's 1e-3 they peaked after 1–4 epochs), and the auto-encoders, whose reconstruction
    /// loss keeps falling for hundreds of such epochs, train with batches of 8 at 3e-3, weight
    /// decay 1e-4, for ≤ 200 epochs (`autoencoderTraining`).
    public static var demo: RunConfiguration {
        var c = audioDemo
        c.grid.learningRates = [1e-4]
        c.autoencoderTraining.learningRate = 3e-3
        c.autoencoderTraining.batchSize = 8
        c.autoencoderTraining.maxEpochs = 200
        c.autoencoderTraining.weightDecay = 1e-4
        return c
    }

    /// `demo --audio`'s settings: one schedule for every model, the paper's learning rate,
    /// windows of 100 (hop 25), batches of 32, ≤ 60 epochs, patience 10 (``demo``'s base). The
    /// synthetic demo's per-role schedule is sized for its data; on the audio demo's its regressors
    /// at 1e-4 ran to the 60-epoch cap.
    public static var audioDemo: RunConfiguration {
        var c = RunConfiguration()
        c.training.maxEpochs = 60
        c.training.patience = 10
        c.training.windowLength = 100
        c.training.windowHop = 25
        c.training.batchSize = 32
        return c
    }

    /// The sets the fusion model fuses, and why those.
    public var fusionSets: (sets: [String], reason: String) {
        if let sets = fusion.sets { return (sets, "fusion.sets") }
        let paper = Self.paperFusionSets.filter(featureSets.contains)
        if !paper.isEmpty {
            return (paper, paper == Self.paperFusionSets ? "the paper's fusion sets"
                                                         : "the paper's fusion sets present in featureSets")
        }
        return (featureSets, "all featureSets (none of the paper's fusion sets is among them)")
    }

    /// The settings every model of the system starts from (causal: unidirectional only).
    public var modelSettings: ModelSettings {
        var grid = self.grid
        if causal { grid.bidirectional = [false] }
        return ModelSettings(network: network, grid: grid, training: training,
                             autoencoderTraining: autoencoderTraining.isEmpty ? nil : autoencoderTraining)
    }

    /// Rejects settings that cannot run, naming the key.
    public func validate(file: String = "configuration") throws {
        func fail(_ message: String) -> ConfigurationError { ConfigurationError(file: file, message: message) }
        if featureSets.isEmpty { throw fail("featureSets is empty") }
        if emotions.isEmpty { throw fail("emotions is empty") }
        for (key, list) in [("featureSets", featureSets), ("emotions", emotions), ("fusion.sets", fusion.sets ?? [])] {
            if let dup = list.first(where: { name in list.filter { $0 == name }.count > 1 }) {
                throw fail("\(key) names '\(dup)' twice")
            }
        }
        if fusion.sets?.isEmpty == true { throw fail("fusion.sets is empty") }
        if fusion.outOfFold < 0 || fusion.outOfFold == 1 {
            throw fail("fusion.outOfFold must be 0 (in-sample) or at least 2 folds (is \(fusion.outOfFold))")
        }
        if reOutOfFold < 0 || reOutOfFold == 1 {
            throw fail("reOutOfFold must be 0 (in-sample) or at least 2 folds (is \(reOutOfFold))")
        }
        if let dup = reTransforms.first(where: { t in reTransforms.filter { $0 == t }.count > 1 }) {
            throw fail("reTransforms names '\(dup.rawValue)' twice")
        }
        if let dup = grid.seeds.first(where: { seed in grid.seeds.filter { $0 == seed }.count > 1 }) {
            throw fail("grid.seeds names \(dup) twice")
        }
        do { try modelSettings.validate() } catch let error as TrainingError {
            throw fail(error.description.replacingOccurrences(of: "invalid training setting: ", with: ""))
        }
    }

    /// Decodes a configuration, naming the file (and line and column) in errors.
    public static func load(from url: URL) throws -> RunConfiguration {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ConfigurationError(file: url.path, message: "cannot read: \(error.localizedDescription)")
        }
        return try decode(data, file: url.path)
    }

    static func decode(_ data: Data, file: String) throws -> RunConfiguration {
        let bytes = Array(data)
        if let problem = jsonSyntaxProblem(bytes) {
            let (line, column) = lineAndColumn(bytes, offset: problem.offset)
            throw ConfigurationError(file: file, line: line, column: column, message: "not valid JSON: \(problem.message)")
        }
        let object = try JSONSerialization.jsonObject(with: data)
        try checkKeys(object, allowed: allowedKeys, path: "", file: file)
        let configuration: RunConfiguration
        do {
            configuration = try JSONDecoder().decode(RunConfiguration.self, from: data)
        } catch let error as DecodingError {
            throw ConfigurationError(file: file, message: describe(error))
        }
        try configuration.validate(file: file)
        return configuration
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case featureSets, emotions, withRE, reOutOfFold, reTransforms, fusion, network, grid, training, autoencoderTraining, causal, causalReference, robustness, experiments, testKey
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RunConfiguration()
        featureSets = try c.decodeIfPresent([String].self, forKey: .featureSets) ?? d.featureSets
        emotions = try c.decodeIfPresent([String].self, forKey: .emotions) ?? d.emotions
        withRE = try c.decodeIfPresent(Bool.self, forKey: .withRE) ?? d.withRE
        reOutOfFold = try c.decodeIfPresent(Int.self, forKey: .reOutOfFold) ?? d.reOutOfFold
        reTransforms = try c.decodeIfPresent([RETransform].self, forKey: .reTransforms) ?? d.reTransforms
        fusion = try c.decodeIfPresent(Fusion.self, forKey: .fusion) ?? d.fusion
        network = try c.decodeIfPresent(NetworkShape.self, forKey: .network) ?? d.network
        grid = try c.decodeIfPresent(HyperparameterGrid.self, forKey: .grid) ?? d.grid
        training = try c.decodeIfPresent(TrainingOptions.self, forKey: .training) ?? d.training
        autoencoderTraining = try c.decodeIfPresent(TrainingOverride.self, forKey: .autoencoderTraining) ?? d.autoencoderTraining
        causal = try c.decodeIfPresent(Bool.self, forKey: .causal) ?? d.causal
        causalReference = try c.decodeIfPresent(Bool.self, forKey: .causalReference) ?? d.causalReference
        experiments = try c.decodeIfPresent(Bool.self, forKey: .experiments) ?? d.experiments
        robustness = try c.decodeIfPresent(Bool.self, forKey: .robustness) ?? d.robustness
        testKey = try c.decodeIfPresent(String.self, forKey: .testKey)
    }

    /// The keys a configuration may hold: exactly the coding keys of each type.
    static var allowedKeys: [String: Any] {
        var keys: [String: Any] = [:]
        for k in CodingKeys.allCases { keys[k.rawValue] = true }
        keys["fusion"] = Dictionary(uniqueKeysWithValues: Fusion.CodingKeys.allCases.map { ($0.rawValue, true as Any) })
        keys["network"] = Dictionary(uniqueKeysWithValues: NetworkShape.CodingKeys.allCases.map { ($0.rawValue, true as Any) })
        keys["grid"] = Dictionary(uniqueKeysWithValues: HyperparameterGrid.CodingKeys.allCases.map { ($0.rawValue, true as Any) })
        keys["training"] = Dictionary(uniqueKeysWithValues: TrainingOptions.CodingKeys.allCases.map { ($0.rawValue, true as Any) })
        keys["autoencoderTraining"] = Dictionary(uniqueKeysWithValues: TrainingOverride.CodingKeys.allCases.map { ($0.rawValue, true as Any) })
        return keys
    }

    /// Keys people reach for that are settings elsewhere.
    private static let movedKeys: [String: String] = [
        "training.learningRate": "the learning rate is searched by grid.learningRates (e.g. [0.001])",
        "training.dropout": "dropout is searched by grid.dropouts",
        "training.seed": "seeds are grid.seeds",
        "grid.learningRate": "the key is grid.learningRates (a list)",
        "autoencoderTraining.loss": "auto-encoders always train on reconstruction MSE (training.loss is the regressors')",
        "autoencoderTraining.threads": "threads are shared by every model: training.threads",
    ]

    private static func checkKeys(_ object: Any, allowed: [String: Any], path: String, file: String) throws {
        guard let dict = object as? [String: Any] else {
            throw ConfigurationError(file: file, message: "\(path.isEmpty ? "the top level" : path) must be an object")
        }
        for key in dict.keys.sorted() {
            let here = path.isEmpty ? key : "\(path).\(key)"
            guard let rule = allowed[key] else {
                if let moved = movedKeys[here] {
                    throw ConfigurationError(file: file, message: "'\(here)' is not a setting: \(moved)")
                }
                throw ConfigurationError(file: file, message: "unknown key '\(here)'\(didYouMean(key, Array(allowed.keys)))"
                                         + " (allowed here: \(allowed.keys.sorted().joined(separator: ", ")))")
            }
            if let nested = rule as? [String: Any] { try checkKeys(dict[key]!, allowed: nested, path: here, file: file) }
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ p: [CodingKey]) -> String { p.map(\.stringValue).joined(separator: ".") }
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
            return "at '\(path(c.codingPath))': \(c.debugDescription)"
        case .keyNotFound(let k, let c):
            return "missing key '\(path(c.codingPath + [k]))'"
        @unknown default:
            return "\(error)"
        }
    }

    private static func lineAndColumn(_ bytes: [UInt8], offset: Int) -> (Int, Int) {
        var line = 1, column = 1
        for b in bytes.prefix(offset) {
            if b == UInt8(ascii: "\n") { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
        }
        return (line, column)
    }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public let file: String
    public let line: Int?
    public let column: Int?
    public let message: String

    public init(file: String, line: Int? = nil, column: Int? = nil, message: String) {
        self.file = file; self.line = line; self.column = column; self.message = message
    }

    public var description: String {
        "\(file)\(line.map { ":\($0)" } ?? "")\(column.map { ":\($0)" } ?? ""): \(message)"
    }
}
