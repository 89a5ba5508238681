import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The engine's best sustained GEMM speed on this machine, the yardstick for "share of peak":
/// the two largest input projections of the paper's networks (`[19200 × 128] · [128 × 192]` and
/// `[19200 × 4097] · [4097 × 192]`, both operands as stored), each timed over 5 samples of at
/// least 50 ms after a warm-up; the better shape's median. About 1 s of work.
public enum GemmPeak {
    /// GFLOP/s by wall time and by process CPU time (all threads).
    public static func measure(threads: Int) -> (wall: Double, cpu: Double) {
        var wall = 0.0, cpu = 0.0
        for k in [128, 4097] {
            let r = measure(m: 19200, k: k, n: 192, threads: threads)
            wall = max(wall, r.wall)
            cpu = max(cpu, r.cpu)
        }
        return (wall, cpu)
    }

    /// GFLOP/s of `C[m×n] = A[m×k] · B[k×n]` (median of 5 samples, wall and CPU).
    public static func measure(m: Int, k: Int, n: Int, threads: Int,
                               sampleSeconds: Double = 0.05, samples: Int = 5) -> (wall: Double, cpu: Double) {
        var rng = RandomSource(seed: 1)
        let a = FloatBuffer(count: m * k), b = FloatBuffer(count: k * n), c = FloatBuffer(count: m * n)
        for i in 0..<a.count { a[i] = rng.uniform(-1, 1) }
        for i in 0..<b.count { b[i] = rng.uniform(-1, 1) }
        let call = {
            gemm(.none, .none, m: m, n: n, k: k, a: a.pointer, lda: k, b: b.pointer, ldb: n,
                 beta: 0, c: c.pointer, ldc: n, threads: threads)
        }
        var calls = 1                   // warm-up, and the number of calls that fills a sample
        while true {
            let t = timed(calls, call).wall
            if t >= sampleSeconds { break }
            calls = t <= 0 ? calls * 10 : max(calls + 1, Int(Double(calls) * sampleSeconds * 1.2 / t))
        }
        let runs = (0..<samples).map { _ in timed(calls, call) }
        let flops = 2 * Double(m) * Double(n) * Double(k) * Double(calls)
        return (flops / median(runs.map(\.wall)) / 1e9, flops / median(runs.map(\.cpu)) / 1e9)
    }

    /// Wall-clock and process CPU seconds (all threads) of `calls` calls of `body`.
    public static func timed(_ calls: Int, _ body: () -> Void) -> (wall: Double, cpu: Double) {
        let cpu0 = processCPUSeconds()
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<calls { body() }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return (wall, processCPUSeconds() - cpu0)
    }

    /// CPU time consumed so far by this process, all threads.
    public static func processCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
