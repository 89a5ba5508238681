import ArgumentParser

// PLACEHOLDER during development; replaced by the owning branch.
struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "synth")
    func run() throws { throw ValidationError("not yet built") }
}
