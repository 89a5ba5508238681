import ArgumentParser
import Dispatch
import Foundation
import SeqNet
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `emofuse bench` / `emofuse bench train`: training and inference speed of the engine on random
/// data shaped like MuSe-Stress, one JSON line per network configuration.
struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Training/inference speed on random MuSe-Stress-shaped data (one JSON line per configuration).",
        discussion: """
            Data: 41 sequences of 600 steps cut into windows of 300 with hop 50 (287 windows), \
            batches of 64 (the last partial), 4 recurrent layers of 64 units and a linear head, \
            Adam (lr 1e-3); CCC loss for regressors (1 output), MSE for auto-encoders (output = \
            input). One warm-up epoch, then --epochs timed epochs (`epoch_seconds` is their mean). \
            Inference: forward only over 69 whole 600-step sequences in batches of 64. \
            `peak_rss_mb` is the process's peak resident memory while that configuration ran. \
            Without configuration options it runs BiGRU-89, BiGRU-4097, BiGRU-AE-89, BiLSTM-89 \
            and GRU-89 (unidirectional). Build with `swift build -c release`.
            """
    )

    @Option(help: "Worker threads of the network (directions in parallel, large products split).")
    var threads: Int = 1

    @Option(help: "Input features per step (the MuSe-Stress feature sets have 89 … 4097).")
    var inputSize: Int?

    @Option(help: "Recurrent cell: gru or lstm.")
    var cell: String?

    @Flag(help: "One direction instead of two.")
    var unidirectional = false

    @Flag(help: "An auto-encoder (output size = input size, MSE loss) instead of a regressor.")
    var autoencoder = false

    @Option(help: "Timed epochs after the warm-up epoch.")
    var epochs: Int = 2

    @Option(help: "Seed for data, initialisation and shuffling.")
    var seed: UInt64 = 1

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
        if let d = inputSize, d < 1 { throw ValidationError("--input-size must be at least 1") }
        if let c = cell, CellType(rawValue: c) == nil {
            throw ValidationError("--cell must be gru or lstm, got '\(c)'")
        }
    }

    func run() throws {
        let single = inputSize != nil || cell != nil || unidirectional || autoencoder
        if single {
            let config = TrainBenchConfig(cell: cell.flatMap(CellType.init(rawValue:)) ?? .gru,
                                          inputSize: inputSize ?? 89,
                                          bidirectional: !unidirectional, autoencoder: autoencoder)
            print(TrainBench(config: config, threads: threads, epochs: epochs, seed: seed).run())
            fflush(nil)
            return
        }
        // The whole set: each configuration in a fresh process of this executable, so that its
        // peak memory is its own (freed memory of an earlier one stays mapped by malloc).
        for config in TrainBenchConfig.defaultSet {
            var arguments = ["bench", "train", "--threads", "\(threads)", "--epochs", "\(epochs)",
                             "--seed", "\(seed)", "--input-size", "\(config.inputSize)",
                             "--cell", config.cell.rawValue]
            if !config.bidirectional { arguments.append("--unidirectional") }
            if config.autoencoder { arguments.append("--autoencoder") }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0])
            #if os(Linux)
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
            #endif
            process.arguments = arguments
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw ValidationError("bench train \(config.name) exited with status \(process.terminationStatus)")
            }
        }
    }
}

/// One benchmarked network.
struct TrainBenchConfig {
    var cell: CellType
    var inputSize: Int
    var bidirectional: Bool
    var autoencoder: Bool

    static let defaultSet: [TrainBenchConfig] = [
        TrainBenchConfig(cell: .gru, inputSize: 89, bidirectional: true, autoencoder: false),
        TrainBenchConfig(cell: .gru, inputSize: 4097, bidirectional: true, autoencoder: false),
        TrainBenchConfig(cell: .gru, inputSize: 89, bidirectional: true, autoencoder: true),
        TrainBenchConfig(cell: .lstm, inputSize: 89, bidirectional: true, autoencoder: false),
        TrainBenchConfig(cell: .gru, inputSize: 89, bidirectional: false, autoencoder: false),
    ]

    /// e.g. `BiGRU-89`, `BiGRU-AE-89`, `LSTM-128`.
    var name: String {
        (bidirectional ? "Bi" : "") + cell.rawValue.uppercased() + (autoencoder ? "-AE" : "") + "-\(inputSize)"
    }

