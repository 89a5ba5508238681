import Foundation

/// One piece of a plan, as a cluster task runs it (`emofuse job`): one model, or one grid
/// candidate of a model whose grid is split, or the choice among a split model's candidates.
public enum PlanTask: Codable, Sendable, Equatable, CustomStringConvertible {
    case model(String)
    case candidate(String, Int)
    case choose(String)

    public var model: String {
        switch self {
        case .model(let m), .candidate(let m, _), .choose(let m): return m
        }
    }

    public var description: String {
        switch self {
        case .model(let m): return m
        case .candidate(let m, let k): return "\(m) candidate \(k)"
        case .choose(let m): return "\(m) choice"
        }
    }
}

extension PlannedModel {
    /// Whether a cluster runs its grid candidates as separate tasks: several candidates and no
    /// out-of-fold models (those train with the chosen candidate, so they stay in one task).
    public var splitsGrid: Bool { candidates.count > 1 && folds <= 1 }

    /// The same model trained on one candidate of its grid.
    func only(_ candidate: Candidate) -> PlannedModel {
        var m = self
        m.settings.grid = HyperparameterGrid(cells: [candidate.spec.cell], bidirectional: [candidate.spec.bidirectional],
                                             learningRates: [candidate.learningRate], dropouts: [candidate.spec.dropout],
                                             seeds: [candidate.seed])
        return m
    }
}

extension Runner {
    /// Runs one task; the upstream models must be done (a cluster's dependencies see to it).
    @discardableResult
    public func run(_ task: PlanTask) throws -> ModelOutcome? {
        guard let model = plan.model(task.model) else {
            throw ConfigurationError(file: context.run.appendingPathComponent("plan.json").path,
                                     message: "the plan has no model '\(task.model)'")
        }
        let dataset = try context.dataset()
        for up in model.upstream {
            let s = try check(plan.model(up)!, dataset: dataset, upstreamDone: { _ in true })
            guard s == .done else { throw ConfigurationError(file: context.run.path, message: "\(model.name) needs \(up), which is \(s.label)\(s.reason.map { " (\($0))" } ?? "")") }
        }
        defer { digests.save() }
        switch task {
        case .model:
            return try runOne(model, done: { _ in true })
        case .candidate(_, let k):
            try runCandidate(model, k, dataset: dataset)
            return nil
        case .choose:
            return try choose(model, dataset: dataset)
        }
    }

    private func candidateFolder(_ model: PlannedModel, _ k: Int) -> URL {
        context.state.appendingPathComponent("candidates/\(model.name)/\(k)")
    }

    /// A finished candidate's result, if current (same settings, build and inputs).
    private func candidateResult(_ model: PlannedModel, _ k: Int, dataset: MuseDataset) throws -> ModelOutcome? {
        let single = model.only(model.candidates[k])
        guard let data = try? Data(contentsOf: candidateFolder(model, k).appendingPathComponent("outcome.json")),
              let outcome = try? JSONFiles.decode(ModelOutcome.self, from: data), let p = outcome.provenance,
              p.settings.matches(ProvenanceSettings(single, load: context.loadOptions)), p.code == code,
              p.read == (try filesRead(single, dataset: dataset)) else { return nil }
        return outcome
    }

    /// Trains candidate `k` alone into `.state/candidates/<model>/<k>/` (staged outputs, log and,
    /// written last, its outcome), unless the model is done or that candidate is current.
    private func runCandidate(_ model: PlannedModel, _ k: Int, dataset: MuseDataset) throws {
        guard k >= 0, k < model.candidates.count else {
            throw ConfigurationError(file: context.run.path, message: "\(model.name) has \(model.candidates.count) candidates, not a candidate \(k)")
        }
        if try check(model, dataset: dataset, upstreamDone: { _ in true }) == .done { return }
        if try candidateResult(model, k, dataset: dataset) != nil { return }
        let folder = candidateFolder(model, k)
        try? FileManager.default.removeItem(at: folder)
        let single = model.only(model.candidates[k])
        let read = try filesRead(single, dataset: dataset)
        var outcome = try train(single, into: folder.appendingPathComponent("staging"),
                                log: folder.appendingPathComponent("log.jsonl"), firstCandidate: k)
        outcome.provenance = Provenance(settings: ProvenanceSettings(single, load: context.loadOptions), code: code,
                                        read: read, wrote: [:])
        try JSONFiles.write(outcome, to: folder.appendingPathComponent("outcome.json"))
    }

    /// Keeps the best candidate on devel (the first of equals, as a local run does), and commits
    /// its outputs as the model's, with every candidate's result in the marker.
    private func choose(_ model: PlannedModel, dataset: MuseDataset) throws -> ModelOutcome {
        if let marker = try reusable(model, dataset: dataset, upstreamDone: { _ in true }) { return marker }
        var results: [ModelOutcome] = []
        for k in model.candidates.indices {
            guard let r = try candidateResult(model, k, dataset: dataset) else {
                throw ConfigurationError(file: candidateFolder(model, k).path,
                                         message: "candidate \(k) of \(model.name) is not finished (or stale): run its task first")
            }
            results.append(r)
        }
        let higher = model.role != .autoencoder
        var best = 0
        for (i, r) in results.enumerated().dropFirst() where higher ? r.develMetric > results[best].develMetric
                                                                     : r.develMetric < results[best].develMetric {
            best = i
        }
        try beginRetraining(model)
        defer { state.clearRunning(model.name) }
        let staging = try state.freshStaging(model.name)
        let chosen = candidateFolder(model, best).appendingPathComponent("staging")
        for item in try FileManager.default.contentsOfDirectory(atPath: chosen.path) {
            try FileManager.default.copyItem(at: chosen.appendingPathComponent(item), to: staging.appendingPathComponent(item))
        }
        var log = Data()
        for k in model.candidates.indices {
            log += (try? Data(contentsOf: candidateFolder(model, k).appendingPathComponent("log.jsonl"))) ?? Data()
        }
        try AtomicFile.write(Array(log), to: context.logURL(model.name))
        var outcome = results[best]
        outcome.candidates = results.flatMap(\.candidates)
        outcome.seconds = results.reduce(0) { $0 + $1.seconds }
        outcome.provenance = nil
        return try commit(model, staging: staging, outcome: outcome, read: try filesRead(model, dataset: dataset))
    }
}

extension Runner {
    /// Records why a model's task failed (shown by `status`; cleared when the model finishes).
    public func recordFailure(_ model: String, _ message: String) { state.setFailed(model, message) }
}
