import Foundation
import Testing
@testable import EmoFuse
import SeqNet

/// The run configuration's errors, test keys in either layout, and checkpoints whose model card
/// contradicts itself.
@Suite struct ConfigurationTests {
    func decode(_ text: String) throws -> RunConfiguration {
        try RunConfiguration.decode(Data(text.utf8), file: "c.json")
    }

    func message(_ text: String) -> String {
        do { _ = try decode(text); return "accepted" } catch { return "\(error)" }
    }

    @Test func emptyIsThePapersSystemAndDefaultsAgree() throws {
        let c = try decode("{}")
        #expect(c == RunConfiguration())
        #expect(c.training.threads == 2 && c.training.maxEpochs == 100 && c.network.layers == 4)
        // What `run` writes as config.json reads back as the same configuration.
        var demo = RunConfiguration.demo
        demo.fusion.sets = ["egemaps"]
        #expect(try decode(String(decoding: try JSONFiles.encode(demo), as: UTF8.self)) == demo)
    }

    @Test func malformedJSONNamesLineAndColumn() {
        #expect(message("{\n  \"emotions\": [\"arousal\",]\n}") .hasPrefix("c.json:2:"))
        #expect(message("{\"withRE\": true, \"withRE\": false}").contains("duplicate key"))
        #expect(message("{\n\n   \"grid\": {\"seeds\": [1 2]}}").hasPrefix("c.json:3:"))
    }

    @Test func everyKeyIsUsedOrRejected() throws {
        #expect(message("{\"training\": {\"learningRate\": 0.01}}").contains("grid.learningRates"))
        #expect(message("{\"traning\": {}}").contains("did you mean 'training'"))
        #expect(message("{\"grid\": {\"seed\": [1]}}").contains("did you mean 'seeds'"))
        #expect(message("{\"training\": {\"windowLength\": 50, \"windowHop\": 60}}").contains("windowHop (60) must not exceed windowLength (50)"))
        #expect(message("{\"fusion\": {\"outOfFold\": 1}}").contains("outOfFold"))
        #expect(message("{\"grid\": {\"cells\": []}}").contains("grid.cells is empty"))
        #expect(message("{\"featureSets\": [\"egemaps\", \"egemaps\"]}").contains("twice"))
        #expect(message("{\"causal\": true}") == "accepted")
        #expect(try decode("{\"causal\": true}").modelSettings.grid.bidirectional == [false])
    }

