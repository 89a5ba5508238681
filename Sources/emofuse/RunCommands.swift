import ArgumentParser
import EmoFuse
import Foundation

/// `emofuse run`: the whole pipeline from one configuration file.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the paper's whole system (auto-encoders, regressors, fusion, report) from a JSON configuration.")

    @OptionGroup var data: DataOptions
    @Option(help: "The run configuration (JSON); every key is optional.") var config: String?
    @Option(help: "Threads (overrides training.threads).") var threads: Int?

    func run() throws {
        try runAndPrint(try loadConfiguration(config, threads: threads), data: data)
    }
}

/// `emofuse experiments`: the paper's Tables 1–9 regenerated on a dataset.
struct ExperimentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiments",
        abstract: "Regenerate the paper's experiments (Tables 1–9) on a dataset: the system plus every ablation.")

    @OptionGroup var data: DataOptions
    @Option(help: "The run configuration (JSON); `experiments` is forced on.") var config: String?
    @Option(help: "Threads (overrides training.threads).") var threads: Int?

    func run() throws {
        var configuration = try loadConfiguration(config, threads: threads)
        configuration.experiments = true
        try runAndPrint(configuration, data: data)
    }
}

/// The configuration file's contents (or the defaults), with `--threads` applied.
func loadConfiguration(_ path: String?, threads: Int?) throws -> RunConfiguration {
    var configuration = try path.map { try RunConfiguration.load(from: URL(fileURLWithPath: $0)) } ?? RunConfiguration()
    if let threads { configuration.training.threads = threads }
    return configuration
}

func runAndPrint(_ configuration: RunConfiguration, data: DataOptions) throws {
    let start = Date()
    let context = try makeContext(data, nil)
    let result = try PaperSystem.run(configuration, context: context)
    print(Report.finalTable(result.fusion, emotions: configuration.emotions))
    if let experiments = result.experiments {
        for t in experiments.tables { print(Report.table(t)) }
    }
    print("report: \(data.runURL.appendingPathComponent("report.md").path)")
    print("submission: \(data.runURL.appendingPathComponent("submission").path)")
    print(String(format: "wall time: %.1f s", Date().timeIntervalSince(start)))
}
