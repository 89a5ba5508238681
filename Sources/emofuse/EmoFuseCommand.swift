import ArgumentParser

@main
struct EmoFuseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emofuse",
        abstract: "Continuous emotion recognition with auto-encoder difficulty indicators and late fusion.",
        subcommands: [
            SynthCommand.self,
            InspectCommand.self,
            BenchCommand.self,
        ]
    )
}
