import Foundation
import SeqNet

/// Measurements of live prediction for `emofuse bench stream` (never run by the tests).
public enum LiveBench {
    /// Writes a causal system with the paper's shape and random weights into `folder`
    /// (`checkpoints/`): per set an auto-encoder `re-<set>` and a regressor `pred-<set>-arousal`
    /// over `[set, re-<set>]`, and the fusion model `pred-fusion-arousal` over the predictions and
    /// REs; unidirectional GRUs of `layers` × `hidden`, identity normalisation. Compute time does
    /// not depend on the weights, so this stands in for a trained system of the same shape.
    /// Returns the fusion checkpoint.
    public static func makeRandomCausalSystem(in folder: URL, sets: [(name: String, width: Int)],
                                              cell: CellType = .gru, hidden: Int = 64, layers: Int = 4,
                                              seed: UInt64 = 1) throws -> URL {
        let checkpoints = folder.appendingPathComponent("checkpoints")
        try FileManager.default.createDirectory(at: checkpoints, withIntermediateDirectories: true)
        var seed = seed
        func save(_ name: String, _ role: ModelRole, _ inputs: [String], inputSize: Int, outputSize: Int) throws {
            let config = NetworkConfig(cell: cell, inputSize: inputSize, hiddenSize: hidden, numLayers: layers,
                                       bidirectional: false, outputSize: outputSize)
            seed += 1
            let card = ModelCard(name: name, role: role, inputs: inputs, emotion: role == .autoencoder ? nil : "arousal",
                                 normalizer: .identity(dim: inputSize),
                                 candidate: Candidate(spec: ModelSpec(cell: cell, bidirectional: false, hiddenSize: hidden,
                                                                      layers: layers, dropout: 0), learningRate: 0, seed: seed),
                                 loss: role == .autoencoder ? .mse : .ccc)
            try ModelStore.save(SequenceNetwork(config: config, seed: seed), card: card,
                                to: checkpoints.appendingPathComponent("\(name).safetensors"))
        }
        for (name, width) in sets {
            try save("re-\(name)", .autoencoder, [name], inputSize: width, outputSize: width)
            try save("pred-\(name)-arousal", .regressor, [name, "re-\(name)"], inputSize: width + 1, outputSize: 1)
        }
        let fusionInputs = sets.map { "pred-\($0.name)-arousal" } + sets.map { "re-\($0.name)" }
        try save("pred-fusion-arousal", .fusion, fusionInputs, inputSize: fusionInputs.count, outputSize: 1)
        return checkpoints.appendingPathComponent("pred-fusion-arousal.safetensors")
    }

    public struct Timing: Sendable {
        public var steps: Int
        /// Seconds per step: median, 99th percentile, max (wall clock), and mean thread CPU time.
        public var median: Double, p99: Double, max: Double, meanCPU: Double
    }

    /// Steps `system` `steps` times on random frames (after `warmup` steps) and times every step
    /// on this thread: wall clock per step and the thread's CPU time over all of them.
    public static func timeSteps(_ system: LiveSystem, steps: Int, warmup: Int = 200, seed: UInt64 = 3) throws -> Timing {
        let stream = try system.makeStream()
        var rng = RandomSource(seed: seed)
        let frames: [[Float]] = system.featureSets.map { set in (0..<system.width(of: set)!).map { _ in rng.uniform(-2, 2) } }
        func fill() {
            for (k, set) in system.featureSets.enumerated() {
                frames[k].withUnsafeBufferPointer { stream.rowBuffer(set)!.update(from: $0.baseAddress!, count: $0.count) }
            }
        }
        for _ in 0..<warmup { fill(); _ = stream.advance() }
        var times = [Double](repeating: 0, count: steps)
        let clock = ContinuousClock()
        let cpu0 = threadCPUTime()
        for i in 0..<steps {
            fill()
            let t0 = clock.now
            _ = stream.advance()
            let d = t0.duration(to: clock.now)
            times[i] = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        let cpu = threadCPUTime() - cpu0
        times.sort()
        return Timing(steps: steps, median: times[steps / 2], p99: times[min(steps - 1, steps * 99 / 100)],
                      max: times[steps - 1], meanCPU: cpu / Double(steps))
    }

    /// Seconds of CPU time this thread has used.
    static func threadCPUTime() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
