import ArgumentParser

/// `emofuse bench …`: benchmarks that print figures (never run by the tests).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks: training/inference speed of the engine, GEMM kernels, dataset loading.",
        subcommands: [BenchTrainCommand.self, BenchGemmCommand.self, BenchLoadCommand.self, BenchStreamCommand.self],
        defaultSubcommand: BenchTrainCommand.self
    )
}
