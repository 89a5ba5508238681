import ArgumentParser

// PLACEHOLDER during development; replaced by the owning branch.
struct BenchLoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "load")
    func run() throws { throw ValidationError("not yet built") }
}
