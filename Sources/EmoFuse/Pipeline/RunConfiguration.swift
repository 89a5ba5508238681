import Foundation

/// Everything `emofuse run` does, in one JSON file. Every field has a default, so `{}` runs the
/// paper's final system on all five MuSe-Stress feature sets.
///
/// ```json
/// {
///   "featureSets": ["egemaps", "deepspectrum", "vggface", "fau_intensity", "bert-4"],
///   "emotions": ["arousal", "valence"],
///   "withRE": true,
///   "fusion": { "sets": ["egemaps", "vggface", "fau_intensity"], "withRE": true, "outOfFold": 0 },
///   "network": { "hiddenSize": 64, "layers": 4 },
///   "grid": { "cells": ["gru"], "bidirectional": [true], "learningRates": [0.001], "dropouts": [0.2], "seeds": [1] },
///   "training": { "maxEpochs": 100, "patience": 15, "batchSize": 64, "windowLength": 300, "windowHop": 50 },
///   "robustness": true,
///   "experiments": false
/// }
/// ```
public struct RunConfiguration: Codable, Sendable, Equatable {
    public struct Fusion: Codable, Sendable, Equatable {
        /// The feature sets whose unimodal predictions are fused (the paper's best: egemaps + vggface + fau_intensity).
        public var sets: [String] = ["egemaps", "vggface", "fau_intensity"]
        /// Also feed the fusion model the sets' reconstruction errors (the paper's final system).
        public var withRE: Bool = true
        /// 0: the fusion model trains on in-sample unimodal predictions (the paper); k > 1: on
        /// k-fold out-of-fold predictions of the train partition.
        public var outOfFold: Int = 0

        public init() {}
    }

    public var featureSets: [String] = ["egemaps", "deepspectrum", "vggface", "fau_intensity", "bert-4"]
    public var emotions: [String] = ["arousal", "valence"]
    /// Feed every unimodal regressor its set's reconstruction error (the paper's stage 2).
    public var withRE: Bool = true
    public var fusion = Fusion()
    /// The network shape shared by every model (the paper: 4 layers of 64 units).
    public var network = NetworkShape()
    public var grid = HyperparameterGrid()
    public var training = TrainingOptions()
    /// Train the fusion model without RE too and compare both on corrupted and clean frames
    /// (the paper's open question; see ``Robustness``).
    public var robustness: Bool = true
    /// Also run the paper's experiment grid (Tables 1–8) on these data.
    public var experiments: Bool = false
    /// Withheld test labels to score test predictions (e.g. the synthetic generator's key).
    public var testKey: String?

    public init() {}

    /// Decodes a configuration, naming the file in errors; unknown keys are rejected.
    public static func load(from url: URL) throws -> RunConfiguration {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ConfigurationError(file: url.path, message: "cannot read: \(error.localizedDescription)")
        }
        return try decode(data, file: url.path)
    }

    static func decode(_ data: Data, file: String) throws -> RunConfiguration {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw ConfigurationError(file: file, message: "not valid JSON: \(error.localizedDescription)")
        }
        try checkKeys(object, allowed: Self.allowedKeys, path: "", file: file)
        do { return try JSONDecoder().decode(RunConfiguration.self, from: data) } catch let error as DecodingError {
            throw ConfigurationError(file: file, message: describe(error))
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RunConfiguration()
        featureSets = try c.decodeIfPresent([String].self, forKey: .featureSets) ?? d.featureSets
        emotions = try c.decodeIfPresent([String].self, forKey: .emotions) ?? d.emotions
        withRE = try c.decodeIfPresent(Bool.self, forKey: .withRE) ?? d.withRE
        fusion = try c.decodeIfPresent(Fusion.self, forKey: .fusion) ?? d.fusion
        network = try c.decodeIfPresent(NetworkShape.self, forKey: .network) ?? d.network
        grid = try c.decodeIfPresent(HyperparameterGrid.self, forKey: .grid) ?? d.grid
        training = try c.decodeIfPresent(TrainingOptions.self, forKey: .training) ?? d.training
        experiments = try c.decodeIfPresent(Bool.self, forKey: .experiments) ?? d.experiments
        robustness = try c.decodeIfPresent(Bool.self, forKey: .robustness) ?? d.robustness
        testKey = try c.decodeIfPresent(String.self, forKey: .testKey)
    }

    static var allowedKeys: [String: Any] { [
        "featureSets": true, "emotions": true, "withRE": true, "experiments": true, "robustness": true, "testKey": true,
        "network": ["hiddenSize": true, "layers": true] as [String: Any],
        "fusion": ["sets": true, "withRE": true, "outOfFold": true] as [String: Any],
        "grid": ["cells": true, "bidirectional": true, "learningRates": true, "dropouts": true, "seeds": true] as [String: Any],
        "training": ["maxEpochs": true, "patience": true, "minRelativeImprovement": true, "batchSize": true, "windowLength": true, "windowHop": true,
                     "learningRate": true, "weightDecay": true, "clipNorm": true, "reduceOnPlateau": true,
                     "plateauPatience": true, "plateauFactor": true, "loss": true, "threads": true] as [String: Any],
    ] }

    private static func checkKeys(_ object: Any, allowed: [String: Any], path: String, file: String) throws {
        guard let dict = object as? [String: Any] else {
            throw ConfigurationError(file: file, message: "\(path.isEmpty ? "the top level" : path) must be an object")
        }
        for key in dict.keys.sorted() {
            let value = dict[key]!
            let here = path.isEmpty ? key : "\(path).\(key)"
            guard let rule = allowed[key] else {
                throw ConfigurationError(file: file, message: "unknown key '\(here)' (allowed: \(allowed.keys.sorted().joined(separator: ", ")))")
            }
            if let nested = rule as? [String: Any] { try checkKeys(value, allowed: nested, path: here, file: file) }
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
}

extension RunConfiguration.Fusion {
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sets = try c.decodeIfPresent([String].self, forKey: .sets) ?? sets
        withRE = try c.decodeIfPresent(Bool.self, forKey: .withRE) ?? withRE
        outOfFold = try c.decodeIfPresent(Int.self, forKey: .outOfFold) ?? outOfFold
    }
}

/// Units per direction and recurrent layers of every model.
public struct NetworkShape: Codable, Sendable, Equatable {
    public var hiddenSize: Int = 64
    public var layers: Int = 4

    public init(hiddenSize: Int = 64, layers: Int = 4) { self.hiddenSize = hiddenSize; self.layers = layers }

    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? hiddenSize
        layers = try c.decodeIfPresent(Int.self, forKey: .layers) ?? layers
    }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public let file: String
    public let message: String
    public var description: String { "\(file): \(message)" }
}
