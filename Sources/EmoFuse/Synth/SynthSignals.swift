import Foundation

/// A half-open range of rows `startStep..<endStep` of one subject.
public struct SynthStretch: Codable, Sendable, Equatable {
    public var startStep: Int
    public var endStep: Int

    public init(startStep: Int, endStep: Int) {
        self.startStep = startStep
        self.endStep = endStep
    }

    public func contains(_ step: Int) -> Bool { step >= startStep && step < endStep }
}

/// Random signals the generator is built from. Every function draws only from the generator it
/// is given, in a fixed order, so the same seed gives the same numbers.
enum SynthSignals {
    /// Approximately standard normal from one 64-bit draw: the sum of four 16-bit uniforms
    /// (Irwin–Hall), centred and scaled to variance 1. Bounded by ±3.46; used for per-cell
    /// noise, where a Box–Muller draw per cell would dominate the generation time.
    @inline(__always)
    static func cellNoise(_ rng: inout RandomSource) -> Float {
        let b = rng.next()
        let s = (b & 0xFFFF) &+ ((b >> 16) & 0xFFFF) &+ ((b >> 32) & 0xFFFF) &+ (b >> 48)
        return (Float(s) * (1.0 / 65_536) + (2.0 / 65_536 - 2)) * 1.732_050_8
    }

    /// `count` values of smooth noise with zero mean and unit standard deviation: white noise
    /// run forwards and backwards through a one-pole low-pass with time constant `timeScale`
    /// steps (a zero-phase smoother), with `3·timeScale` warm-up steps cut off at each end.
    static func smoothNoise(count: Int, timeScale: Double, rng: inout RandomSource) -> [Double] {
        let pad = Int((3 * timeScale).rounded(.up))
        let n = count + 2 * pad
        var x = [Double](repeating: 0, count: n)
        for i in 0..<n { x[i] = rng.normal() }
        let a = exp(-1 / max(timeScale, 1e-6))
        for i in 1..<n { x[i] = a * x[i - 1] + (1 - a) * x[i] }
        if n > 1 { for i in stride(from: n - 2, through: 0, by: -1) { x[i] = a * x[i + 1] + (1 - a) * x[i] } }
        return standardized(Array(x[pad..<(pad + count)]))
    }

    /// A random walk of `count` steps (cumulative sum of normal increments), standardized to
    /// zero mean and unit standard deviation: slow drifts unrelated to the emotions.
    static func randomWalk(count: Int, rng: inout RandomSource) -> [Double] {
        var x = [Double](repeating: 0, count: count)
        var s = 0.0
        for i in 0..<count { s += rng.normal(); x[i] = s }
        return standardized(x)
    }

    /// `x` shifted to zero mean and scaled to unit standard deviation (unchanged scale when flat).
    static func standardized(_ x: [Double]) -> [Double] {
        guard !x.isEmpty else { return x }
        let mean = x.reduce(0, +) / Double(x.count)
        let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count)
        let inv = variance > 1e-24 ? 1 / variance.squareRoot() : 1
        return x.map { ($0 - mean) * inv }
    }

    /// A Poisson-distributed count with the given mean (Knuth's method), capped at `cap`.
    static func poisson(mean: Double, cap: Int, rng: inout RandomSource) -> Int {
        guard mean > 0 else { return 0 }
        let limit = exp(-mean)
        var k = 0
        var p = rng.nextDouble()
        while p > limit && k < cap { k += 1; p *= rng.nextDouble() }
        return k
    }

    /// Non-overlapping stretches for one subject of `steps` rows, sorted by start, at least two
    /// rows apart. Draws that would overlap are retried (20 tries each) and then given up.
    static func stretches(steps: Int, spec: SynthStretchSpec, rng: inout RandomSource) -> [SynthStretch] {
        let count = poisson(mean: spec.meanCount, cap: 4, rng: &rng)
        var out: [SynthStretch] = []
        for _ in 0..<count {
            for _ in 0..<20 {
                let fraction = spec.minFraction + (spec.maxFraction - spec.minFraction) * rng.nextDouble()
                let length = min(steps, max(2, Int((fraction * Double(steps)).rounded())))
                let start = rng.nextInt(below: steps - length + 1)
                let candidate = SynthStretch(startStep: start, endStep: start + length)
                let clashes = out.contains {
                    candidate.startStep < $0.endStep + 2 && $0.startStep < candidate.endStep + 2
                }
                if !clashes { out.append(candidate); break }
            }
        }
        return out.sorted { $0.startStep < $1.startStep }
    }

    /// A 64-bit FNV-1a hash of `text`'s UTF-8 bytes: a stable stream number per feature-set name
    /// (independent of the set's position in the preset).
    static func stableHash(_ text: String) -> UInt64 { fnv1a64(text.utf8) }
}
