import Foundation
import Testing
@testable import SeqNet

@Suite struct LossTests {
    /// `losses.safetensors`: time-major [7 × 5 × 2] with holes, an empty sequence, a one-step
    /// sequence, a constant target channel and an exact zero difference; values from PyTorch (float64).
    @Test(arguments: LossKind.allCases)
    func matchesPyTorchOnMaskedBatch(kind: LossKind) throws {
        let fx = try Fixture.load("losses")
        let p = try fx.required("predictions"), y = try fx.required("targets"), m = try fx.required("mask")
        let (steps, batch, outputs) = (p.shape[0], p.shape[1], p.shape[2])
        let grad = FloatBuffer(count: p.values.count)
        grad.fill(7)   // must be overwritten everywhere
        let loss = sequenceLoss(kind, predictions: p.values, targets: y.values, mask: m.values,
                                steps: steps, batchSize: batch, outputs: outputs, gradient: grad)
        let expected = try fx.number("loss.\(kind.rawValue)")
        #expect(abs(loss - expected) <= 1e-6 * abs(expected), "\(kind) loss \(loss) vs \(expected)")
        expectClose(grad, try fx.required("grad.\(kind.rawValue)").values, relative: 1e-5, absolute: 1e-7, "\(kind) gradient")
        for t in 0..<steps {
            for b in 0..<batch where m.values[t * batch + b] == 0 {
                for o in 0..<outputs { #expect(grad[(t * batch + b) * outputs + o] == 0) }
            }
        }
    }

    /// The PyTorch network outputs of the parity fixtures (batch of lengths 6, 9, 3), all three losses.
    @Test(arguments: ["gru", "lstm"], LossKind.allCases)
    func matchesPyTorchOnNetworkOutputs(cell: String, kind: LossKind) throws {
        let fx = try Fixture.load(cell)
        let out = try fx.required("output")
        let (batch, steps) = (out.shape[0], out.shape[1])
        let lengths = try fx.required("lengths").values.array.map { Int($0) }
        let mask = FloatBuffer(count: steps * batch)
        for t in 0..<steps { for b in 0..<batch where t < lengths[b] { mask[t * batch + b] = 1 } }
        let grad = FloatBuffer(count: out.values.count)
        let loss = sequenceLoss(kind, predictions: swapLeadingAxes(out.values, batch, steps, 1),
                                targets: swapLeadingAxes(try fx.required("targets").values, batch, steps, 1),
                                mask: mask, steps: steps, batchSize: batch, outputs: 1, gradient: grad)
        let expected = try fx.number("loss.\(kind.rawValue)")
        #expect(abs(loss - expected) <= 1e-6 * abs(expected))
        expectClose(grad, swapLeadingAxes(try fx.required("gradout.\(kind.rawValue)").values, batch, steps, 1),
                    relative: 1e-5, absolute: 1e-8, "\(cell) \(kind) gradient")
    }

    /// Central finite differences of the Double loss against the analytic gradient.
    @Test(arguments: LossKind.allCases)
    func gradientMatchesFiniteDifferences(kind: LossKind) {
        let (steps, batch, outputs) = (6, 3, 2)
        var rng = RandomSource(seed: 21)
        let p = FloatBuffer((0..<(steps * batch * outputs)).map { _ in Float(rng.normal()) })
        let y = FloatBuffer((0..<(steps * batch * outputs)).map { _ in Float(rng.normal()) * 0.5 + 0.3 })
        let lengths = [6, 4, 2]
        let mask = FloatBuffer(count: steps * batch)
        for t in 0..<steps { for b in 0..<batch where t < lengths[b] { mask[t * batch + b] = 1 } }
        let grad = FloatBuffer(count: p.count)
        _ = sequenceLoss(kind, predictions: p, targets: y, mask: mask, steps: steps, batchSize: batch,
                         outputs: outputs, gradient: grad)
        for i in 0..<p.count {
            let original = p[i]
            p[i] = original + 1e-2
            let up = sequenceLoss(kind, predictions: p, targets: y, mask: mask, steps: steps, batchSize: batch,
                                  outputs: outputs, gradient: nil)
            let hUp = Double(p[i]) - Double(original)
            p[i] = original - 1e-2
            let down = sequenceLoss(kind, predictions: p, targets: y, mask: mask, steps: steps, batchSize: batch,
                                    outputs: outputs, gradient: nil)
            let hDown = Double(original) - Double(p[i])
            p[i] = original
            let numeric = (up - down) / (hUp + hDown)
            #expect(abs(numeric - Double(grad[i])) <= 1e-3 * max(1e-2, abs(numeric)), "\(kind) [\(i)]: \(numeric) vs \(grad[i])")
        }
    }

    @Test func cccOfAffinePrediction() {
        // One sequence, p = 2y + 1: cov = 2 var_y, var_p = 4 var_y, diff = mean_y + 1.
        let y: [Float] = [0.5, -1, 2, 0, 1.5]
        let p = y.map { 2 * $0 + 1 }
        let yd = y.map(Double.init)
        let mean = yd.reduce(0, +) / 5
        let varY = yd.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 5
        let diff = mean + 1
        let ccc = 4 * varY / (5 * varY + diff * diff)
        let loss = sequenceLoss(.ccc, predictions: FloatBuffer(p), targets: FloatBuffer(y), mask: FloatBuffer([1, 1, 1, 1, 1]),
                                steps: 5, batchSize: 1, outputs: 1, gradient: nil)
        #expect(abs(loss - (1 - ccc)) < 1e-12)
        #expect(abs(concordanceCorrelation(p, y) - ccc) < 1e-12)
    }

    @Test func perfectPredictionHasZeroLossAndGradient() {
        let y: [Float] = [0.1, 0.4, -0.3, 0.8]
        let grad = FloatBuffer(count: 4)
        for kind in LossKind.allCases {
            let loss = sequenceLoss(kind, predictions: FloatBuffer(y), targets: FloatBuffer(y), mask: FloatBuffer([1, 1, 1, 1]),
                                    steps: 4, batchSize: 1, outputs: 1, gradient: grad)
            #expect(abs(loss) < 1e-12)
            #expect(grad.array.allSatisfy { abs($0) < 1e-7 })
        }
    }

    /// Constant, equal predictions and targets: CCC undefined, defined as 0 (loss 1), zero gradient, no NaN.
    @Test func degenerateCCCIsOneWithZeroGradient() {
        let grad = FloatBuffer(count: 3)
        let loss = sequenceLoss(.ccc, predictions: FloatBuffer([0.3, 0.3, 0.3]), targets: FloatBuffer([0.3, 0.3, 0.3]),
                                mask: FloatBuffer([1, 1, 1]), steps: 3, batchSize: 1, outputs: 1, gradient: grad)
        #expect(loss == 1)
        #expect(grad.array == [0, 0, 0])
    }

    /// A batch with no valid entry: loss 0, gradient cleared.
    @Test func emptyMaskGivesZero() {
        for kind in LossKind.allCases {
            let grad = FloatBuffer([1, 2, 3, 4])
            let loss = sequenceLoss(kind, predictions: FloatBuffer([1, 2, 3, 4]), targets: FloatBuffer([0, 0, 0, 0]),
                                    mask: FloatBuffer([0, 0]), steps: 1, batchSize: 2, outputs: 2, gradient: grad)
            #expect(loss == 0)
            #expect(grad.array == [0, 0, 0, 0])
        }
    }

    /// Sequences are averaged with equal weight whatever their length; empty ones are skipped.
    @Test func cccAveragesSequencesEqually() {
        // steps 4, batch 3: b0 valid 4 steps, b1 valid 2 steps, b2 none. Time-major.
        let p0: [Float] = [1, 2, 3, 5], y0: [Float] = [1, 3, 2, 4]
        let p1: [Float] = [0, 1], y1: [Float] = [1, 0]
        var p = [Float](repeating: 9, count: 12), y = [Float](repeating: -9, count: 12), m = [Float](repeating: 0, count: 12)
        for t in 0..<4 { p[t * 3] = p0[t]; y[t * 3] = y0[t]; m[t * 3] = 1 }
        for t in 0..<2 { p[t * 3 + 1] = p1[t]; y[t * 3 + 1] = y1[t]; m[t * 3 + 1] = 1 }
        let loss = sequenceLoss(.ccc, predictions: FloatBuffer(p), targets: FloatBuffer(y), mask: FloatBuffer(m),
                                steps: 4, batchSize: 3, outputs: 1, gradient: nil)
        let expected = ((1 - concordanceCorrelation(p0, y0)) + (1 - concordanceCorrelation(p1, y1))) / 2
        #expect(abs(loss - expected) < 1e-12)
    }

    /// Wide rows (13 outputs: one 8-lane block plus a tail), holes in the mask and exact zero
    /// differences, against a plain Double reference.
    @Test(arguments: [LossKind.mse, .l1])
    func wideRowsMatchScalarReference(kind: LossKind) {
        let (steps, batch, outputs) = (5, 3, 13)
        var rng = RandomSource(seed: 8)
        let n = steps * batch * outputs
        let p = FloatBuffer((0..<n).map { _ in Float(rng.normal()) })
        let y = FloatBuffer((0..<n).map { i in i % 5 == 0 ? p[i] : Float(rng.normal()) })
        let mask = FloatBuffer((0..<(steps * batch)).map { $0 % 4 == 1 ? 0 : 1 })
        let grad = FloatBuffer(count: n)
        grad.fill(3)
        let loss = sequenceLoss(kind, predictions: p, targets: y, mask: mask, steps: steps, batchSize: batch,
                                outputs: outputs, gradient: grad)
        var total = 0.0, count = 0
        for i in 0..<n where mask[i / outputs] != 0 {
            let diff = Double(p[i]) - Double(y[i])
            total += kind == .mse ? diff * diff : abs(diff)
            count += 1
        }
        #expect(abs(loss - total / Double(count)) <= 1e-6 * total / Double(count))
        for i in 0..<n {
            let diff = Double(p[i]) - Double(y[i])
            let expected = mask[i / outputs] == 0 ? 0
                : (kind == .mse ? 2 * diff : Double(diff > 0 ? 1 : (diff < 0 ? -1 : 0))) / Double(count)
            #expect(abs(Double(grad[i]) - expected) <= 1e-6 * abs(expected), "[\(i)] \(grad[i]) vs \(expected)")
        }
    }

    @Test func mseAndL1ByHand() {
        // steps 2, batch 2, outputs 1; entry (1, 1) masked.
        let p = FloatBuffer([1, 2, 3, 100]), y = FloatBuffer([0, 2, 5, 0]), m = FloatBuffer([1, 1, 1, 0])
        let g = FloatBuffer(count: 4)
        let mse = sequenceLoss(.mse, predictions: p, targets: y, mask: m, steps: 2, batchSize: 2, outputs: 1, gradient: g)
        #expect(abs(mse - 5.0 / 3) < 1e-12)
        #expect(g.array == [Float(2.0 / 3), 0, Float(-4.0 / 3), 0])
        let l1 = sequenceLoss(.l1, predictions: p, targets: y, mask: m, steps: 2, batchSize: 2, outputs: 1, gradient: g)
        #expect(abs(l1 - 1) < 1e-12)
        #expect(g.array == [Float(1.0 / 3), 0, Float(-1.0 / 3), 0])
    }
}
