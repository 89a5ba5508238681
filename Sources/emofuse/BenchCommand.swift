import ArgumentParser

// PLACEHOLDER during development; replaced by the owning branch.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench")
    func run() throws { throw ValidationError("not yet built") }
}
