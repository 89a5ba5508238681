import Foundation

/// What `sbatch` is told for every task (Slurm's own options, passed through).
public struct SlurmOptions: Codable, Sendable, Equatable {
    public var partition: String?
    public var account: String?
    /// Wall-clock limit per task, in Slurm's format (e.g. `2:00:00`).
    public var time: String?
    /// CPUs per task: the training threads of each model.
    public var cpusPerTask: Int = TrainingOptions().threads
    /// Memory per task, in Slurm's format (e.g. `8G`).
    public var mem: String?
    public var qos: String?
    /// Further `sbatch` options, each as written on its command line (e.g. `--constraint=avx2`).
    public var extra: [String] = []

    public init() {}
}

/// One array job: its tasks run `emofuse job` on one planned model (or grid candidate) each.
public struct SlurmArrayJob: Codable, Sendable, Equatable {
    /// `emofuse-<level>` or `emofuse-<level>-choose`.
    public var name: String
    public var tasks: [PlanTask]
    /// Index (in the submission's list) of the array job that must succeed first.
    public var after: Int?
    /// The script's path, and the job ID once submitted.
    public var script: String
    public var jobID: String?
}

/// Runs a plan on a Slurm cluster with nothing home-made in between: one array job per level of
/// the plan's dependency graph (a level's models depend only on earlier levels), chained with
/// `--dependency=afterok`; each task runs `emofuse job --run R --plan-index N`. A model whose grid
/// has several candidates runs one task per candidate, then a small task that keeps the best.
/// The run folder (on a filesystem the nodes share) is the only state: what is done is never
/// resubmitted, and a task killed by Slurm leaves nothing that a resubmission would trust.
public enum Slurm {
    /// The array jobs for every model of the plan that is not done, in submission order.
    public static func jobs(_ runner: Runner, folder: URL) throws -> [SlurmArrayJob] {
        let statuses = try runner.status()
        let pending = Set(statuses.filter { $0.state != "done" }.map(\.name))
        var level: [String: Int] = [:]
        for model in runner.plan.models where pending.contains(model.name) {
            level[model.name] = (model.upstream.compactMap { level[$0] }.max() ?? -1) + 1
        }
        var jobs: [SlurmArrayJob] = []
        var previous: Int?
        for l in 0..<(level.values.max().map { $0 + 1 } ?? 0) {
            let models = runner.plan.models.filter { level[$0.name] == l }
            let tasks = models.flatMap { m in m.splitsGrid ? m.candidates.indices.map { PlanTask.candidate(m.name, $0) } : [.model(m.name)] }
            jobs.append(SlurmArrayJob(name: "emofuse-\(l)", tasks: tasks, after: previous,
                                      script: folder.appendingPathComponent("level-\(l).sbatch").path))
            previous = jobs.count - 1
            let choices = models.filter(\.splitsGrid).map { PlanTask.choose($0.name) }
            if !choices.isEmpty {
                jobs.append(SlurmArrayJob(name: "emofuse-\(l)-choose", tasks: choices, after: previous,
                                          script: folder.appendingPathComponent("level-\(l)-choose.sbatch").path))
                previous = jobs.count - 1
            }
        }
        return jobs
    }

    /// The batch script of `job`: readable, editable, and submittable by hand.
    public static func script(_ job: SlurmArrayJob, in jobs: [SlurmArrayJob], runner: Runner,
                              options: SlurmOptions, executable: String) -> String {
        let run = runner.context.run.path
        let logs = runner.context.run.appendingPathComponent("slurm/logs").path
        var s = "#!/bin/bash\n"
        s += "# EmoFuse, run folder \(run): \(job.tasks.count) task\(job.tasks.count == 1 ? "" : "s"), each `emofuse job` on one piece of the plan.\n"
        if let after = job.after {
            s += "# Submitted after \(jobs[after].name) succeeds:\n#   sbatch --dependency=afterok:<job ID of \(jobs[after].name)> --kill-on-invalid-dep=yes \(job.script)\n"
        } else {
            s += "# Submitted first:  sbatch \(job.script)\n"
        }
        s += "# The run folder is the only state: resubmitting runs only what is not done.\n"
        s += "#SBATCH --job-name=\(job.name)\n#SBATCH --array=0-\(job.tasks.count - 1)\n"
        s += "#SBATCH --cpus-per-task=\(options.cpusPerTask)\n#SBATCH --output=\(logs)/%x-%A_%a.out\n"
        for (key, value) in [("partition", options.partition), ("account", options.account), ("time", options.time),
                             ("mem", options.mem), ("qos", options.qos)] {
            if let value { s += "#SBATCH --\(key)=\(value)\n" }
        }
        for extra in options.extra { s += "#SBATCH \(extra)\n" }
        s += "set -euo pipefail\n\n# Task i runs line i.\ntasks=(\n"
        for task in job.tasks {
            let index = runner.plan.models.firstIndex { $0.name == task.model }!
            let args: String
            switch task {
            case .model: args = "--plan-index \(index)"
            case .candidate(_, let k): args = "--plan-index \(index) --candidate \(k)"
            case .choose: args = "--plan-index \(index) --choose"
            }
            s += "  \"\(args)\"".padding(toLength: 42, withPad: " ", startingAt: 0) + "  # \(task)\n"
        }
        s += ")\nexec \(shellQuoted(executable)) job --run \(shellQuoted(run)) ${tasks[$SLURM_ARRAY_TASK_ID]}\n"
        return s
    }

