import Foundation

/// Where a planned model stands in a run folder.
public enum ModelState: Sendable, Equatable {
    /// Finished, and proven current: same settings, same build, same bytes read and written.
    case done
    /// Finished once, but something it depends on changed (why).
    case stale(String)
    /// Never finished here (why: never run, or waiting for an upstream model).
    case toRun(String)
    /// Being trained now (by whom).
    case running(String)
    /// Its last attempt failed (the error).
    case failed(String)

    public var label: String {
        switch self {
        case .done: return "done"
        case .stale: return "stale"
        case .toRun: return "to run"
        case .running: return "running"
        case .failed: return "failed"
        }
    }

    public var reason: String? {
        switch self {
        case .done: return nil
        case .stale(let r), .toRun(let r), .running(let r), .failed(let r): return r
        }
    }
}

/// One line of `emofuse status` / `run --dry-run`.
public struct ModelStatus: Codable, Sendable, Equatable {
    public var name: String
    public var role: ModelRole
    public var upstream: [String]
    public var state: String
    public var reason: String?
    public var purpose: String
    public var epochBudget: Int
    /// Devel metric and seconds of the finished model (done or stale).
    public var develMetric: Double?
    public var seconds: Double?
}

public struct RunFailure: Error, CustomStringConvertible {
    public let failures: [(model: String, error: String)]
    public let notRun: [String]
    public var description: String {
        failures.map { "\($0.model): \($0.error)" }.joined(separator: "\n")
            + (notRun.isEmpty ? "" : "\nnot run (an upstream model failed): \(notRun.joined(separator: ", "))")
    }
}

/// Executes a ``Plan`` in a run folder: every model once, in dependency order, `context.jobs` at a
/// time, reusing each model that is proven current (``Provenance``) and retraining the others.
///
/// Crash safety: before a model retrains, its marker (`metrics/<name>.json`) is removed; its
/// outputs are written into a staging folder and moved into place item by item (checkpoint, each
/// feature set, submission), and the marker, with the digests of everything read and written, is
/// written last. So after a crash or `kill -9` at any instant, no model is trusted that did not
/// finish, and a rerun produces exactly what an uninterrupted run produces.
public final class Runner: @unchecked Sendable {
    public let plan: Plan
    public let context: RunContext
    let digests: ContentDigests
    let code: String
    let state: RunState
    /// Test hook: called after each kind of write (model, point); a thrown error interrupts the run there.
    var faultInjection: ((String, WritePoint) throws -> Void)?

    enum WritePoint: String, CaseIterable, Sendable {
        case markerRemoved, staged, checkpointMoved, outputsMoved, markerWritten
    }

    public init(plan: Plan, context: RunContext) throws {
        try context.checkRunFolder()
        self.plan = plan
        self.context = context
        digests = ContentDigests(cacheFile: context.state.appendingPathComponent("digests.json"))
        code = digests.executable()
        state = RunState(folder: context.state)
        try plan.validate(on: try context.dataset(), run: context.run)
    }

    // MARK: Status

    /// The state of every planned model, in plan order (a model after a not-done upstream model is
    /// to run or stale because of it).
    public func status() throws -> [ModelStatus] {
        let dataset = try context.dataset()
        var states: [String: ModelState] = [:]
        return try plan.models.map { model in
            let s = try check(model, dataset: dataset, upstreamDone: { states[$0] == .done })
            states[model.name] = s
            let marker = readMarker(model.name)
            return ModelStatus(name: model.name, role: model.role, upstream: model.upstream, state: s.label,
                               reason: s.reason, purpose: model.purpose, epochBudget: model.epochBudget,
                               develMetric: marker?.develMetric, seconds: marker?.seconds)
        }
    }

    func readMarker(_ name: String) -> ModelOutcome? {
        guard let data = try? Data(contentsOf: context.metricsURL(name)) else { return nil }
        return try? JSONFiles.decode(ModelOutcome.self, from: data)
    }