    @Test func autoencoderTrainingOverridesTrainingForAutoencodersOnly() throws {
        // Absent or empty: the auto-encoders train exactly as the regressors (the paper's system).
        #expect(try decode("{}").modelSettings.autoencoderTraining == nil)
        #expect(try decode("{\"autoencoderTraining\": {}}") == RunConfiguration())
        // Set keys replace training's, absent ones (and threads) keep training's.
        let c = try decode("""
            {"training": {"maxEpochs": 40, "patience": 7, "batchSize": 32, "threads": 3},
             "autoencoderTraining": {"maxEpochs": 300, "batchSize": 8, "reduceOnPlateau": true, "learningRate": 0.003}}
            """)
        #expect(c.autoencoderTraining.maxEpochs == 300 && c.autoencoderTraining.patience == nil)
        #expect(c.modelSettings.autoencoderTraining == c.autoencoderTraining)
        let ae = c.modelSettings.training(for: .autoencoder)
        #expect(ae.maxEpochs == 300 && ae.batchSize == 8 && ae.reduceOnPlateau)
        #expect(ae.patience == 7 && ae.threads == 3 && ae.windowLength == c.training.windowLength)
        #expect(c.modelSettings.training(for: .regressor) == c.training)
        // The learning rate replaces the grid's for the auto-encoder's one candidate only.
        #expect(c.modelSettings.candidates(for: .autoencoder).map(\.learningRate) == [0.003])
        #expect(c.modelSettings.candidates(for: .regressor).map(\.learningRate) == c.grid.learningRates)
        // Validated like training, the error naming the key.
        #expect(message("{\"autoencoderTraining\": {\"maxEpochs\": 0}}").contains("autoencoderTraining.maxEpochs must be positive"))
        #expect(message("{\"autoencoderTraining\": {\"windowLength\": 20}}")
                    .contains("autoencoderTraining.windowHop (50) must not exceed windowLength (20)"))
        #expect(message("{\"autoencoderTraining\": {\"batchSize\": \"8\"}}").contains("autoencoderTraining.batchSize"))
        #expect(message("{\"autoencoderTraining\": {\"learningRate\": -1}}").contains("autoencoderTraining.learningRate must be positive"))
        // Unknown sub-keys are refused; loss and threads say where they are set.
        #expect(message("{\"autoencoderTraining\": {\"maxEpoch\": 300}}").contains("did you mean 'maxEpochs'"))
        #expect(message("{\"autoencoderTraining\": {\"loss\": \"mse\"}}").contains("always train on reconstruction MSE"))
        #expect(message("{\"autoencoderTraining\": {\"threads\": 4}}").contains("training.threads"))
        #expect(message("{\"autoencoderTraining\": 300}").contains("autoencoderTraining must be an object"))
        // The demo's override survives the round trip through config.json.
        let demo = RunConfiguration.demo
        #expect(try decode(String(decoding: try JSONFiles.encode(demo), as: UTF8.self)) == demo)
    }

    @Test func testKeysInEitherLayoutOrANamedRefusal() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("emofuse-key-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data")
        _ = try generateSyntheticDataset(preset: .tiny, seed: 2, to: data, overwrite: false, threads: 2) { _ in }
        let emotions = try MuseDataset(root: data).emotionNames
        let shipped = data.appendingPathComponent("test_key")
        let standard = try TestKey(root: shipped, emotions: emotions)
        // The same labels laid out as KEY/<emotion>/<ID>.csv.
        let flat = root.appendingPathComponent("flat")
        try FileManager.default.createDirectory(at: flat, withIntermediateDirectories: true)
        for e in emotions {
            try FileManager.default.copyItem(at: shipped.appendingPathComponent("label_segments/\(e)"), to: flat.appendingPathComponent(e))
        }
        let other = try TestKey(root: flat, emotions: emotions)
        #expect(try other.labels("arousal").mapValues(\.values) == (try standard.labels("arousal").mapValues(\.values)))
        #expect(!(try other.labels("arousal")).isEmpty)
        // Scoring the shipped key through `evaluate` gives test scores either way.
        let wrong = root.appendingPathComponent("wrong")
        try FileManager.default.createDirectory(at: wrong.appendingPathComponent("labels/arousal"), withIntermediateDirectories: true)
        do {
            _ = try TestKey(root: wrong, emotions: emotions)
            Issue.record("a key in neither layout must be refused")
        } catch let error as DatasetError {
            #expect(error.message.contains("\(wrong.path)/label_segments/arousal/<ID>.csv"))
        }
    }

    @Test func checkpointsWhoseCardContradictsItselfAreErrorsNamingTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("emofuse-cards-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        func card(_ role: ModelRole, emotion: String?, columns: Int) -> ModelCard {
            ModelCard(name: "m", role: role, inputs: ["egemaps"], emotion: emotion,
                      normalizer: Normalizer(mean: Array(repeating: 0, count: columns), std: Array(repeating: 1, count: columns)),
                      candidate: Candidate(spec: ModelSpec(), learningRate: 1e-3, seed: 1), loss: .ccc)
        }
        let cases: [(String, NetworkConfig, ModelCard, String)] = [
            ("no-emotion", NetworkConfig(inputSize: 4, hiddenSize: 4, numLayers: 1, outputSize: 1), card(.regressor, emotion: nil, columns: 4), "without an emotion"),
            ("fusion-no-emotion", NetworkConfig(inputSize: 4, hiddenSize: 4, numLayers: 1, outputSize: 1), card(.fusion, emotion: "", columns: 4), "without an emotion"),
            ("ae-shape", NetworkConfig(inputSize: 4, hiddenSize: 4, numLayers: 1, outputSize: 3), card(.autoencoder, emotion: nil, columns: 4), "differs from its input size"),
            ("two-outputs", NetworkConfig(inputSize: 4, hiddenSize: 4, numLayers: 1, outputSize: 2), card(.regressor, emotion: "arousal", columns: 4), "2 outputs"),
            ("normaliser", NetworkConfig(inputSize: 4, hiddenSize: 4, numLayers: 1, outputSize: 1), card(.regressor, emotion: "arousal", columns: 3), "statistics for 3 columns"),
        ]
        for (name, config, card, expected) in cases {
            let url = dir.appendingPathComponent("\(name).safetensors")
            try ModelStore.save(SequenceNetwork(config: config, seed: 1), card: card, to: url)
            do {
                _ = try ModelStore.load(from: url)
                Issue.record("\(name): loaded")
            } catch let error as CheckpointError {
                #expect(error.description.contains(url.path) && error.description.contains(expected), "\(error)")
            }
        }
    }
}
