import ArgumentParser
import Dispatch
import EmoFuse
import Foundation

/// `emofuse job`: one piece of a run folder's plan (what a Slurm array task runs).
struct JobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job",
        abstract: "Run exactly one planned model of a run folder (or one grid candidate, or the choice among them), then exit.",
        discussion: "The run folder must hold plan.json and run.json (written by `run`, `experiments` or `run --executor slurm`); the model's upstream models must be done.")

    @Option(name: .customLong("run"), help: "The run folder.") var runFolder: String
    @Option(help: "The model's position in plan.json's models (0-based).") var planIndex: Int
    @Option(help: "Train only this grid candidate (0-based) of the model.") var candidate: Int?
    @Flag(help: "Keep the best of the model's finished candidates and write the model's outputs.") var choose = false
    @Flag(help: "No progress output.") var quiet = false

    func validate() throws {
        if candidate != nil && choose { throw ValidationError("--candidate and --choose exclude each other") }
    }

    func run() throws {
        let run = URL(fileURLWithPath: runFolder)
        var (plan, context) = try RunRecord.load(run: run)
        guard plan.models.indices.contains(planIndex) else {
            throw CommandFailure("\(run.path)/plan.json: --plan-index \(planIndex) is not a model index (0..<\(plan.models.count))")
        }
        let name = plan.models[planIndex].name
        context.progress = ProgressPrinter.make(quiet: quiet)
        let task: PlanTask = candidate.map { .candidate(name, $0) } ?? (choose ? .choose(name) : .model(name))
        let runner = try Runner(plan: plan, context: context)
        let log = slurmLog(run)
        // Slurm stops a task with SIGTERM (scancel, time limit, preemption): say so where `status` looks.
        signal(SIGTERM, SIG_IGN)
        let term = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        term.setEventHandler {
            runner.recordFailure(name, "stopped by SIGTERM (scancel, time limit or preemption) during \(task)\(log.map { "; log: \($0)" } ?? "")")
            Foundation.exit(143)
        }
        term.resume()
        do {
            try runner.run(task)
        } catch {
            runner.recordFailure(name, "\(error)\(log.map { " (log: \($0))" } ?? "")")
            throw error
        }
    }

    /// This Slurm task's output file, as the generated scripts name it.
    private func slurmLog(_ run: URL) -> String? {
        let env = ProcessInfo.processInfo.environment
        guard let name = env["SLURM_JOB_NAME"], let job = env["SLURM_ARRAY_JOB_ID"], let task = env["SLURM_ARRAY_TASK_ID"] else { return nil }
        return run.appendingPathComponent("slurm/logs/\(name)-\(job)_\(task).out").path
    }
}
