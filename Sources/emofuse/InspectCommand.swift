import ArgumentParser

// PLACEHOLDER during development; replaced by the owning branch.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect")
    func run() throws { throw ValidationError("not yet built") }
}
