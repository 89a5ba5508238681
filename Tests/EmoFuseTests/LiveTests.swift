import Foundation
import Testing
import SeqNet
@testable import EmoFuse

/// The library API on a causal system: loading the chain, `predict` against what the run wrote,
/// streaming against `predict`, the aligner's rules, and the typed errors.
@Suite(.serialized) struct LiveTests {
    static func system() throws -> LiveSystem {
        try CausalRun.ready()
        return try LiveSystem(run: CausalRun.run, emotion: "arousal")
    }

    @Test func chainIsResolvedFromTheCheckpoints() throws {
        let system = try Self.system()
        #expect(system.output == "pred-fusion-arousal")
        #expect(system.emotion == "arousal")
        #expect(Set(system.featureSets) == ["egemaps", "vggface", "fau_intensity"])
        #expect(system.width(of: "egemaps") == 8 && system.width(of: "vggface") == 12 && system.width(of: "fau_intensity") == 8)
        #expect(Set(system.reconstructionErrorNames) == ["re-egemaps", "re-vggface", "re-fau_intensity"])
        #expect(system.modelNames.count == 7)
        #expect(system.modelNames.last == "pred-fusion-arousal")
        #expect(system.isCausal)
    }

    /// `predict` gives, bit for bit, the fused predictions and REs the run wrote for devel subjects.
    @Test func predictReproducesTheRunsOutputs() throws {
        let system = try Self.system()
        let dataset = try MuseDataset(root: CausalRun.data, overlays: [CausalRun.run])
        let fused = try dataset.featureSet("pred-fusion-arousal")
        for id in try CausalRun.develSubjects() {
            let recording = try Recording.load(data: CausalRun.data, subject: id, sets: system.featureSets)
            let trace = try system.predict(recording)
            #expect(trace.values == fused.sequences[id]!.values, "subject \(id)")
            for name in system.reconstructionErrorNames {
                #expect(trace.reconstructionErrors[name] == (try dataset.featureSet(name)).sequences[id]!.values, "\(name), subject \(id)")
            }
        }
    }

    /// Pushing a recording frame by frame gives `predict`'s values bit for bit, REs included.
    @Test func streamEqualsPredict() throws {
        let system = try Self.system()
        let stream = try system.makeStream()
        for id in try CausalRun.develSubjects() {
            let recording = try Recording.load(data: CausalRun.data, subject: id, sets: system.featureSets)
            let trace = try system.predict(recording)
            stream.reset()
            var values: [Float] = [], res: [[Float]] = []
            for t in 0..<trace.values.count {
                var frame: [String: [Float]] = [:]
                for set in system.featureSets {
                    let w = system.width(of: set)!
                    frame[set] = Array(recording.features[set]![(t * w)..<((t + 1) * w)])
                }
                values.append(try stream.push(frame))
                res.append(stream.reconstructionErrors)
            }
            #expect(values == trace.values, "subject \(id)")
            for (k, name) in system.reconstructionErrorNames.enumerated() {
                #expect(res.map { $0[k] } == trace.reconstructionErrors[name], "\(name), subject \(id)")
            }
        }
    }

    /// A set left out of a frame is the same as a row of empty cells (missing after z-scoring): the
    /// stream gives, bit for bit, what `predict` gives for a recording whose rows there are empty,
    /// and not what it gives with the set's values present (so leaving it out is not ignored).
    @Test func leftOutSetEqualsEmptyRow() throws {
        let system = try Self.system()
        let a = try system.makeStream(), b = try system.makeStream(), c = try system.makeStream()
        let T = 30, gap = 10..<20
        var rng = RandomSource(seed: 4)
        var full = Recording(), empty = Recording()
        for set in system.featureSets {
            let w = system.width(of: set)!
            let values = (0..<(T * w)).map { _ in rng.uniform(-1, 1) }
            full.features[set] = values
            empty.features[set] = set == "vggface"
                ? values.enumerated().map { gap.contains($0.offset / w) ? Float.nan : $0.element } : values
        }
        let predicted = try system.predict(empty).values, complete = try system.predict(full).values
        var leftOut: [Float] = [], withEmpty: [Float] = [], whole: [Float] = []
        for t in 0..<T {
            var frame: [String: [Float]] = [:], emptyFrame: [String: [Float]] = [:]
            for set in system.featureSets {
                let w = system.width(of: set)!
                frame[set] = Array(full.features[set]![(t * w)..<((t + 1) * w)])
                emptyFrame[set] = Array(empty.features[set]![(t * w)..<((t + 1) * w)])
            }
            whole.append(try c.push(frame))
            if gap.contains(t) { frame["vggface"] = nil }
            leftOut.append(try a.push(frame))
            withEmpty.append(try b.push(emptyFrame))
        }
        #expect(leftOut == withEmpty, "left out == a row of empty cells")
        #expect(leftOut == predicted, "and both == predict on a recording with those rows empty")
        #expect(whole == complete)
        #expect(Array(leftOut[..<gap.lowerBound]) == Array(whole[..<gap.lowerBound]), "identical before the gap")
        #expect(Array(leftOut[gap]) != Array(whole[gap]), "leaving vggface out changes the prediction")
        #expect(leftOut.allSatisfy { $0.isFinite })
    }

