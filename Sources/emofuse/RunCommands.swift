import ArgumentParser
import EmoFuse
import Foundation

/// Options of `run`, `experiments` and `demo`: how the plan executes and what is printed.
struct ExecutionOptions: ParsableArguments {
    @Option(help: "The run configuration (JSON); every key is optional.") var config: String?
    @Option(help: "Training threads in all (overrides training.threads; default \(TrainingOptions().threads)).") var threads: Int?
    @Option(help: "Models trained at the same time (each with threads / jobs threads; same results).") var jobs: Int = 1
    @Flag(help: "Print the plan (every model, its upstream models, done / stale / to run, epoch budget) and stop.") var dryRun = false
    @Flag(help: "With --dry-run: print the plan as JSON.") var json = false
    @Option(help: "Where models train: local (this process) or slurm (array jobs submitted with sbatch).") var executor: Executor = .local
    @OptionGroup(title: "Slurm (with --executor slurm)") var slurm: SlurmFlags

    enum Executor: String, ExpressibleByArgument { case local, slurm }
    @Option(help: "Repeat every model once per seed, e.g. 1,2,3 (overrides grid.seeds; tables give mean ± sd and intervals).") var seeds: String?
    @Option(help: "Out-of-fold REs from k fold auto-encoders per set (overrides reOutOfFold; 0: in-sample, as the paper).") var reFolds: Int?
    @Option(help: "RE transforms also written and compared in fusion, e.g. log,subject-median,subject-z (overrides reTransforms).") var reTransforms: String?
    @Flag(help: "Train every model unidirectional, auto-encoders included, for `emofuse stream` (sets causal; the report compares with the bidirectional system).") var causal = false
    @Flag(help: "With --causal: skip the bidirectional reference system (sets causalReference to false; no cost section in the report).") var noCausalReference = false

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if json && !dryRun { throw ValidationError("--json goes with --dry-run") }
        if noCausalReference && !causal { throw ValidationError("--no-causal-reference goes with --causal") }
        if executor == .slurm && jobs != 1 { throw ValidationError("--jobs is for the local executor: Slurm decides what runs at once") }
        if executor == .slurm, let threads, let cpus = slurm.cpusPerTask, threads != cpus {
            throw ValidationError("--threads and --cpus-per-task say different things: give one")
        }
    }

    /// The configuration file's contents (or `base`), with `--threads` (or `--cpus-per-task`) applied.
    func configuration(base: RunConfiguration = RunConfiguration()) throws -> RunConfiguration {
        var configuration = try config.map { try RunConfiguration.load(from: URL(fileURLWithPath: $0)) } ?? base
        if let threads = threads ?? slurm.cpusPerTask { configuration.training.threads = threads }
        if let seeds {
            let values = splitList(seeds).compactMap { UInt64($0) }
            guard !values.isEmpty, values.count == splitList(seeds).count else { throw ValidationError("--seeds: cannot read '\(seeds)'") }
            configuration.grid.seeds = values
        }
        if let reFolds { configuration.reOutOfFold = reFolds }
        if let reTransforms { configuration.reTransforms = try RETransform.parseList(reTransforms) }
        if causal { configuration.causal = true }
        if noCausalReference { configuration.causalReference = false }
        try configuration.validate(file: "the command line")
        return configuration
    }
}

/// Slurm's own options, passed through to every task's `sbatch`.
struct SlurmFlags: ParsableArguments {
    @Option(help: "Slurm partition.") var partition: String?
    @Option(help: "Slurm account.") var account: String?
    @Option(help: "Time limit per task (Slurm's format, e.g. 2:00:00).") var time: String?
    @Option(help: "CPUs per task = training threads of each model (default: training.threads).") var cpusPerTask: Int?
    @Option(help: "Memory per task (Slurm's format, e.g. 8G).") var mem: String?
    @Option(help: "Slurm QOS.") var qos: String?
    @Option(help: "A further sbatch option as on its command line (repeatable), e.g. --sbatch-arg=--constraint=avx2.")
    var sbatchArg: [String] = []

    func options(threads: Int) -> SlurmOptions {
        var o = SlurmOptions()
        o.partition = partition; o.account = account; o.time = time; o.mem = mem; o.qos = qos
        o.cpusPerTask = cpusPerTask ?? threads
        o.extra = sbatchArg
        return o
    }
}

/// `emofuse run`: the whole pipeline from one configuration file.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the paper's whole system (auto-encoders, regressors, fusion, report) from a JSON configuration.")

    @OptionGroup var data: DataOptions
    @OptionGroup var execution: ExecutionOptions

    func run() throws {
        try runSystem(try execution.configuration(), data: data, execution: execution)
    }
}

/// `emofuse experiments`: the paper's Tables 1–9 regenerated on a dataset.
struct ExperimentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiments",
        abstract: "Regenerate the paper's experiments (Tables 1–9) on a dataset: the system plus every ablation.")

    @OptionGroup var data: DataOptions
    @OptionGroup var execution: ExecutionOptions

    func run() throws {
        var configuration = try execution.configuration()
        configuration.experiments = true
        try runSystem(configuration, data: data, execution: execution)
    }
}

