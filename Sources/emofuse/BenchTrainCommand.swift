import ArgumentParser
import Dispatch
import EmoFuse
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
            Runs the product's own training loop (`Trainer.train` on `ModelData`, as `emofuse run` \
            does) on random data shaped like MuSe-Stress: 41 train sequences of 600 steps cut into \
            windows of 300 with hop 50 (287 windows, batches of 64, the last partial), 14 devel \
            sequences of 600 steps scored after every epoch (early stopping's metric; part of the \
            epoch), 4 recurrent layers of 64 units, dropout 0.2 and a linear head, Adam (lr 1e-3); \
            CCC loss for regressors (1 output), MSE for auto-encoders (output = input). One \
            warm-up epoch, then --epochs timed epochs (`epoch_seconds` is their mean wall time, \
            `epoch_cpu_seconds` their mean process CPU time, all threads). \
            FLOPs are counted analytically (`NetworkConfig.forwardFlops/backwardFlops`): 2·m·n·k \
            for every GEMM the engine issues (layer 0 computes no input gradient; the first \
            step's hidden product is skipped) plus the gate kernels' element-wise operations; \
            dropout, loss, bias sums and Adam are not counted. `train_gflops` = counted FLOPs of \
            an epoch (training and devel scoring) / epoch_seconds; `train_cpu_gflops` the same per \
            CPU second. `gemm_peak_gflops` / `gemm_peak_cpu_gflops`: the best figure of `bench \
            gemm` on its two largest input-projection shapes, measured in this process with the \
            same threads; `share_of_gemm_peak` (wall) and `cpu_share_of_gemm_peak` compare them. \
            Inference: what `emofuse run` computes of a trained model over 69 whole 600-step \
            sequences (sorted; batches of 18, 18, 18 and 15): `Inference.predict` for regressors, the per-step \
            reconstruction error (`Inference.reconstructionErrors`) for auto-encoders; 3 runs, the \
            median reported; `inference_gflops` counts their forward FLOPs the same way (the RE's \
            subtraction and sum are not counted) and `inference_share_of_gemm_peak` compares it \
            with the GEMM's best figure. \
            `peak_rss_mb` is the process's peak resident memory while that configuration ran. \
            Without configuration options it runs BiGRU-89, BiGRU-4097, BiGRU-AE-89, BiLSTM-89 \
            and GRU-89 (unidirectional), each in its own process. On a machine shared with other \
            work, compare the CPU figures. Build with `swift build -c release`.
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
            print(try TrainBench(config: config, threads: threads, epochs: epochs, seed: seed).run())
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

    var spec: ModelSpec {
        ModelSpec(cell: cell, bidirectional: bidirectional, hiddenSize: 64, layers: 4, dropout: 0.2)
    }

    /// The network `Trainer` builds from `spec` (for counting its FLOPs).
    var network: NetworkConfig {
        let s = spec
        return NetworkConfig(cell: s.cell, inputSize: inputSize, hiddenSize: s.hiddenSize, numLayers: s.layers,
                             bidirectional: s.bidirectional, outputSize: autoencoder ? inputSize : 1,
                             dropout: s.dropout)
    }
}

/// Runs one configuration through the product's `Trainer` and `Inference`.
struct TrainBench {
    static let trainSequences = 41, develSequences = 14, testSequences = 14, sequenceSteps = 600
    static let windowSteps = 300, hop = 50, batchSize = 64, inferenceRuns = 3

    var config: TrainBenchConfig
    var threads: Int
    var epochs: Int
    var seed: UInt64

    func run() throws -> String {
        let data = makeData()
        var options = TrainingOptions()
        options.maxEpochs = 1 + epochs
        options.patience = options.maxEpochs + 1      // never stop early: every epoch is timed
        options.batchSize = TrainBench.batchSize
        options.windowLength = TrainBench.windowSteps
        options.windowHop = TrainBench.hop
        options.learningRate = 1e-3
        options.threads = threads
        let train = data.sequences(in: .train)

        // Epoch boundaries: the progress callback runs at the end of every epoch.
        var marks: [(wall: UInt64, cpu: Double)] = []
        var records: [EpochRecord] = []
        PeakMemory.reset()
        let result = try Trainer.train(data: data, spec: config.spec, options: options,
                                       objective: config.autoencoder ? .reconstruction : .regression,
                                       seed: seed) { record in
            marks.append((DispatchTime.now().uptimeNanoseconds, EngineBench.processCPUSeconds()))
            records.append(record)
        }
        let timed = marks.count - 1                     // the first epoch is the warm-up
        let epochSeconds = Double(marks[timed].wall - marks[0].wall) / 1e9 / Double(timed)
        let epochCPU = (marks[timed].cpu - marks[0].cpu) / Double(timed)

        // Counted work of one epoch, as the Trainer counts it (every batch forward and backward,
        // then the devel forward); the timed epochs all have the same shapes.
        let windows = trainingWindows(rows: train.map(\.rows), length: options.windowLength, hop: options.windowHop)
        let net = config.network
        let epochGflop = records.dropFirst().reduce(0) { $0 + ($1.gflop ?? 0) } / Double(timed)
        let gateShare = (net.forwardFlops(steps: TrainBench.windowSteps, batch: windows.count).gates
            + net.backwardFlops(steps: TrainBench.windowSteps, batch: windows.count).gates)
            / (net.forwardFlops(steps: TrainBench.windowSteps, batch: windows.count).total
            + net.backwardFlops(steps: TrainBench.windowSteps, batch: windows.count).total)

        // Inference over every sequence, whole, as the product predicts.
        let network = result.network
        // Three runs, the median reported (the first runs on freshly allocated buffers, as
        // `emofuse run`'s prediction after training does).
        // An auto-encoder's product output is its per-step RE (`emofuse run` writes that feature
        // set), computed from the batch output; a regressor's is its prediction.
        let inferRuns = (0..<TrainBench.inferenceRuns).map { _ in
            EngineBench.timed(1) {
                _ = config.autoencoder ? Inference.reconstructionErrors(network, sequences: data.sequences)
                                       : Inference.predict(network, sequences: data.sequences)
            }
        }.sorted { $0.wall < $1.wall }
        let (inferWall, inferCPU) = inferRuns[inferRuns.count / 2]
        let inferSteps = Double(data.sequences.reduce(0) { $0 + $1.rows })
        let inferGflop = data.sequences.reduce(0) { $0 + net.forwardFlops(steps: $1.rows, batch: 1).total } / 1e9
        let peakMemory = PeakMemory.megabytes()

        let peak = GemmPeak.measure(threads: threads)
        let r = EngineBench.rounded
        let wallGflops = epochGflop / epochSeconds, cpuGflops = epochGflop / epochCPU
        return "{\"config\":\"\(config.name)\",\"threads\":\(threads),\"epochs\":\(timed),"
            + "\"windows\":\(windows.count),\"batch\":\(options.batchSize),"
            + "\"epoch_seconds\":\(r(epochSeconds, 3)),\"epoch_cpu_seconds\":\(r(epochCPU, 3)),"
            + "\"train_gflop_per_epoch\":\(r(epochGflop, 1)),"
            + "\"gate_share_of_flops\":\(r(gateShare, 4)),"
            + "\"train_gflops\":\(r(wallGflops, 1)),\"train_cpu_gflops\":\(r(cpuGflops, 1)),"
            + "\"gemm_peak_gflops\":\(r(peak.wall, 1)),\"gemm_peak_cpu_gflops\":\(r(peak.cpu, 1)),"
            + "\"share_of_gemm_peak\":\(r(wallGflops / peak.wall, 3)),"
            + "\"cpu_share_of_gemm_peak\":\(r(cpuGflops / peak.cpu, 3)),"
            + "\"inference_steps_per_second\":\(Int((inferSteps / inferWall).rounded())),"
            + "\"inference_seconds\":\(r(inferWall, 3)),\"inference_cpu_seconds\":\(r(inferCPU, 3)),"
            + "\"inference_gflops\":\(r(inferGflop / inferWall, 1)),"
            + "\"inference_share_of_gemm_peak\":\(r(inferGflop / inferWall / peak.wall, 3)),"
            + "\"peak_rss_mb\":\(r(peakMemory, 1)),"
            + "\"last_epoch_loss\":\(r(records.last?.trainLoss ?? .nan, 5)),"
            + "\"devel_metric\":\(r(records.last?.develMetric ?? .nan, 5))}"
    }

    /// 41 train, 14 devel and 14 test sequences of 600 steps: features uniform in ±√3 (unit
    /// variance), targets a bounded random walk (regressors) or the features (auto-encoders).
    private func makeData() -> ModelData {
        let D = config.inputSize, steps = TrainBench.sequenceSteps
        var rng = RandomSource(seed: seed)
        let parts: [(Partition, Int)] = [(.train, TrainBench.trainSequences), (.devel, TrainBench.develSequences),
                                         (.test, TrainBench.testSequences)]
        var sequences: [ModelSequence] = []
        for (partition, count) in parts {
            for i in 0..<count {
                let x = (0..<steps * D).map { _ in rng.uniform(-1.732, 1.732) }
                var v: Float = 0
                let y = config.autoencoder ? x : (0..<steps).map { _ -> Float in
                    v = max(-1, min(1, v + rng.uniform(-0.05, 0.05)))
                    return v
                }
                sequences.append(ModelSequence(id: "\(partition.rawValue)_\(i)", partition: partition,
                                               rows: steps, inputs: x, targets: y))
            }
        }
        return ModelData(inputSize: D, outputSize: config.autoencoder ? D : 1, sequences: sequences)
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