    @Test func typedErrors() throws {
        let system = try Self.system()
        let stream = try system.makeStream()
        #expect(throws: LiveError.unknownFeatureSet("bert-4", known: system.featureSets)) {
            try stream.push(["bert-4": [1]])
        }
        #expect(throws: LiveError.wrongWidth(set: "egemaps", expected: 8, got: 3)) { try stream.push(["egemaps": [1, 2, 3]]) }
        #expect(throws: LiveError.missingFeatureSet("fau_intensity")) {
            try system.predict(Recording(features: ["egemaps": [Float](repeating: 0, count: 16),
                                                    "vggface": [Float](repeating: 0, count: 24)]))
        }
        #expect(throws: LiveError.rowCountMismatch(set: "vggface", rows: 3, expected: 2)) {
            try system.predict(Recording(features: ["egemaps": [Float](repeating: 0, count: 16),
                                                    "vggface": [Float](repeating: 0, count: 36),
                                                    "fau_intensity": [Float](repeating: 0, count: 16)]))
        }
        let missing = CausalRun.run.appendingPathComponent("checkpoints/pred-fusion-valence.safetensors")
        #expect { try LiveSystem(run: CausalRun.run, emotion: "valence") } throws: { error in
            guard case LiveError.checkpoint(let file, _) = error else { return false }
            return file == missing.path
        }
    }

    /// A bidirectional checkpoint predicts but refuses to stream, naming the model and file.
    @Test func bidirectionalSystemCannotStream() throws {
        try CausalRun.ready()
        let folder = CausalRun.root.appendingPathComponent("bidirectional")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let net = SequenceNetwork(config: NetworkConfig(inputSize: 3, hiddenSize: 4, numLayers: 1, bidirectional: true), seed: 1)
        let card = ModelCard(name: "pred-x-arousal", role: .regressor, inputs: ["x"], emotion: "arousal",
                             normalizer: .identity(dim: 3), candidate: HyperparameterGrid().candidates()[0], loss: .ccc)
        let url = folder.appendingPathComponent("pred-x-arousal.safetensors")
        try ModelStore.save(net, card: card, to: url)
        let system = try LiveSystem(checkpoint: url)
        #expect(system.featureSets == ["x"] && system.width(of: "x") == 3)
        #expect(try system.predict(Recording(features: ["x": [1, 2, 3, 4, 5, 6]])).values.count == 2)
        #expect(throws: LiveError.notCausal(model: "pred-x-arousal", file: url.path)) { try system.makeStream() }
    }

    /// The runner in process: a line longer than `maxLineBytes` (spanning reads) is skipped up to
    /// its line break, reported with its line number, and the lines after it count on.
    @Test func overlongLineIsSkippedAndLinesCountOn() throws {
        let system = try Self.system()
        func row(_ set: String, _ t: Int) -> String {
            "\(set),\(t),1," + Array(repeating: "0.5", count: system.width(of: set)!).joined(separator: ",")
        }
        var lines = system.featureSets.map { row($0, 0) }
        lines.append("egemaps,500,1," + String(repeating: "1,", count: 60_000) + "1")   // line 4, ~120 KB
        lines.append("garbage")                                                        // line 5
        lines += system.featureSets.map { row($0, 500) }
        var input: [Int32] = [0, 0], output: [Int32] = [0, 0]
        #expect(pipe(&input) == 0 && pipe(&output) == 0)
        let text = lines.joined(separator: "\n") + "\n"
        let writeEnd = input[1]
        let writer = Thread {
            text.utf8CString.withUnsafeBufferPointer { b in
                var done = 0
                while done < b.count - 1 { done += max(0, write(writeEnd, b.baseAddress! + done, b.count - 1 - done)) }
            }
            close(writeEnd)
        }
        writer.start()
        final class Messages: @unchecked Sendable { var lines: [String] = [] }
        let messages = Messages()
        var runner = LiveRunner(sources: [.init(name: "stdin", fd: input[0], set: nil)], output: output[1]) {
            messages.lines.append($0)
        }
        runner.maxLineBytes = 1000
        let summary = try runner.run(system)
        close(input[0]); close(output[1]); close(output[0])
        #expect(summary.steps == 2 && summary.stepsWithMissing == 0)
        #expect(summary.malformed == 2)
        #expect(messages.lines.contains("stdin:4: line longer than 1000 bytes; skipped up to its line break"), "\(messages.lines)")
        #expect(messages.lines.contains { $0.hasPrefix("stdin:5:1: a single cell 'garbage'") })
    }

    // MARK: The aligner's rules, with a controlled clock

    final class Collected {
        var steps: [LiveAligner.Step] = []
        var events: [LiveAligner.Event] = []
    }

    static func aligner(_ system: LiveSystem, maxWait: Double = 1) throws -> (LiveAligner, Collected) {
        var policy = LiveAligner.Policy()
        policy.maxWait = maxWait
        policy.resyncAfter = 3
        policy.maxJump = 10_000
        let aligner = LiveAligner(stream: try system.makeStream(), policy: policy)
        let c = Collected()
        aligner.onStep = { c.steps.append($0) }
        aligner.onEvent = { c.events.append($0) }
        return (aligner, c)
    }

    static func add(_ a: LiveAligner, _ set: String, _ t: Int64, now: Double = 0) {
        let i = a.index(of: set)!
        let row = [Float](repeating: 0.5, count: a.width(of: i))
        row.withUnsafeBufferPointer { a.add(set: i, timestamp: t, values: $0.baseAddress!, now: now) }
    }

    @Test func stepsRunWhenCompleteInTimestampOrder() throws {
        let (a, c) = try Self.aligner(try Self.system())
        Self.add(a, "egemaps", 500); Self.add(a, "egemaps", 0)        // 0 after 500: backwards for egemaps
        #expect(c.events == [.backwards(set: "egemaps", timestamp: 0, previous: 500)])
        Self.add(a, "vggface", 500)
        #expect(c.steps.isEmpty)
        // fau_intensity's first row is for 1000: it missed 500, which runs without it.
        Self.add(a, "fau_intensity", 1000)
        #expect(c.steps.map(\.timestamp) == [500])
        #expect(c.steps[0].missing == ["fau_intensity"])
        Self.add(a, "fau_intensity", 500)
        #expect(c.events.last == .late(set: "fau_intensity", timestamp: 500, lastStep: 500))
        Self.add(a, "vggface", 1000)
        #expect(c.steps.count == 1)
        Self.add(a, "egemaps", 1000)
        #expect(c.steps.map(\.timestamp) == [500, 1000])
        #expect(c.steps[1].missing.isEmpty)
        Self.add(a, "vggface", 1000)
        #expect(c.events.last == .late(set: "vggface", timestamp: 1000, lastStep: 1000))
        #expect(c.events.count == 4)
        #expect(c.events[2] == .silent(set: "fau_intensity", from: 500, to: 1000, steps: 1))
    }

    @Test func silentSetIsFilledAfterTheWaitAndReported() throws {
        let (a, c) = try Self.aligner(try Self.system(), maxWait: 1)
        for (k, t) in stride(from: Int64(0), to: 3000, by: 500).enumerated() {
            Self.add(a, "egemaps", t, now: Double(k) * 0.5)
            Self.add(a, "fau_intensity", t, now: Double(k) * 0.5)
        }
        // Step k arrived at k/2 s; by 2.5 s those that waited 1 s have run, without vggface.
        #expect(c.steps.map(\.timestamp) == [0, 500, 1000, 1500])
        a.poll(now: 10)
        #expect(c.steps.count == 6)
        #expect(c.steps.allSatisfy { $0.missing == ["vggface"] })
        Self.add(a, "vggface", 3000, now: 10); Self.add(a, "egemaps", 3000, now: 10); Self.add(a, "fau_intensity", 3000, now: 10)
        #expect(c.steps.count == 7 && c.steps.last!.missing.isEmpty)
        #expect(c.events.contains(.silent(set: "vggface", from: 0, to: 3000, steps: 6)))
        #expect(a.deadline == nil)
    }

    @Test func jumpsAreSkippedUntilTheTimelineReallyMoved() throws {
        let (a, c) = try Self.aligner(try Self.system())
        for set in ["egemaps", "vggface", "fau_intensity"] { Self.add(a, set, 0) }
        Self.add(a, "egemaps", 99_000_000)                 // a glitch
        #expect(c.events == [.jump(set: "egemaps", timestamp: 99_000_000, lastStep: 0)])
        for set in ["egemaps", "vggface", "fau_intensity"] { Self.add(a, set, 500) }
        #expect(c.steps.map(\.timestamp) == [0, 500])
        // A real pause: every set moves on; after `resyncAfter` (3) such rows the new timeline is followed.
        for set in ["egemaps", "vggface", "fau_intensity"] { Self.add(a, set, 900_000) }
        #expect(c.events.contains(.resynchronised(at: 900_000)))
        #expect(c.steps.count == 2)
        for set in ["egemaps", "vggface"] { Self.add(a, set, 900_000) }
        #expect(c.steps.map(\.timestamp) == [0, 500, 900_000])
        a.finish()
        #expect(c.steps.count == 3)
    }
}
