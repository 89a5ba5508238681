import ArgumentParser
import EmoFuse
import Foundation

/// `emofuse demo --audio`: the system from sound. espeak-ng speech whose prosody follows known
/// latent curves → `dataset from-recordings` → the paper's system on `egemaps` → devel/test CCC.
extension DemoCommand {
    func runAudioDemo() throws {
        // The synthetic-feature demo's default folders hold another dataset: use their -audio siblings.
        let root = URL(fileURLWithPath: data == "data/demo" ? "data/demo-audio" : data)
        let runFolder = self.runFolder == "runs/demo" ? "runs/demo-audio" : self.runFolder
        let log = AudioProgress(quiet: quiet)
        let start = Date()
        let sources = root.appendingPathComponent("sources")
        log.line("synthesising \(audioRecordings) recordings of \(Int(audioSeconds)) s with espeak-ng in \(sources.path)…")
        let layout = try AudioDemo.synthesise(root: sources, recordings: audioRecordings, seconds: audioSeconds, seed: seed)
        let extractor = try FeatureExtractor(library: try OpenSmileLibrary.load(), set: .egemaps)
        let built = try RecordingsDataset.build(audio: layout.audio, annotations: layout.annotations, partition: layout.partition,
                                                out: root, extractor: extractor, threads: RunConfiguration.demo.training.threads, progress: log.handler)
        log.finish()
        for w in built.warnings { log.line("warning: \(w)") }
        log.line(String(format: "dataset %@: %.1f min of audio, features in %.1f s", root.path, built.features.audioSeconds / 60,
                        built.features.wallSeconds))
        var config = try execution.configuration(base: .audioDemo)
        config.featureSets = ["egemaps"]
        config.fusion.sets = ["egemaps"]
        config.emotions = built.emotions
        config.robustness = false
        try runAudioSystem(config, data: root, run: URL(fileURLWithPath: runFolder))
        print(String(format: "wall time: %.1f s", Date().timeIntervalSince(start)))
    }

    /// The one call into the pipeline (kept apart so that it follows the pipeline's entry point).
    private func runAudioSystem(_ config: RunConfiguration, data: URL, run: URL) throws {
        let context = RunContext(data: data, run: run, loadOptions: LoadOptions(),
                                 progress: ProgressPrinter.make(quiet: quiet))
        let result = try PaperSystem.run(config, context: context)
        if let study = result.experiments {
            print(Report.finalTable(study, emotions: config.emotions, paper: result.paperShaped))
        }
        print("report: \(run.appendingPathComponent("report.md").path)")
    }
}
