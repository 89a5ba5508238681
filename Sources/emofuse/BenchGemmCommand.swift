import ArgumentParser

// PLACEHOLDER during development; replaced by the owning branch.
struct BenchGemmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gemm")
    func run() throws { throw ValidationError("not yet built") }
}
