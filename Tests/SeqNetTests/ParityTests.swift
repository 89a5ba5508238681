import Foundation
import Testing
@testable import SeqNet

/// Fixtures made by `scripts/parity/make_fixtures.py` (PyTorch 2.13), shipped as test resources.
enum Fixture {
    static func url(_ name: String) -> URL {
        guard let url = Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures") else {
            fatalError("fixture \(name).safetensors is missing from the test bundle")
        }
        return url
    }

    static func load(_ name: String) throws -> SafeTensors { try SafeTensors.read(from: url(name)) }
}

extension SafeTensors {
    /// The tensor `name`, failing the test if it is absent.
    func required(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Tensor {
        try #require(self[name], "tensor \(name) missing", sourceLocation: sourceLocation)
    }

    /// A metadata value parsed as Double.
    func number(_ key: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Double {
        try #require(metadata[key].flatMap(Double.init), "metadata \(key) missing", sourceLocation: sourceLocation)
    }
}

/// Swaps the first two axes of a `[a, b, rest]` row-major tensor (batch-first ↔ time-major).
func swapLeadingAxes(_ x: FloatBuffer, _ a: Int, _ b: Int, _ rest: Int) -> FloatBuffer {
    precondition(x.count == a * b * rest)
    let out = FloatBuffer(count: x.count)
    for i in 0..<a {
        for j in 0..<b {
            for k in 0..<rest { out[(j * a + i) * rest + k] = x[(i * b + j) * rest + k] }
        }
    }
    return out
}

/// Expects `actual ≈ expected` elementwise: `|a − e| ≤ absolute + relative·|e|`; reports the worst element.
func expectClose(_ actual: FloatBuffer, _ expected: FloatBuffer, relative: Double = 1e-4, absolute: Double = 1e-5,
                 _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.count == expected.count else {
        Issue.record("\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        return
    }
    var bad = 0, worst = -1, worstExcess = 0.0
    for i in 0..<actual.count {
        let a = Double(actual[i]), e = Double(expected[i])
        let excess = abs(a - e) - (absolute + relative * abs(e))
        if !(excess <= 0) {
            bad += 1
            if worst < 0 || !(excess <= worstExcess) { worst = i; worstExcess = excess }
        }
    }
    if bad > 0 {
        Issue.record("\(what): \(bad) of \(actual.count) values differ; worst at [\(worst)]: \(actual[worst]) vs expected \(expected[worst])",
                     sourceLocation: sourceLocation)
    }
}

/// Output, CCC loss, every gradient and the weights after two Adam steps against PyTorch
/// (2-layer bidirectional GRU/LSTM, input 7, hidden 8, output 1, batch of lengths 6, 9, 3).
@Suite struct ParityTests {
    @Test(arguments: ["gru", "lstm"])
    func networkMatchesPyTorch(cell: String) throws {
        let fx = try Fixture.load(cell)
        let config = try JSONDecoder().decode(NetworkConfig.self, from: Data(try #require(fx.metadata["config"]).utf8))
        #expect(config.cell.rawValue == cell)
        let network = SequenceNetwork(config: config, seed: 99)
        var weights = SafeTensors()
        for p in network.parameters {
            weights.set(p.name, try fx.required(p.name))
        }
        try Checkpoint.assign(weights, to: network.parameters, source: "\(cell).safetensors")

        let input = try fx.required("input")
        let (batchSize, steps, features) = (input.shape[0], input.shape[1], input.shape[2])
        let lengths = try fx.required("lengths").values.array.map { Int($0) }
        let batch = SequenceBatch(steps: steps, batchSize: batchSize, features: features, lengths: lengths,
                                  values: swapLeadingAxes(input.values, batchSize, steps, features))
        let targets = swapLeadingAxes(try fx.required("targets").values, batchSize, steps, 1)
        let mask = FloatBuffer(count: steps * batchSize)
        for t in 0..<steps { for b in 0..<batchSize where t < lengths[b] { mask[t * batchSize + b] = 1 } }

        var rng = RandomSource(seed: 1)
        var output = network.forward(batch, training: true, rng: &rng)
        expectClose(output, swapLeadingAxes(try fx.required("output").values, batchSize, steps, 1), "\(cell) output")

        let gradOut = FloatBuffer(count: output.count)
        let loss = sequenceLoss(.ccc, predictions: output, targets: targets, mask: mask,
                                steps: steps, batchSize: batchSize, outputs: 1, gradient: gradOut)
        let torchLoss = try fx.number("loss.ccc")
        #expect(abs(loss - torchLoss) <= 1e-5 + 1e-4 * abs(torchLoss), "\(cell) CCC loss \(loss) vs \(torchLoss)")
        expectClose(gradOut, swapLeadingAxes(try fx.required("gradout.ccc").values, batchSize, steps, 1),
                    "\(cell) dLoss/dOutput")

        network.zeroGradients()
        network.backward(gradOut)
        for p in network.parameters {
            expectClose(p.grad, try fx.required("grad.\(p.name)").values, "\(cell) grad.\(p.name)")
        }

        // Two Adam steps, forward/backward recomputed before the second.
        let adam = Adam(parameters: network.parameters, options: AdamOptions(learningRate: 0.01))
        adam.step()
        network.zeroGradients()
        output = network.forward(batch, training: true, rng: &rng)
        _ = sequenceLoss(.ccc, predictions: output, targets: targets, mask: mask,
                         steps: steps, batchSize: batchSize, outputs: 1, gradient: gradOut)
        network.backward(gradOut)
        adam.step()
        for p in network.parameters {
            expectClose(p.value, try fx.required("adam2.\(p.name)").values, "\(cell) adam2.\(p.name)")
        }
    }
}