/// `emofuse status`: where each planned model of a run folder stands.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Per planned model of a run folder: done, stale (why), running, failed or to run, with devel score and time. Exit 0 when everything is done.")

    @Option(name: .customLong("run"), help: "The run folder (of `emofuse run` / `experiments`).") var runFolder: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let (plan, context) = try RunRecord.load(run: URL(fileURLWithPath: runFolder))
        let statuses = withQueue(try Runner(plan: plan, context: context).status(), run: context.run)
        print(json ? try jsonText(statuses) : planText(plan, statuses))
        if statuses.contains(where: { $0.state != "done" }) { throw ExitCode(1) }
    }
}

/// Runs (or with --dry-run, describes) the system and prints its final table.
func runSystem(_ configuration: RunConfiguration, data: DataOptions, execution: ExecutionOptions) throws {
    let context = try data.context(jobs: execution.jobs)
    if execution.executor == .slurm {
        return try submitToSlurm(configuration, context: context, execution: execution)
    }
    if execution.dryRun {
        let runner = try PaperSystem.runner(configuration, context: context)
        let statuses = try runner.status()
        print(execution.json ? try jsonText(statuses) : planText(runner.plan, statuses))
        return
    }
    let start = Date()
    let result = try PaperSystem.run(configuration, context: context)
    if let study = result.experiments {
        print(Report.finalTable(study, emotions: configuration.emotions, paper: result.paperShaped))
        for t in study.tables { print(Report.table(t, paper: result.paperShaped)) }
        for c in study.claims { print("\(c.verdict.rawValue): \(c.statement)") }
    }
    print("report: \(data.runURL.appendingPathComponent("report.md").path)")
    print("submission: \(data.runURL.appendingPathComponent("submission").path)")
    print(String(format: "wall time: %.1f s", Date().timeIntervalSince(start)))
}

/// The plan as a person reads it: notes, then a line per model.
func planText(_ plan: Plan, _ statuses: [ModelStatus]) -> String {
    var counts: [String: Int] = [:]
    for s in statuses { counts[s.state, default: 0] += 1 }
    let roles = [ModelRole.autoencoder, .regressor, .fusion].map { r in "\(plan.models.filter { $0.role == r }.count) \(r.rawValue)" }
    var text = "plan: \(plan.models.count) models (\(roles.joined(separator: ", "))), at most \(plan.epochBudget) epochs in all; "
        + ["done", "stale", "running", "failed", "to run"].compactMap { k in counts[k].map { "\($0) \(k)" } }.joined(separator: ", ") + "\n"
    for note in plan.notes { text += "  \(note)\n" }
    let width = statuses.map(\.name.count).max() ?? 0
    for s in statuses {
        var line = s.name.padding(toLength: width + 2, withPad: " ", startingAt: 0)
            + s.state.padding(toLength: 8, withPad: " ", startingAt: 0)
        if let metric = s.develMetric { line += " devel \(Report.fmt(metric))" }
        if let seconds = s.seconds { line += String(format: " %.0fs", seconds) }
        line += "  ≤\(s.epochBudget) epochs"
        if !s.upstream.isEmpty { line += "  ← \(s.upstream.joined(separator: ", "))" }
        if let reason = s.reason { line += "  (\(reason))" }
        text += line + "\n"
    }
    return text
}

func jsonText<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// Statuses with what Slurm says of the models not done (queued or running tasks).
func withQueue(_ statuses: [ModelStatus], run: URL) -> [ModelStatus] {
    let queue = Slurm.queueStates(run: run)
    return statuses.map { s in
        var s = s
        if s.state != "done", let q = queue[s.name] { s.state = q.state; s.reason = q.reason }
        return s
    }
}

/// `--executor slurm`: writes the plan into the run folder and submits what is not done.
func submitToSlurm(_ configuration: RunConfiguration, context: RunContext, execution: ExecutionOptions) throws {
    let options = execution.slurm.options(threads: configuration.training.threads)
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    if execution.dryRun {
        let runner = try PaperSystem.runner(configuration, context: context)
        let jobs = try Slurm.jobs(runner, folder: context.run.appendingPathComponent("slurm"))
        if jobs.isEmpty { print("everything planned is done: nothing to submit") }
        for job in jobs {
            print("==> \(job.script)")
            print(Slurm.script(job, in: jobs, runner: runner, options: options, executable: executable))
        }
        return
    }
    let inFlight = Slurm.queueStates(run: context.run)
    if !inFlight.isEmpty {
        throw CommandFailure("\(inFlight.count) models of earlier submissions are still queued or running (\(inFlight.values.map(\.reason).sorted().prefix(3).joined(separator: ", "))…): wait for them or scancel them, then submit again")
    }
    let runner = try PaperSystem.prepare(configuration, context: context)
    let jobs = try Slurm.submit(try Slurm.jobs(runner, folder: context.run.appendingPathComponent("slurm")),
                                runner: runner, options: options, executable: executable)
    if jobs.isEmpty { print("everything planned is done: nothing to submit") }
    for job in jobs {
        print("submitted \(job.name): job \(job.jobID ?? "?"), \(job.tasks.count) task\(job.tasks.count == 1 ? "" : "s")")
    }
    print("follow with: emofuse status --run \(context.run.path); when all is done, the same command without --executor writes the report (every model reused)")
}
