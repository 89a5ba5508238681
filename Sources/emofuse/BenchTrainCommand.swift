import ArgumentParser

// PLACEHOLDER during development; replaced by the owning branch.
struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train")
    func run() throws { throw ValidationError("not yet built") }
}