    var network: NetworkConfig {
        NetworkConfig(cell: cell, inputSize: inputSize, hiddenSize: 64, numLayers: 4,
                      bidirectional: bidirectional, outputSize: autoencoder ? inputSize : 1)
    }

    /// Multiply-adds ×2 of one forward step of one sequence (recurrent layers and head).
    var forwardFlopsPerStep: Double {
        let n = network, dirs = Double(n.bidirectional ? 2 : 1), H = Double(n.hiddenSize)
        let G = Double(n.cell == .gru ? 3 : 4)
        var flops = 0.0
        for layer in 0..<n.numLayers {
            let input = layer == 0 ? Double(n.inputSize) : dirs * H
            flops += dirs * 2 * (input * G * H + H * G * H)
        }
        return flops + 2 * dirs * H * Double(n.outputSize)
    }
}

/// Runs one configuration: data, warm-up, timed epochs, inference.
struct TrainBench {
    static let sequences = 41, sequenceSteps = 600, windowSteps = 300, hop = 50, batchSize = 64
    static let inferenceSequences = 69

    var config: TrainBenchConfig
    var threads: Int
    var epochs: Int
    var seed: UInt64

    func run() -> String {
        PeakMemory.reset()
        let D = config.inputSize
        var rng = RandomSource(seed: seed)
        // Random features (uniform in ±√3: unit variance) and smooth-ish random targets.
        let data = (0..<TrainBench.sequences).map { _ in
            randomBuffer(TrainBench.sequenceSteps * D, scale: 1.732, rng: &rng)
        }
        let labels = (0..<TrainBench.sequences).map { _ in randomWalk(TrainBench.sequenceSteps, rng: &rng) }
        var windows: [(sequence: Int, start: Int)] = []
        for s in 0..<TrainBench.sequences {
            var start = 0
            while start + TrainBench.windowSteps <= TrainBench.sequenceSteps {
                windows.append((s, start)); start += TrainBench.hop
            }
        }

        let net = SequenceNetwork(config: config.network, seed: seed &+ 1)
        net.threads = threads
        let adam = Adam(parameters: net.parameters, options: AdamOptions(learningRate: 1e-3))
        let out = config.network.outputSize
        let T = TrainBench.windowSteps, B = TrainBench.batchSize
        var trainBuffers: [Int: BatchBuffers] = [:]   // by batch size (full and last partial)
        var shuffle = rng.derived(stream: 7)
        var dropoutRNG = rng.derived(stream: 8)

        /// One epoch; returns the mean batch loss.
        func epoch() -> Double {
            var order = Array(windows.indices)
            shuffle.shuffle(&order)
            var total = 0.0, batches = 0
            var first = 0
            while first < order.count {
                let count = min(B, order.count - first)
                let buffers = trainBuffers[count] ?? BatchBuffers(steps: T, batch: count, features: D, outputs: out)
                trainBuffers[count] = buffers
                // Time-major batch of `count` windows (all windows are full length).
                for (b, w) in order[first..<first + count].enumerated() {
                    let (s, start) = windows[w]
                    for t in 0..<T {
                        let src = data[s].pointer + (start + t) * D
                        (buffers.inputs.pointer + (t * count + b) * D).update(from: src, count: D)
                        let dst = buffers.targets.pointer + (t * count + b) * out
                        if config.autoencoder { dst.update(from: src, count: D) }
                        else { dst[0] = labels[s][start + t] }
                    }
                }
                let prediction = net.forward(buffers.batch, training: true, rng: &dropoutRNG)
                net.zeroGradients()
                total += sequenceLoss(config.autoencoder ? .mse : .ccc, predictions: prediction,
                                      targets: buffers.targets, mask: buffers.mask, steps: T,
                                      batchSize: count, outputs: out, gradient: buffers.gradient)
                net.backward(buffers.gradient)
                adam.step()
                batches += 1
                first += count
            }
            return total / Double(batches)
        }

        _ = epoch()   // warm-up: workspaces, scratch, page faults
        var seconds = 0.0, loss = 0.0
        for _ in 0..<epochs {
            let start = DispatchTime.now().uptimeNanoseconds
            loss = epoch()
            seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        let epochSeconds = seconds / Double(epochs)

        // Inference: whole sequences, batches of 64.
        let inferSteps = TrainBench.sequenceSteps
        var inferBuffers: [Int: BatchBuffers] = [:]
        for count in [B, TrainBench.inferenceSequences % B] where count > 0 {
            inferBuffers[count] = BatchBuffers(steps: inferSteps, batch: count, features: D, outputs: 0)
        }
        var remaining = TrainBench.inferenceSequences, sequence = 0
        let start = DispatchTime.now().uptimeNanoseconds
        while remaining > 0 {
            let count = min(B, remaining)
            let buffers = inferBuffers[count]!
            for b in 0..<count {
                let src = data[(sequence + b) % TrainBench.sequences].pointer
                for t in 0..<inferSteps {
                    (buffers.inputs.pointer + (t * count + b) * D).update(from: src + t * D, count: D)
                }
            }
            _ = net.forward(buffers.batch, training: false, rng: &dropoutRNG)
            remaining -= count; sequence += count
        }
        let inferSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let inferStepsPerSecond = Double(TrainBench.inferenceSequences * inferSteps) / inferSeconds
        let trainFlops = 3 * config.forwardFlopsPerStep * Double(windows.count * T)

        let r = EngineBench.rounded
        return "{\"config\":\"\(config.name)\",\"threads\":\(threads),\"epochs\":\(epochs),"
            + "\"windows\":\(windows.count),\"batch\":\(B),"
            + "\"epoch_seconds\":\(r(epochSeconds, 3)),"
            + "\"approx_train_gflops\":\(r(trainFlops / epochSeconds / 1e9, 1)),"
            + "\"inference_steps_per_second\":\(Int(inferStepsPerSecond.rounded())),"
            + "\"inference_seconds\":\(r(inferSeconds, 3)),"
            + "\"peak_rss_mb\":\(r(PeakMemory.megabytes(), 1)),"
            + "\"last_epoch_loss\":\(r(loss, 5))}"
    }

    private func randomBuffer(_ count: Int, scale: Float, rng: inout RandomSource) -> FloatBuffer {
        let b = FloatBuffer(count: count)
        for i in 0..<count { b[i] = rng.uniform(-scale, scale) }
        return b
    }

    /// A bounded random walk in [-1, 1] (label-like: slowly varying).
    private func randomWalk(_ count: Int, rng: inout RandomSource) -> [Float] {
        var v: Float = 0
        return (0..<count).map { _ in
            v = max(-1, min(1, v + rng.uniform(-0.05, 0.05)))
            return v
        }
    }
}

/// Reused buffers of one batch size: inputs `[steps × batch × features]`, targets and loss
/// gradient `[steps × batch × outputs]`, mask `[steps × batch]` (all ones: windows are full length).
struct BatchBuffers {
    let inputs: FloatBuffer, targets: FloatBuffer, gradient: FloatBuffer, mask: FloatBuffer
    let batch: SequenceBatch

