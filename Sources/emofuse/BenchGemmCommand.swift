import ArgumentParser
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SeqNet

/// `emofuse bench gemm`: GFLOP/s of the engine's GEMM on the products a 4-layer BiGRU/BiLSTM
/// (hidden 64, batch 64, 300-step windows) performs, one JSON line per shape.
struct BenchGemmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "GFLOP/s of the GEMM kernel on the recurrent engine's product shapes (one JSON line each).",
        discussion: """
            `gflops`/`us_per_call`: the median of timed samples (each at least --sample-ms long, \
            after a warm-up), then the median over --rounds rounds; `best_gflops`: the fastest \
            sample; `cpu_gflops`: by process CPU time (all threads), which other processes \
            sharing the cores do not inflate. Build with `swift build -c release`.
            """
    )

    @Option(help: "Threads per product (rows or columns of C are split when the product is large).")
    var threads: Int = 1

    @Option(help: "Only shapes whose name contains this text (e.g. rec, in_proj, dW).")
    var only: String?

    @Option(help: "Minimum length of one timed sample, in milliseconds.")
    var sampleMs: Double = 20

    @Option(help: "Timed samples per round.")
    var samples: Int = 7

    @Option(help: "Rounds (the median of the round medians is reported).")
    var rounds: Int = 3

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard sampleMs > 0, samples >= 1, rounds >= 1 else {
            throw ValidationError("--sample-ms, --samples and --rounds must be positive")
        }
    }

    func run() throws {
        for shape in GemmBenchShape.all where only.map({ shape.name.contains($0) }) ?? true {
            let result = shape.measure(threads: threads, sampleSeconds: sampleMs / 1000,
                                       samples: samples, rounds: rounds)
            print(result.json)
        }
    }
}

/// One benchmarked product: C[m×n] = op(A)[m×k] · op(B)[k×n].
struct GemmBenchShape {
    var name: String
    var m: Int, k: Int, n: Int
    var transA: Transpose, transB: Transpose
    /// Whether op(B) is packed once (``GemmPackedB``) and reused, as a recurrent layer does.
    var prepacked = false

    /// The shapes of the performance notes' table (M×K×N), then the engine's own.
    static let all: [GemmBenchShape] = [
        GemmBenchShape(name: "gru_rec_fwd", m: 64, k: 64, n: 192, transA: .none, transB: .none),
        GemmBenchShape(name: "gru_rec_fwd", m: 64, k: 64, n: 192, transA: .none, transB: .transposed),
        GemmBenchShape(name: "gru_rec_fwd", m: 64, k: 64, n: 192, transA: .none, transB: .transposed, prepacked: true),
        GemmBenchShape(name: "gru_rec_bwd", m: 64, k: 192, n: 64, transA: .none, transB: .none),
        GemmBenchShape(name: "gru_rec_bwd", m: 64, k: 192, n: 64, transA: .none, transB: .transposed),
        GemmBenchShape(name: "gru_rec_bwd", m: 64, k: 192, n: 64, transA: .none, transB: .transposed, prepacked: true),
        GemmBenchShape(name: "lstm_rec", m: 64, k: 64, n: 256, transA: .none, transB: .none),
        GemmBenchShape(name: "in_proj", m: 19200, k: 89, n: 192, transA: .none, transB: .none),
        GemmBenchShape(name: "in_proj", m: 19200, k: 89, n: 192, transA: .none, transB: .transposed),
        GemmBenchShape(name: "in_proj", m: 19200, k: 128, n: 192, transA: .none, transB: .none),
        GemmBenchShape(name: "in_proj", m: 19200, k: 4097, n: 192, transA: .none, transB: .none),
        GemmBenchShape(name: "dW_ih", m: 4097, k: 19200, n: 192, transA: .transposed, transB: .none),
        GemmBenchShape(name: "dW_ih", m: 128, k: 19200, n: 192, transA: .transposed, transB: .none),
        GemmBenchShape(name: "dW_hh", m: 64, k: 19200, n: 192, transA: .transposed, transB: .none),
        GemmBenchShape(name: "dX", m: 19200, k: 192, n: 128, transA: .none, transB: .transposed),
        GemmBenchShape(name: "tiny", m: 16, k: 16, n: 16, transA: .none, transB: .none),
        // The products SequenceNetwork issues (PyTorch weight layouts, transposed copies for NN).
        GemmBenchShape(name: "engine_dW_ih", m: 192, k: 19200, n: 89, transA: .transposed, transB: .none),
        GemmBenchShape(name: "engine_dW_ih", m: 192, k: 19200, n: 128, transA: .transposed, transB: .none),
        GemmBenchShape(name: "engine_dW_ih", m: 192, k: 19200, n: 4097, transA: .transposed, transB: .none),
        GemmBenchShape(name: "engine_dW_hh", m: 192, k: 19200, n: 64, transA: .transposed, transB: .none),
        GemmBenchShape(name: "engine_dX", m: 19200, k: 192, n: 89, transA: .none, transB: .none),
        GemmBenchShape(name: "engine_dX", m: 19200, k: 192, n: 128, transA: .none, transB: .none),
        GemmBenchShape(name: "engine_head_ae", m: 19200, k: 128, n: 89, transA: .none, transB: .none),
        GemmBenchShape(name: "engine_head_ae_dW", m: 89, k: 19200, n: 128, transA: .transposed, transB: .none),
        GemmBenchShape(name: "engine_head_ae_dW", m: 4097, k: 19200, n: 128, transA: .transposed, transB: .none),
    ]

