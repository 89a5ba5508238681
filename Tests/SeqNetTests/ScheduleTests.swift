import Foundation
import Testing
@testable import SeqNet

@Suite struct ScheduleTests {
    private struct Scenario: Decodable {
        var mode: String, factor: Double, patience: Int, threshold: Double, minLR: Double, cooldown: Int
        var lr0: Double, metrics: [Double?], lrs: [Double]
    }

    /// Learning rates after each `step` in torch's ReduceLROnPlateau (min and max modes, cooldown,
    /// min_lr, a NaN metric, improvements just inside and outside the relative threshold).
    @Test func matchesPyTorch() throws {
        let fx = try Fixture.load("optim")
        let scenarios = try JSONDecoder().decode([Scenario].self, from: Data(try #require(fx.metadata["plateau"]).utf8))
        #expect(scenarios.count == 4)
        for s in scenarios {
            var schedule = ReduceLROnPlateau(mode: s.mode == "min" ? .min : .max, factor: s.factor, patience: s.patience,
                                             threshold: s.threshold, minLR: Float(s.minLR), cooldown: s.cooldown)
            var lr = Float(s.lr0)
            for (i, metric) in s.metrics.enumerated() {
                lr = schedule.step(metric: metric ?? .nan, learningRate: lr)
                #expect(abs(Double(lr) - s.lrs[i]) <= 1e-6 * s.lrs[i], "\(s.mode) f\(s.factor) p\(s.patience) epoch \(i): \(lr) vs \(s.lrs[i])")
            }
        }
    }

    @Test func reducesAfterPatienceRunsOut() {
        var s = ReduceLROnPlateau(mode: .max, factor: 0.5, patience: 2, threshold: 0, minLR: 0.1)
        var lr: Float = 1
        lr = s.step(metric: 0.5, learningRate: lr)   // improvement
        lr = s.step(metric: 0.5, learningRate: lr)   // bad 1
        lr = s.step(metric: 0.4, learningRate: lr)   // bad 2
        #expect(lr == 1)
        lr = s.step(metric: 0.4, learningRate: lr)   // bad 3 > patience
        #expect(lr == 0.5)
        #expect(s.badEpochs == 0)
        for _ in 0..<20 { lr = s.step(metric: 0, learningRate: lr) }
        #expect(lr == 0.1)   // floored at minLR
    }
}
