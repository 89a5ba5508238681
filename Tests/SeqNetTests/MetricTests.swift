import Testing
@testable import SeqNet

@Suite struct MetricTests {
    @Test func identicalSeriesGiveOne() {
        let x: [Float] = [0.2, -1.5, 3, 0.7, 0.1]
        #expect(abs(concordanceCorrelation(x, x) - 1) < 1e-12)
    }

    @Test func mirroredZeroMeanSeriesGiveMinusOne() {
        let x: [Float] = [1, -2, 3, -2]
        #expect(abs(concordanceCorrelation(x, x.map { -$0 }) + 1) < 1e-12)
    }

    /// Lin's CCC by hand: p = [1, 2, 3], g = [2, 2, 5]: means 2, 3; var_p 2/3, var_g 2; cov 1;
    /// ccc = 2 / (2/3 + 2 + 1) = 6/11.
    @Test func smallExampleByHand() {
        #expect(abs(concordanceCorrelation([1, 2, 3], [2, 2, 5]) - 6.0 / 11) < 1e-12)
    }

    /// A constant offset lowers CCC (unlike Pearson's r).
    @Test func penalisesBias() {
        let g: [Float] = [0, 1, 2, 3, 4]
        let shifted = g.map { $0 + 2 }
        // var 2 each, cov 2, diff 2: 4 / (2 + 2 + 4) = 0.5.
        #expect(abs(concordanceCorrelation(shifted, g) - 0.5) < 1e-12)
    }

    @Test func undefinedCasesGiveZero() {
        #expect(concordanceCorrelation([], []) == 0)
        #expect(concordanceCorrelation([1], [1]) == 0)
        #expect(concordanceCorrelation([0.5, 0.5, 0.5], [0.5, 0.5, 0.5]) == 0)
        #expect(concordanceCorrelation([0.5, 0.5], [1, 1]) == 0)
    }

    @Test func pointerFormAgreesAndOrderOfPairsDoesNotMatter() {
        var rng = RandomSource(seed: 4)
        let p = (0..<101).map { _ in Float(rng.normal()) }
        let g = p.map { $0 * 0.8 + Float(rng.normal()) * 0.3 + 0.1 }
        let direct = concordanceCorrelation(p, g)
        let viaPointers = p.withUnsafeBufferPointer { pp in g.withUnsafeBufferPointer { gg in concordanceCorrelation(pp, gg) } }
        #expect(direct == viaPointers)
        var order = Array(0..<101)
        rng.shuffle(&order)
        #expect(abs(concordanceCorrelation(order.map { p[$0] }, order.map { g[$0] }) - direct) < 1e-12)
        #expect(direct > 0.5 && direct < 1)
    }
}
