import ArgumentParser
import EmoFuse
import Foundation

/// `emofuse bench stream`: per-step compute of a causal system of the paper's shape, and the
/// end-to-end latency of `emofuse stream` through pipes.
struct BenchStreamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream",
        abstract: "Live prediction: per-step compute of the causal paper system (3 sets, AE + regressor + fusion; random weights of the trained shape) and end-to-end latency through a pipe.")

    @Option(help: "Sets and widths, NAME=WIDTH comma-separated (the paper's fusion sets at MuSe's widths).")
    var sets: String = "egemaps=88,vggface=512,fau_intensity=17"
    @Option(help: "Hidden units.") var hidden: Int = 64
    @Option(help: "Recurrent layers.") var layers: Int = 4
    @Option(help: "Cell: gru or lstm.") var cell: String = "gru"
    @Option(help: "Timed steps.") var steps: Int = 5000
    @Option(help: "Steps sent through `emofuse stream` for the latency (0: skip).") var pipeSteps: Int = 1000

    func run() throws {
        let parsed: [(name: String, width: Int)] = try sets.split(separator: ",").map {
            let p = $0.split(separator: "=")
            guard p.count == 2, let w = Int(p[1]), w > 0 else { throw ValidationError("--sets: expected NAME=WIDTH,…") }
            return (String(p[0]), w)
        }
        guard let cellType = CellType(rawValue: cell) else { throw ValidationError("--cell: gru or lstm") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("emofuse-bench-stream-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let checkpoint = try LiveBench.makeRandomCausalSystem(in: folder, sets: parsed, cell: cellType,
                                                              hidden: hidden, layers: layers)
        let system = try LiveSystem(checkpoint: checkpoint)
        let t = try LiveBench.timeSteps(system, steps: steps)
        func us(_ s: Double) -> String { String(format: "%.1f", s * 1e6) }
        print("{\"bench\":\"stream-compute\",\"models\":\(system.modelNames.count),\"sets\":\"\(sets)\",\"cell\":\"\(cell)\",\"hidden\":\(hidden),\"layers\":\(layers),\"steps\":\(t.steps),\"median_us\":\(us(t.median)),\"p99_us\":\(us(t.p99)),\"max_us\":\(us(t.max)),\"cpu_mean_us\":\(us(t.meanCPU))}")
        if pipeSteps > 0 { try pipeLatency(checkpoint: checkpoint, system: system) }
    }

    /// Runs `emofuse stream --checkpoint` as a child; for each step writes one line per set and
    /// times from writing the step's last line to reading its output line.
    private func pipeLatency(checkpoint: URL, system: LiveSystem) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        p.arguments = ["stream", "--checkpoint", checkpoint.path, "--quiet"]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        let out = output.fileHandleForReading, inp = input.fileHandleForWriting
        var pending = Data()
        func readLine() -> Bool {
            while true {
                if let nl = pending.firstIndex(of: 10) { pending.removeSubrange(...nl); return true }
                let chunk = out.availableData
                if chunk.isEmpty { return false }
                pending.append(chunk)
            }
        }
        guard readLine() else { throw ValidationError("emofuse stream gave no header") }
        let lines: [[Data]] = (0..<pipeSteps).map { step in
            system.featureSets.map { set in
                let cells = (0..<system.width(of: set)!).map { j in String(format: "%.4f", sin(Double(step * 31 + j) * 0.1)) }
                return Data("\(set),\(step * 500),1,\(cells.joined(separator: ","))\n".utf8)
            }
        }
        let clock = ContinuousClock()
        var times: [Double] = []
        for step in 0..<pipeSteps {
            for line in lines[step].dropLast() { inp.write(line) }
            let t0 = clock.now
            inp.write(lines[step].last!)
            guard readLine() else { throw ValidationError("emofuse stream stopped at step \(step)") }
            let d = t0.duration(to: clock.now)
            times.append(Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
        }
        try inp.close()
        p.waitUntilExit()
        times.sort()
        let n = times.count
        func us(_ s: Double) -> String { String(format: "%.1f", s * 1e6) }
        print("{\"bench\":\"stream-pipe-latency\",\"steps\":\(n),\"median_us\":\(us(times[n / 2])),\"p99_us\":\(us(times[min(n - 1, n * 99 / 100)])),\"max_us\":\(us(times[n - 1]))}")
    }
}