    init(steps: Int, batch size: Int, features: Int, outputs: Int) {
        inputs = FloatBuffer(count: steps * size * features)
        targets = FloatBuffer(count: steps * size * outputs)
        gradient = FloatBuffer(count: steps * size * outputs)
        mask = FloatBuffer(count: steps * size)
        mask.fill(1)
        batch = SequenceBatch(steps: steps, batchSize: size, features: features,
                              lengths: Array(repeating: steps, count: size), values: inputs)
    }
}

/// Peak resident memory of this process (Linux: `VmHWM` of /proc/self/status, which `reset()`
/// restarts from the current size; elsewhere `getrusage`'s lifetime maximum).
enum PeakMemory {
    static func reset() {
        #if os(Linux)
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        if fd >= 0 {
            _ = write(fd, "5", 1)
            close(fd)
        }
        #endif
    }

    static func megabytes() -> Double {
        #if os(Linux)
        if let kb = statusField("VmHWM:") { return Double(kb) / 1024 }
        #endif
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024          // kilobytes
        #else
        getrusage(RUSAGE_SELF, &usage)
        return Double(usage.ru_maxrss) / 1_048_576     // bytes
        #endif
    }

    /// The number after `name` in /proc/self/status (kB).
    private static func statusField(_ name: String) -> Int? {
        guard let file = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), file) != nil {
            let bytes = line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            let text = String(decoding: bytes, as: UTF8.self)
            if text.hasPrefix(name) {
                return Int(text.dropFirst(name.count).filter { $0.isNumber })
            }
        }
        return nil
    }
}
