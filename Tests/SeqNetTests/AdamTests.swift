import Foundation
import Testing
@testable import SeqNet

@Suite struct AdamTests {
    private struct Settings: Decodable { var lr, beta1, beta2, eps, weightDecay: Float }
    private struct Clip: Decodable { var maxNorm, norm: Float }

    /// Three steps with given gradients, against torch.optim.Adam (defaults, and non-default betas,
    /// eps and weight decay). Parameters of 15 and 37 elements exercise the SIMD body and tail.
    @Test(arguments: ["a", "b"])
    func matchesTorchAdam(tag: String) throws {
        let fx = try Fixture.load("optim")
        let all = try JSONDecoder().decode([String: Settings].self, from: Data(try #require(fx.metadata["adam"]).utf8))
        let s = try #require(all[tag])
        let names = ["p0", "p1"]
        let params = try names.map { name in
            let t = try fx.required("init.\(name)")
            let p = Parameter(name: name, shape: t.shape)
            p.value.copy(from: t.values)
            return p
        }
        let adam = Adam(parameters: params, options: AdamOptions(learningRate: s.lr, beta1: s.beta1, beta2: s.beta2,
                                                                   epsilon: s.eps, weightDecay: s.weightDecay))
        for step in 1...3 {
            for p in params { p.grad.copy(from: try fx.required("g\(step).\(p.name)").values) }
            adam.step()
            #expect(adam.stepCount == step)
            for p in params {
                expectClose(p.value, try fx.required("\(tag).s\(step).\(p.name)").values, relative: 1e-6, absolute: 1e-7,
                            "Adam \(tag) step \(step) \(p.name)")
            }
        }
    }

    @Test func firstStepMovesEachWeightByTheLearningRate() {
        let p = Parameter(name: "w", shape: [11])
        for i in 0..<11 { p.value[i] = Float(i); p.grad[i] = i % 2 == 0 ? 0.3 : -2 }
        let adam = Adam(parameters: [p], options: AdamOptions(learningRate: 0.05))
        adam.step()
        for i in 0..<11 {
            let expected = Float(i) - (i % 2 == 0 ? 0.05 : -0.05)
            #expect(abs(p.value[i] - expected) < 1e-6)
        }
        #expect(p.grad[0] == 0.3)   // gradients are read, not cleared
    }

    @Test func learningRateIsSettableAndResetForgetsState() {
        let p = Parameter(name: "w", shape: [3])
        p.grad.fill(1)
        let adam = Adam(parameters: [p], options: AdamOptions())
        adam.learningRate = 0.5
        #expect(adam.options.learningRate == 0.5)
        adam.step(); adam.step()
        adam.reset()
        #expect(adam.stepCount == 0)
        p.value.zero()
        adam.step()
        #expect(abs(p.value[0] + 0.5) < 1e-6)   // a first step again: exactly lr
    }

    @Test(arguments: ["small", "large"])
    func clipMatchesTorch(tag: String) throws {
        let fx = try Fixture.load("optim")
        let all = try JSONDecoder().decode([String: Clip].self, from: Data(try #require(fx.metadata["clip"]).utf8))
        let c = try #require(all[tag])
        let params = try ["q0", "q1"].map { name in
            let t = try fx.required("clip.grad.\(name)")
            let p = Parameter(name: name, shape: t.shape)
            p.grad.copy(from: t.values)
            return p
        }
        let norm = clipGradientNorm(params, maxNorm: c.maxNorm)
        #expect(abs(norm - c.norm) <= 1e-6 * c.norm)
        for p in params {
            expectClose(p.grad, try fx.required("clip.\(tag).\(p.name)").values, relative: 1e-6, absolute: 1e-8, "clip \(tag) \(p.name)")
        }
    }

    @Test func clipNormOverManyElements() {
        let p = Parameter(name: "big", shape: [1000, 3])   // several 512-element blocks plus a tail
        p.grad.fill(0.5)
        let norm = clipGradientNorm([p], maxNorm: 1)
        #expect(abs(Double(norm) - 0.5 * 3000.0.squareRoot()) < 1e-4)
        var sum = 0.0
        for i in 0..<p.count { sum += Double(p.grad[i]) * Double(p.grad[i]) }
        #expect(abs(sum.squareRoot() - 1) < 1e-5)
    }
}
