import Foundation
import Testing
@testable import EmoFuse

/// The runner on the `tiny` preset with a small, fast system: reuse only of proven-current models,
/// crash safety (a thrown error after each kind of write, then a rerun, gives the bytes of an
/// uninterrupted run), and `jobs` that change no byte.
@Suite(.serialized) struct RunnerTests {
    static let root: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("emofuse-runner-\(getpid())")
        try? FileManager.default.removeItem(at: url)
        return url
    }()

    /// A private copy of the tiny dataset (tests modify files of it).
    static func dataset(_ name: String) throws -> URL {
        let source = root.appendingPathComponent("source")
        if !FileManager.default.fileExists(atPath: source.path) {
            _ = try generateSyntheticDataset(preset: .tiny, seed: 9, to: source, overwrite: false, threads: 2) { _ in }
        }
        let copy = root.appendingPathComponent(name)
        try? FileManager.default.removeItem(at: copy)
        try FileManager.default.copyItem(at: source, to: copy)
        return copy
    }

    static func config() -> RunConfiguration {
        var c = RunConfiguration()
        c.featureSets = ["egemaps", "fau_intensity"]
        c.emotions = ["arousal", "valence"]
        c.network = NetworkShape(hiddenSize: 8, layers: 1)
        c.training.maxEpochs = 3
        c.training.patience = 2
        c.training.windowLength = 60
        c.training.windowHop = 20
        c.training.batchSize = 16
        return c
    }

    static func context(data: URL, run: String, jobs: Int = 1) -> RunContext {
        var options = LoadOptions()
        options.cacheDirectory = root.appendingPathComponent("cache")
        return RunContext(data: data, run: root.appendingPathComponent(run), loadOptions: options, jobs: jobs)
    }

    /// Every output byte of a run folder: checkpoints, feature sets, submission (relative path → bytes).
    static func outputs(_ run: URL) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for top in ["checkpoints", "feature_segments", "submission"] {
            let base = run.appendingPathComponent(top)
            guard let walker = FileManager.default.enumerator(atPath: base.path) else { continue }
            for case let path as String in walker where !path.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
                let url = base.appendingPathComponent(path)
                if !isDirectory(url) { out["\(top)/\(path)"] = try Data(contentsOf: url) }
            }
        }
        return out
    }

    static func expectSameOutputs(_ a: URL, _ b: URL, _ comment: Comment) throws {
        let x = try outputs(a), y = try outputs(b)
        #expect(x.keys.sorted() == y.keys.sorted(), comment)
        let differing = x.keys.filter { x[$0] != y[$0] }.sorted()
        #expect(differing.isEmpty, "\(comment): \(differing.prefix(5))")
    }

    static let reference: Result<URL, Error> = Result {
        let context = Self.context(data: try dataset("data-reference"), run: "reference")
        try Runner(plan: try PaperSystem.plan(config()), context: context).run()
        return context.run
    }

    struct Interrupted: Error {}

    @Test func interruptedAfterEachKindOfWriteTheRerunGivesTheSameBytes() throws {
        let reference = try Self.reference.get()
        let data = try Self.dataset("data-interrupt")
        let plan = try PaperSystem.plan(Self.config())
        for (i, point) in Runner.WritePoint.allCases.enumerated() {
            // A different model each time: an auto-encoder, a regressor, the fusion model, …
            let target = plan.models[(i * 2) % plan.models.count].name
            let context = Self.context(data: data, run: "interrupt-\(point.rawValue)")
            let runner = try Runner(plan: plan, context: context)
            runner.faultInjection = { model, at in if model == target && at == point { throw Interrupted() } }
            #expect(throws: RunFailure.self) { try runner.run() }
            #expect(!FileManager.default.fileExists(atPath: context.metricsURL(target).path) || point == .markerWritten)
            try Runner(plan: plan, context: context).run()
            try Self.expectSameOutputs(reference, context.run, "interrupted at \(point.rawValue) of \(target)")
        }
    }

    @Test func aRetrainInterruptedUnderOtherSettingsIsNeverTrusted() throws {
        let reference = try Self.reference.get()
        let data = try Self.dataset("data-mixture")
        let context = Self.context(data: data, run: "mixture")
        let plan = try PaperSystem.plan(Self.config())
        try Runner(plan: plan, context: context).run()
        // Retrain with other settings, killed after the regressor's checkpoint and outputs moved
        // (a new checkpoint beside half-rewritten sets), then run the first settings again.
        var other = Self.config()
        other.training.maxEpochs = 2
        let runner = try Runner(plan: try PaperSystem.plan(other), context: context)
        runner.faultInjection = { model, at in if model == "pred-egemaps-valence" && at == .outputsMoved { throw Interrupted() } }
        #expect(throws: RunFailure.self) { try runner.run() }
        let statuses = try Runner(plan: plan, context: context).status()
        // Not trusted: its marker went first; the thrown error is recorded as its failure.
        #expect(statuses.first { $0.name == "pred-egemaps-valence" }?.state == "failed")
        try Runner(plan: plan, context: context).run()
        try Self.expectSameOutputs(reference, context.run, "after an interrupted retrain with other settings")
    }

    @Test func twoJobsGiveTheBytesOfOne() throws {
        let reference = try Self.reference.get()
        let context = Self.context(data: try Self.dataset("data-jobs"), run: "jobs2", jobs: 2)
        let events = EventLog()
        var c = context
        c.progress = { events.append($0) }
        try Runner(plan: try PaperSystem.plan(Self.config()), context: c).run()
        #expect(events.trained == 10)
        try Self.expectSameOutputs(reference, context.run, "--jobs 2")
    }

    @Test func changingOneDataFileMakesExactlyItsReadersAndTheirDownstreamStale() throws {
        let data = try Self.dataset("data-stale")
        let context = Self.context(data: data, run: "stale")
        let plan = try PaperSystem.plan(Self.config())
        try Runner(plan: plan, context: context).run()
        func states() throws -> [String: String] {
            Dictionary(uniqueKeysWithValues: try Runner(plan: plan, context: context).status().map { ($0.name, $0.state) })
        }
        #expect(try states().values.allSatisfy { $0 == "done" })

        // Rewriting a file with the same bytes (a new modification time) changes nothing.
        let file = data.appendingPathComponent("feature_segments/fau_intensity/\(try MuseDataset(root: data).subjects[0].id).csv")
        let bytes = try Data(contentsOf: file)
        try FileManager.default.removeItem(at: file)
        try bytes.write(to: file)
        #expect(try states().values.allSatisfy { $0 == "done" })

        // New bytes in one fau_intensity file: its auto-encoder, its regressors and everything fused from them.
        var text = String(decoding: bytes, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var cells = lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        cells[2] = cells[2].isEmpty ? "1" : String((Float(cells[2]) ?? 0) + 1)
        text = ([lines[0], Substring(cells.joined(separator: ","))] + lines.dropFirst(2)).joined(separator: "\n")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let after = try states()
        let stale = Set(after.filter { $0.value != "done" }.keys)
        #expect(stale == ["re-fau_intensity", "pred-fau_intensity-arousal", "pred-fau_intensity-valence",
                          "pred-fusion-arousal", "pred-fusion-valence",
                          "exp-fusion-egemaps+fau_intensity-arousal", "exp-fusion-egemaps+fau_intensity-valence"])
        let status = try Runner(plan: plan, context: context).status()
        #expect(status.first { $0.name == "re-fau_intensity" }?.reason?.contains("fau_intensity/") == true)

        // Rerun: exactly those retrain; a deleted output makes its model stale again.
        let events = EventLog()
        var c = context
        c.progress = { events.append($0) }
        try Runner(plan: plan, context: c).run()
        #expect(events.trained == stale.count && events.skipped == plan.models.count - stale.count)
        try FileManager.default.removeItem(at: context.run.appendingPathComponent("feature_segments/pred-egemaps-arousal/\(try MuseDataset(root: data).subjects[1].id).csv"))
        #expect(try states()["pred-egemaps-arousal"] == "stale")
    }

    @Test func aRunFolderInsideTheDatasetIsRefused() throws {
        let data = try Self.dataset("data-inside")
        let context = RunContext(data: data, run: data.appendingPathComponent("runs/x"))
        #expect(throws: ConfigurationError.self) { try Runner(plan: try PaperSystem.plan(Self.config()), context: context) }
        #expect(throws: ConfigurationError.self) { try Runner(plan: try PaperSystem.plan(Self.config()), context: RunContext(data: data, run: data)) }
    }

    @Test func aMisspeltSetIsNamedOnceWithTheClosestName() throws {
        let data = try Self.dataset("data-misspelt")
        var config = Self.config()
        config.featureSets = ["egemap", "fau_intensity"]
        do {
            _ = try Runner(plan: try PaperSystem.plan(config), context: Self.context(data: data, run: "misspelt"))
            Issue.record("a misspelt feature set must fail before training")
        } catch let error as ConfigurationError {
            #expect(error.description.contains("did you mean 'egemaps'"))
            #expect(error.description.components(separatedBy: "'egemap'").count == 2, "named once: \(error)")
        }
    }
}