    /// Whether `model` is done, and if not, why.
    func check(_ model: PlannedModel, dataset: MuseDataset, upstreamDone: (String) -> Bool) throws -> ModelState {
        if let who = state.running(model.name) { return .running(who) }
        guard FileManager.default.fileExists(atPath: context.metricsURL(model.name).path) else {
            if let error = state.failure(model.name) { return .failed(error) }
            if let up = model.upstream.first(where: { !upstreamDone($0) }) { return .toRun("after \(up)") }
            return .toRun("never run here")
        }
        guard let marker = readMarker(model.name) else { return .stale("its marker metrics/\(model.name).json is unreadable") }
        guard let p = marker.provenance else { return .stale("no provenance in its marker (made by an older EmoFuse)") }
        let settings = ProvenanceSettings(model, load: context.loadOptions)
        if !p.settings.matches(settings) {
            return .stale("settings changed: \(p.settings.differences(from: settings).joined(separator: ", "))")
        }
        if p.code != code { return .stale("made by another emofuse build") }
        if let up = model.upstream.first(where: { !upstreamDone($0) }) { return .stale("upstream \(up) is not done") }
        let read = try filesRead(model, dataset: dataset)
        if let changed = firstDifference(expected: p.read, actual: read) { return .stale("input \(changed)") }
        var wrote: [String: String] = [:]
        for key in p.wrote.keys { wrote[key] = digests.digest(url(forKey: key)) ?? "missing" }
        if let changed = firstDifference(expected: p.wrote, actual: wrote) { return .stale("output \(changed)") }
        return .done
    }

    private func firstDifference(expected: [String: String], actual: [String: String]) -> String? {
        let keys = Set(expected.keys).union(actual.keys).sorted()
        let changed = keys.filter { expected[$0] != actual[$0] }
        guard let first = changed.first else { return nil }
        let what = actual[first] == nil || actual[first] == "missing" ? "missing" : expected[first] == nil ? "added" : "changed"
        return "\(first) \(what)" + (changed.count > 1 ? " (and \(changed.count - 1) more)" : "")
    }

    /// Every file the model reads, keyed `data:`/`run:`/`key:` + relative path, with its digest.
    func filesRead(_ model: PlannedModel, dataset: MuseDataset) throws -> [String: String] {
        var urls: [String: URL] = ["data:metadata/partition.csv": context.data.appendingPathComponent("metadata/partition.csv")]
        for set in model.inputs {
            guard let dir = dataset.featureSetDirectory(set) else { throw DatasetError(file: set, message: "not found") }
            let inRun = dir.path.hasPrefix(context.run.path + "/")
            for s in dataset.subjects {
                urls["\(inRun ? "run" : "data"):feature_segments/\(set)/\(s.id).csv"] = dir.appendingPathComponent("\(s.id).csv")
            }
        }
        // The label file gives every model its rows and timestamps (auto-encoders: the first emotion's).
        if let emotion = model.emotion ?? dataset.emotionNames.first {
            for s in dataset.subjects {
                urls["data:label_segments/\(emotion)/\(s.id).csv"] = context.data.appendingPathComponent("label_segments/\(emotion)/\(s.id).csv")
            }
        }
        if let emotion = model.emotion, model.role != .autoencoder, let dir = context.testKey?.folder(for: emotion) {
            for s in dataset.subjects(in: .test) where FileManager.default.fileExists(atPath: dir.appendingPathComponent("\(s.id).csv").path) {
                urls["key:\(emotion)/\(s.id).csv"] = dir.appendingPathComponent("\(s.id).csv")
            }
        }
        return urls.mapValues { digests.digest($0) ?? "missing" }
    }

    private func url(forKey key: String) -> URL {
        let parts = key.split(separator: ":", maxSplits: 1).map(String.init)
        return (parts[0] == "data" ? context.data : context.run).appendingPathComponent(parts[1])
    }

