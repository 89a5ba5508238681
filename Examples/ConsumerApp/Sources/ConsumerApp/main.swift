// The README's library example, built and run as a consumer sees the API (`import EmoFuse`, public
// symbols only). Usage: ConsumerApp [RUN DATA SUBJECT]; without arguments it first trains a small
// causal system on synthetic data (a few seconds) so that it runs anywhere, CI included.
import EmoFuse
import Foundation

func tinyCausalSystem() throws -> (run: URL, data: URL, subject: String) {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("emofuse-consumer-\(getpid())")
    let data = root.appendingPathComponent("data"), run = root.appendingPathComponent("run")
    _ = try generateSyntheticDataset(preset: .tiny, seed: 7, to: data, overwrite: true, threads: 2) { _ in }
    var config = RunConfiguration()
    config.featureSets = ["egemaps", "vggface", "fau_intensity"]
    config.emotions = ["arousal"]
    config.causal = true                          // every model unidirectional, auto-encoders included
    config.network = NetworkShape(hiddenSize: 16, layers: 2)
    config.training.maxEpochs = 5
    config.training.windowLength = 60
    config.training.windowHop = 20
    config.robustness = false
    _ = try PaperSystem.run(config, context: RunContext(data: data, run: run))
    let subject = try MuseDataset(root: data).subjects(in: .devel)[0].id
    return (run, data, subject)
}

let args = CommandLine.arguments
let (run, data, subject) = try args.count == 4
    ? (URL(fileURLWithPath: args[1]), URL(fileURLWithPath: args[2]), args[3])
    : tinyCausalSystem()

// --- README example ---------------------------------------------------------------------
// Load the fusion model of a causal run and everything it reads (auto-encoders, unimodal models).
let system = try LiveSystem(run: run, emotion: "arousal")
print("inputs:", system.featureSets.map { "\($0) (\(system.width(of: $0)!) columns)" }.joined(separator: ", "))

// A whole recording at once: one value per row, plus each auto-encoder's reconstruction error.
let recording = try Recording.load(data: data, subject: subject, sets: system.featureSets)
let trace = try system.predict(recording)
print("predict: \(trace.values.count) steps, first \(trace.values[0])")

// The same recording frame by frame, as it would arrive live.
let stream = try system.makeStream()
var live: [Float] = []
for t in 0..<trace.values.count {
    var frame: [String: [Float]] = [:]
    for set in system.featureSets {
        let w = system.width(of: set)!
        frame[set] = Array(recording.features[set]![(t * w)..<((t + 1) * w)])
    }
    if t % 10 == 5 { frame["vggface"] = nil }     // face lost now and then: the set is missing
    live.append(try stream.push(frame))
}
print("stream: \(live.count) steps, first \(live[0])")

// Errors are typed.
do {
    _ = try stream.push(["bert-4": [0.5]])
} catch {
    print("error as expected: \(error)")     // `error` is a LiveError (typed throws)
}
// --- end of README example ---------------------------------------------------------------

// The check that makes this a test: with no frame left out, streaming equals predict.
stream.reset()
var equal = true
for t in 0..<trace.values.count {
    var frame: [String: [Float]] = [:]
    for set in system.featureSets {
        let w = system.width(of: set)!
        frame[set] = Array(recording.features[set]![(t * w)..<((t + 1) * w)])
    }
    if try stream.push(frame) != trace.values[t] { equal = false }
}
print(equal ? "stream equals predict: yes" : "stream equals predict: NO")
if args.count != 4 { try? FileManager.default.removeItem(at: run.deletingLastPathComponent()) }   // the tiny system's folder
exit(equal ? 0 : 1)
