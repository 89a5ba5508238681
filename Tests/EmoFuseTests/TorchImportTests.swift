import Foundation
import Testing
import SeqNet
@testable import EmoFuse

/// `emofuse import --torch`: state_dicts made by plain PyTorch (`scripts/torch_import/train_small.py`,
/// committed under Tests/Fixtures/torch_import) import and predict what PyTorch predicted.
@Suite struct TorchImportTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/torch_import")

    static func expected() throws -> SafeTensors { try SafeTensors.read(from: fixtures.appendingPathComponent("expected.safetensors")) }

    static func temp() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("emofuse-import-\(UUID().uuidString)")
    }

    /// Imports `file`, predicts both fixture sequences with the library, compares with PyTorch.
    static func check(_ file: String, prefix: String, output key: String, expectedConfig: NetworkConfig) throws {
        let dir = temp()
        defer { try? FileManager.default.removeItem(at: dir) }
        var options = TorchImport.Options(inputs: ["x"], emotion: "arousal")
        options.prefix = prefix
        let out = dir.appendingPathComponent("pred-x-arousal.safetensors")
        let (card, config) = try TorchImport.run(fixtures.appendingPathComponent(file), options: options, data: nil, to: out)
        #expect(config == expectedConfig)
        #expect(card.inputs == ["x"] && card.normalizer == .identity(dim: 5))
        let system = try LiveSystem(checkpoint: out)
        let e = try expected()
        let x = e["x"]!, y = e[key]!
        #expect(x.shape == [2, 40, 5] && y.shape == [2, 40, 1])
        var worst: Float = 0
        for b in 0..<2 {
            let rows = Array(UnsafeBufferPointer(start: x.values.pointer + b * 200, count: 200))
            let trace = try system.predict(Recording(features: ["x": rows]))
            for t in 0..<40 { worst = max(worst, abs(trace.values[t] - y.values[b * 40 + t])) }
            if !config.bidirectional {   // and live, step by step
                let stream = try system.makeStream()
                let live = try (0..<40).map { t in try stream.push(["x": Array(rows[(t * 5)..<(t * 5 + 5)])]) }
                #expect(live == trace.values)
            }
        }
        #expect(worst <= 1e-5, "largest difference from PyTorch: \(worst)")
    }

    @Test func pytorchGRUImportsAndPredictsAsPyTorch() throws {
        try Self.check("gru.safetensors", prefix: "", output: "gru",
                       expectedConfig: NetworkConfig(cell: .gru, inputSize: 5, hiddenSize: 8, numLayers: 2,
                                                     bidirectional: false, outputSize: 1))
    }

    @Test func prefixedBidirectionalLSTMImportsAndPredictsAsPyTorch() throws {
        try Self.check("lstm_prefixed.safetensors", prefix: "model.", output: "lstm",
                       expectedConfig: NetworkConfig(cell: .lstm, inputSize: 5, hiddenSize: 8, numLayers: 1,
                                                     bidirectional: true, outputSize: 1))
    }

    @Test func missingPrefixIsNamed() throws {
        let file = Self.fixtures.appendingPathComponent("lstm_prefixed.safetensors")
        #expect { try TorchImport.network(from: file, prefix: "") } throws: { error in
            "\(error)".contains("give --prefix 'model.'")
        }
    }

    /// State dicts that do not describe a supported network are refused with the reason.
    @Test func unsupportedNetworksAreRefused() throws {
        func file(_ tensors: [String: [Int]]) -> SafeTensors {
            var f = SafeTensors()
            for (name, shape) in tensors { f.set(name, shape: shape, copying: FloatBuffer(count: shape.reduce(1, *))) }
            return f
        }
        func problem(_ f: SafeTensors) -> String {
            let url = Self.temp().appendingPathExtension("safetensors")
            defer { try? FileManager.default.removeItem(at: url) }
            do {
                try f.write(to: url)
                _ = try TorchImport.network(from: url, prefix: "")
                return "imported"
            } catch { return "\(error)" }
        }
        let base: [String: [Int]] = ["rnn.weight_ih_l0": [24, 5], "rnn.weight_hh_l0": [24, 8], "rnn.bias_ih_l0": [24],
                                     "rnn.bias_hh_l0": [24], "head.weight": [1, 8], "head.bias": [1]]
        #expect(problem(file(base)) == "imported")
        var gates = base; gates["rnn.weight_hh_l0"] = [40, 8]
        #expect(problem(file(gates)).contains("40 gate rows is neither 3·8 (GRU) nor 4·8 (LSTM)"))
        var noHead = base; noHead["head.weight"] = nil; noHead["head.bias"] = nil
        #expect(problem(file(noHead)).contains("no 2-D 'head.weight'"))
        var extra = base; extra["rnn.weight_ih_l2"] = [24, 8]
        #expect(problem(file(extra)).contains("unexpected tensors: rnn.weight_ih_l2"))
        var badHead = base; badHead["head.weight"] = [1, 16]
        #expect(problem(file(badHead)).contains("head.weight is [1, 16], expected [1, 8]"))
        var projected = base; projected["rnn.weight_hr_l0"] = [4, 8]
        #expect(problem(file(projected)).contains("projections (proj_size) are not supported"))
        var noBias = base; noBias["rnn.bias_ih_l0"] = nil; noBias["rnn.bias_hh_l0"] = nil
        #expect(problem(file(noBias)) == "imported")
    }

    /// With --data the normalisation is fitted on the train partition, as training does.
    @Test func dataGivesTrainStatistics() throws {
        let data = TempDataset()
        data.makeValid(dims: ["x": 5])
        let out = Self.temp().appendingPathComponent("m.safetensors")
        defer { try? FileManager.default.removeItem(at: out.deletingLastPathComponent()) }
        let (card, _) = try TorchImport.run(Self.fixtures.appendingPathComponent("gru.safetensors"),
                                            options: TorchImport.Options(inputs: ["x"], emotion: "arousal"),
                                            data: data.root, loadOptions: data.options, to: out)
        let fitted = try data.open().aligned(featureSets: ["x"], emotions: []).normalizer
        #expect(card.normalizer == fitted && card.normalizer != .identity(dim: 5))
    }
}