    // MARK: Running

    /// Runs the plan; returns the outcome of every model (reused or trained). When models fail,
    /// the others still run (those downstream of a failure do not), then a ``RunFailure`` is thrown.
    @discardableResult
    public func run() throws -> [String: ModelOutcome] {
        try FileManager.default.createDirectory(at: context.run, withIntermediateDirectories: true)
        let scheduler = Scheduler(models: plan.models)
        let workers = max(1, min(context.jobs, plan.models.count))
        let group = DispatchGroup()
        for _ in 0..<workers {
            group.enter()
            Thread.detachNewThread { [self] in
                defer { group.leave() }
                while let model = scheduler.next() {
                    do {
                        scheduler.finished(model.name, outcome: try runOne(model, done: scheduler.isDone))
                    } catch {
                        let message = "\(error)"
                        state.setFailed(model.name, message)
                        context.progress?(.modelFailed(model: model.name, error: message))
                        scheduler.failed(model.name, error: message)
                    }
                }
            }
        }
        group.wait()
        digests.save()
        let result = scheduler.result()
        if !result.failures.isEmpty { throw RunFailure(failures: result.failures, notRun: result.notRun) }
        return result.outcomes
    }

    /// Reuses `model` if it is done, else trains it and commits its outputs.
    func runOne(_ model: PlannedModel, done: (String) -> Bool) throws -> ModelOutcome {
        let dataset = try context.dataset()
        if let marker = try reusable(model, dataset: dataset, upstreamDone: done) { return marker }
        try beginRetraining(model)
        defer { state.clearRunning(model.name) }
        let read = try filesRead(model, dataset: dataset)
        let staging = try state.freshStaging(model.name)
        let outcome = try train(model, into: staging, log: context.logURL(model.name))
        try faultInjection?(model.name, .staged)
        return try commit(model, staging: staging, outcome: outcome, read: read)
    }

    /// The model's marker when it is done and current (said as progress), else nil (said why).
    func reusable(_ model: PlannedModel, dataset: MuseDataset, upstreamDone: (String) -> Bool) throws -> ModelOutcome? {
        let current = try check(model, dataset: dataset, upstreamDone: upstreamDone)
        if current == .done, let marker = readMarker(model.name) {
            context.progress?(.modelSkipped(model: model.name))
            return marker
        }
        if case .running(let who) = current {
            throw ConfigurationError(file: context.run.path, message: "\(model.name) is being trained by \(who): wait for it to end, or stop it")
        }
        if case .stale(let why) = current { context.progress?(.modelStale(model: model.name, reason: why)) }
        return nil
    }

    /// The old marker goes first: from here until the new one is written, nothing trusts this model.
    func beginRetraining(_ model: PlannedModel) throws {
        try? FileManager.default.removeItem(at: context.metricsURL(model.name))
        try faultInjection?(model.name, .markerRemoved)
        state.setRunning(model.name)
    }

    /// Trains into a staging folder laid out like the run folder; the log grows per epoch.
    /// `firstCandidate`: the grid index of the model's first candidate (a split grid's task).
    func train(_ model: PlannedModel, into staging: URL, log url: URL, firstCandidate: Int = 0) throws -> ModelOutcome {
        let log = try JSONLinesLog(url: url)
        defer { log.close() }
        let threads = max(1, model.training.threads / max(1, context.jobs))
        let maxEpochs = model.training.maxEpochs
        context.progress?(.modelStarted(model: model.name, candidates: model.candidates.count, maxEpochs: maxEpochs))
        let training = ModelTraining(model: model, context: context, threads: threads) { [context] index, count, label, record in
            log.append(candidate: firstCandidate + index, label: label, record)
            context.progress?(.epoch(model: model.name, candidate: index, candidates: count, record: record, maxEpochs: maxEpochs))
        }
        return try training.run(staging: staging)
    }

