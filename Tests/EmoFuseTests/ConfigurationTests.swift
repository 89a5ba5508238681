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
