import ArgumentParser

@main
struct EmoFuseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emofuse",
        abstract: "Continuous emotion recognition with auto-encoder difficulty indicators and late fusion (Hamieh et al., MuSe 2021).",
        subcommands: [
            DemoCommand.self,
            RunCommand.self,
            StatusCommand.self,
            JobCommand.self,
            ExperimentsCommand.self,
            RobustnessCommand.self,
            AutoencodeCommand.self,
            TrainCommand.self,
            FuseCommand.self,
            PredictCommand.self,
            EvaluateCommand.self,
            InspectCommand.self,
            SynthCommand.self,
            FeaturesCommand.self,
            DatasetCommand.self,
            BenchCommand.self,
            StreamCommand.self,
            ImportCommand.self,
        ]
    )
}