    /// Moves the staged outputs into place, each item whole, then writes the marker, last.
    func commit(_ model: PlannedModel, staging: URL, outcome: ModelOutcome, read: [String: String]) throws -> ModelOutcome {
        var outcome = outcome
        var wrote: [String: String] = [:]
        // The checkpoint, and the fold checkpoints an auto-encoder with folds keeps.
        let folds = model.role == .autoencoder && model.folds > 1 ? (0..<model.folds).map { ModelName.foldCheckpoint(model.name, fold: $0) } : []
        for file in ["\(model.name).safetensors"] + folds {
            let checkpoint = "checkpoints/\(file)"
            try state.replace(context.run.appendingPathComponent(checkpoint), with: staging.appendingPathComponent(checkpoint))
            wrote["run:\(checkpoint)"] = digests.digest(context.run.appendingPathComponent(checkpoint)) ?? "missing"
        }
        try faultInjection?(model.name, .checkpointMoved)
        var folders = model.outputs.map { "feature_segments/\($0)" }
        if model.submission, let emotion = model.emotion { folders.append("submission/label_segments/\(emotion)") }
        for folder in folders {
            let target = context.run.appendingPathComponent(folder)
            try state.replace(target, with: staging.appendingPathComponent(folder))
            for name in try FileManager.default.contentsOfDirectory(atPath: target.path).sorted() where !name.hasPrefix(".") {
                wrote["run:\(folder)/\(name)"] = digests.digest(target.appendingPathComponent(name)) ?? "missing"
            }
        }
        try faultInjection?(model.name, .outputsMoved)

        outcome.provenance = Provenance(settings: ProvenanceSettings(model, load: context.loadOptions), code: code,
                                        read: read, wrote: wrote)
        try JSONFiles.write(outcome, to: context.metricsURL(model.name))
        try faultInjection?(model.name, .markerWritten)
        state.clearFailure(model.name)
        try? FileManager.default.removeItem(at: staging)
        digests.save()
        context.progress?(.modelFinished(outcome))
        return outcome
    }
}

/// Hands out planned models whose upstream models are finished, in plan order.
private final class Scheduler: @unchecked Sendable {
    private let lock = NSCondition()
    private var pending: [PlannedModel]
    private var running = Set<String>()
    private var outcomes: [String: ModelOutcome] = [:]
    private var failures: [(model: String, error: String)] = []
    private var blocked: [String] = []

    init(models: [PlannedModel]) { pending = models }

    func isDone(_ name: String) -> Bool { lock.lock(); defer { lock.unlock() }; return outcomes[name] != nil }

    /// The next runnable model, waiting while others run; nil when nothing is left.
    func next() -> PlannedModel? {
        lock.lock(); defer { lock.unlock() }
        while true {
            // Models downstream of a failure will never run.
            let failed = Set(failures.map(\.model) + blocked)
            for m in pending where m.upstream.contains(where: failed.contains) { blocked.append(m.name) }
            pending.removeAll { blocked.contains($0.name) }
            if let i = pending.firstIndex(where: { $0.upstream.allSatisfy { outcomes[$0] != nil } }) {
                let model = pending.remove(at: i)
                running.insert(model.name)
                return model
            }
            if pending.isEmpty || running.isEmpty { return nil }
            lock.wait()
        }
    }

    func finished(_ name: String, outcome: ModelOutcome) {
        lock.lock(); outcomes[name] = outcome; running.remove(name); lock.broadcast(); lock.unlock()
    }

    func failed(_ name: String, error: String) {
        lock.lock(); failures.append((name, error)); running.remove(name); lock.broadcast(); lock.unlock()
    }

    func result() -> (outcomes: [String: ModelOutcome], failures: [(model: String, error: String)], notRun: [String]) {
        lock.lock(); defer { lock.unlock() }
        return (outcomes, failures, blocked)
    }
}