    var layout: String {
        (transA == .none ? "N" : "T") + (transB == .none ? "N" : "T") + (prepacked ? "+packed" : "")
    }

    struct Result {
        var shape: GemmBenchShape
        var threads: Int
        /// Median seconds per call.
        var seconds: Double
        /// Fastest sample's seconds per call.
        var bestSeconds: Double
        /// Median process CPU seconds per call (all threads): unaffected by time-slicing with
        /// other processes, so comparable across a busy and an idle machine.
        var cpuSeconds: Double
        var json: String {
            let flops = 2.0 * Double(shape.m) * Double(shape.n) * Double(shape.k)
            return "{\"shape\":\"\(shape.m)x\(shape.k)x\(shape.n)\",\"name\":\"\(shape.name)\","
                + "\"layout\":\"\(shape.layout)\",\"threads\":\(threads),"
                + "\"gflops\":\(EngineBench.rounded(flops / seconds / 1e9, 1)),\"us_per_call\":\(EngineBench.rounded(seconds * 1e6, 2)),"
                + "\"best_gflops\":\(EngineBench.rounded(flops / bestSeconds / 1e9, 1)),"
                + "\"cpu_gflops\":\(EngineBench.rounded(flops / cpuSeconds / 1e9, 1))}"
        }
    }

    /// Median seconds per call.
    func measure(threads: Int, sampleSeconds: Double, samples: Int, rounds: Int) -> Result {
        var rng = RandomSource(seed: 1)
        let a = FloatBuffer(count: m * k), b = FloatBuffer(count: k * n), c = FloatBuffer(count: m * n)
        for i in 0..<a.count { a[i] = rng.uniform(-1, 1) }
        for i in 0..<b.count { b[i] = rng.uniform(-1, 1) }
        let lda = transA == .none ? k : m, ldb = transB == .none ? n : k
        let packed = prepacked ? GemmPackedB(transB, k: k, n: n, b: b.pointer, ldb: ldb) : nil
        let call = {
            if let packed {
                gemm(transA, m: m, a: a.pointer, lda: lda, packedB: packed, beta: 0,
                     c: c.pointer, ldc: n, threads: threads)
            } else {
                gemm(transA, transB, m: m, n: n, k: k, a: a.pointer, lda: lda, b: b.pointer, ldb: ldb,
                     beta: 0, c: c.pointer, ldc: n, threads: threads)
            }
        }
        // Warm-up, and the number of calls that fills one sample.
        var calls = 1
        while true {
            let t = EngineBench.seconds(calls, call)
            if t >= sampleSeconds { break }
            calls = t <= 0 ? calls * 10 : max(calls + 1, Int(Double(calls) * sampleSeconds * 1.2 / t))
        }
        var roundMedians: [Double] = [], cpuMedians: [Double] = []
        var best = Double.infinity
        for _ in 0..<rounds {
            let perCall = (0..<samples).map { _ in EngineBench.timed(calls, call) }
            let wall = perCall.map { $0.wall / Double(calls) }
            roundMedians.append(EngineBench.median(wall))
            cpuMedians.append(EngineBench.median(perCall.map { $0.cpu / Double(calls) }))
            best = min(best, wall.min() ?? best)
        }
        return Result(shape: self, threads: threads, seconds: EngineBench.median(roundMedians),
                      bestSeconds: best, cpuSeconds: EngineBench.median(cpuMedians))
    }
}

/// Timing and formatting helpers shared by the engine benchmarks (`bench gemm`, `bench train`).
enum EngineBench {
    /// Wall-clock seconds for `calls` calls of `body`.
    static func seconds(_ calls: Int, _ body: () -> Void) -> Double {
        timed(calls, body).wall
    }

    /// Wall-clock and process CPU seconds (all threads) for `calls` calls of `body`.
    static func timed(_ calls: Int, _ body: () -> Void) -> (wall: Double, cpu: Double) {
        let cpu0 = processCPUSeconds()
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<calls { body() }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return (wall, processCPUSeconds() - cpu0)
    }

    /// CPU time consumed so far by this process, all threads.
    static func processCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// `value` rounded to `digits` decimals (for compact JSON).
    static func rounded(_ value: Double, _ digits: Int) -> Double {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        return (value * scale).rounded() / scale
    }
}