    /// Writes every script, then submits them in order with `sbatch --parsable`, chaining each to
    /// the one it waits for; records the job IDs in `slurm/submitted.json`.
    public static func submit(_ jobs: [SlurmArrayJob], runner: Runner, options: SlurmOptions,
                              executable: String) throws -> [SlurmArrayJob] {
        let folder = runner.context.run.appendingPathComponent("slurm")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("logs"), withIntermediateDirectories: true)
        for job in jobs {
            try AtomicFile.write(script(job, in: jobs, runner: runner, options: options, executable: executable),
                                 to: URL(fileURLWithPath: job.script))
        }
        var submitted = jobs
        for i in submitted.indices {
            var args = ["--parsable"]
            if let after = submitted[i].after, let id = submitted[after].jobID {
                args += ["--dependency=afterok:\(id)", "--kill-on-invalid-dep=yes"]
            }
            let out = try command("sbatch", args + [submitted[i].script])
            guard let id = out.split(separator: ";").first.map(String.init)?.trimmingCharacters(in: .whitespacesAndNewlines),
                  !id.isEmpty else {
                throw ConfigurationError(file: submitted[i].script, message: "sbatch gave no job ID: \(out)")
            }
            submitted[i].jobID = id
            var record = (try? JSONFiles.decode([SlurmArrayJob].self, from: Data(contentsOf: folder.appendingPathComponent("submitted.json")))) ?? []
            record.append(submitted[i])
            try JSONFiles.write(record, to: folder.appendingPathComponent("submitted.json"))
        }
        return submitted
    }

    /// Per planned model with a task queued or running in Slurm (from `squeue`): "queued (…)" or
    /// "running (…)". Empty where `squeue` does not answer.
    public static func queueStates(run: URL) -> [String: (state: String, reason: String)] {
        guard let data = try? Data(contentsOf: run.appendingPathComponent("slurm/submitted.json")),
              let jobs = try? JSONFiles.decode([SlurmArrayJob].self, from: data),
              let out = try? command("squeue", ["-h", "--me", "-o", "%i|%T"]) else { return [:] }
        let byID = Dictionary(jobs.compactMap { j in j.jobID.map { ($0, j) } }, uniquingKeysWith: { $1 })
        var states: [String: (state: String, reason: String)] = [:]
        for line in out.split(separator: "\n") {
            let parts = line.split(separator: "|").map(String.init)
            guard parts.count == 2 else { continue }
            let idParts = parts[0].split(separator: "_", maxSplits: 1).map(String.init)
            guard let job = byID[idParts[0]] else { continue }
            let indices = idParts.count > 1 ? arrayIndices(idParts[1]) : Array(job.tasks.indices)
            let state = parts[1] == "RUNNING" || parts[1] == "COMPLETING" ? "running" : "queued"
            for i in indices where i < job.tasks.count {
                let model = job.tasks[i].model
                if states[model]?.state == "running" { continue }
                states[model] = (state, "slurm job \(idParts[0])_\(i) \(parts[1].lowercased())")
            }
        }
        return states
    }

    /// `0-3,5,7-9%2` (squeue's array index list, brackets optional) → the indices.
    static func arrayIndices(_ spec: String) -> [Int] {
        let body = spec.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).split(separator: "%").first.map(String.init) ?? ""
        return body.split(separator: ",").flatMap { part -> [Int] in
            let ends = part.split(separator: "-").compactMap { Int($0) }
            if ends.count == 2, ends[0] <= ends[1] { return Array(ends[0]...ends[1]) }
            return ends.count == 1 ? ends : []
        }
    }

    /// Runs a Slurm client command; its stdout, or an error with its stderr.
    static func command(_ name: String, _ args: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [name] + args
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ConfigurationError(file: name, message: "\(name) \(args.joined(separator: " ")) failed (exit \(process.terminationStatus)): \(String(decoding: error, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func shellQuoted(_ s: String) -> String {
        s.allSatisfy { $0.isLetter || $0.isNumber || "/._-+=:,".contains($0) } ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
