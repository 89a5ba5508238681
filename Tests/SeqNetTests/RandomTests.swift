import Testing
@testable import SeqNet

@Suite struct RandomTests {
    @Test func sameSeedSameSequence() {
        var a = RandomSource(seed: 42), b = RandomSource(seed: 42), c = RandomSource(seed: 43)
        let xa = (0..<100).map { _ in a.next() }
        let xb = (0..<100).map { _ in b.next() }
        let xc = (0..<100).map { _ in c.next() }
        #expect(xa == xb)
        #expect(xa != xc)
    }

    @Test func uniformMomentsAndRange() {
        var r = RandomSource(seed: 7)
        var sum = 0.0, sq = 0.0
        let n = 200_000
        for _ in 0..<n {
            let x = Double(r.nextFloat())
            #expect(x >= 0 && x < 1)
            sum += x; sq += x * x
        }
        let mean = sum / Double(n), variance = sq / Double(n) - mean * mean
        #expect(abs(mean - 0.5) < 0.005)
        #expect(abs(variance - 1.0 / 12) < 0.002)
    }

    @Test func normalMoments() {
        var r = RandomSource(seed: 9)
        let n = 100_000
        let xs = (0..<n).map { _ in r.normal() }
        let mean = xs.reduce(0, +) / Double(n)
        let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
        #expect(abs(mean) < 0.02)
        #expect(abs(variance - 1) < 0.02)
    }

    @Test func shuffleIsPermutationAndDeterministic() {
        var r1 = RandomSource(seed: 3), r2 = RandomSource(seed: 3)
        var a = Array(0..<50), b = Array(0..<50)
        r1.shuffle(&a); r2.shuffle(&b)
        #expect(a == b)
        #expect(a.sorted() == Array(0..<50))
        #expect(a != Array(0..<50))
    }
}
