import Foundation
import Testing
@testable import EmoFuse

/// A model trained on features from `emofuse features` records their extraction; predicting on
/// the same recording through `AudioPrediction` and `emofuse predict --audio` (auto-encoder chain
/// included) gives the run's own predictions, and a request that differs from the record is an error.
@Test(.enabled(if: AudioTestSupport.runOpenSmileTests, "openSMILE not installed (pip install opensmile==2.6.0)"))
func predictionOnNewAudioReproducesTheRunAndRefusesOtherExtractions() throws {
    let library = try AudioTestSupport.library()
    let dir = AudioTestSupport.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let audio = dir.appendingPathComponent("audio"), ann = dir.appendingPathComponent("ann")
    var partition = "Id,Proposal\n"
    for i in 0..<5 {
        let id = "R\(i)"
        try AtomicFile.write(WAVReader.encode(samples: AudioTestSupport.tone(seconds: 4, seed: UInt64(i)), sampleRate: 16000),
                             to: audio.appendingPathComponent(id + ".wav"))
        try AtomicFile.write("time,value\n" + (0...8).map { "\(Double($0) / 2),\(sin(Double($0 + i)))" }.joined(separator: "\n"),
                             to: ann.appendingPathComponent("arousal/\(id).csv"))
        partition += "\(id),\(i < 3 ? "train" : (i == 3 ? "devel" : "test"))\n"
    }
    try AtomicFile.write(partition, to: dir.appendingPathComponent("partition.csv"))
    let data = dir.appendingPathComponent("data"), run = dir.appendingPathComponent("run")
    let extractor = try FeatureExtractor(library: library, set: .egemaps)
    _ = try RecordingsDataset.build(audio: audio, annotations: ann, partition: dir.appendingPathComponent("partition.csv"),
                                    out: data, extractor: extractor, threads: 2)
    var settings = ModelSettings(network: NetworkShape(hiddenSize: 4, layers: 1))
    settings.training.maxEpochs = 2; settings.training.patience = 2; settings.training.windowLength = 4
    settings.training.windowHop = 2; settings.training.batchSize = 4
    let context = RunContext(data: data, run: run, loadOptions: LoadOptions(useCache: false))
    try Stages.autoencode(set: "egemaps", settings: settings, context: context)
    try Stages.regress(features: ["egemaps", "re-egemaps"], emotion: "arousal", name: "pred-egemaps-arousal",
                       settings: settings, context: context)
    let checkpoint = run.appendingPathComponent("checkpoints/pred-egemaps-arousal.safetensors")
    let card = try ModelStore.load(from: checkpoint).card
    #expect(card.extraction == ["egemaps": extractor.description])

    let out = dir.appendingPathComponent("pred")
    let s = try AudioPrediction.run(checkpoint: checkpoint, audio: [audio.appendingPathComponent("R4.wav").path], out: out)
    #expect(s.files.map(\.lastPathComponent) == ["R4.csv"] && s.extraction == extractor.description)
    let got = try String(contentsOf: out.appendingPathComponent("R4.csv"), encoding: .utf8).split(separator: "\n")
    let want = try String(contentsOf: run.appendingPathComponent("feature_segments/pred-egemaps-arousal/R4.csv"), encoding: .utf8)
        .split(separator: "\n")
    #expect(got.first == "timestamp,prediction" && got.count == want.count && got.count == 9)
    for (g, w) in zip(got.dropFirst(), want.dropFirst()) {
        let gc = g.split(separator: ","), wc = w.split(separator: ",", omittingEmptySubsequences: false)
        #expect(gc[0] == wc[0] && abs(Double(gc[1])! - Double(wc[2])!) < 1e-5, "\(g) vs \(w)")
    }
    #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("R4.svg").path))

    // The CLI: the same files, byte for byte; a differing request fails naming the checkpoint.
    let cache = dir.appendingPathComponent("cache"), cliOut = dir.appendingPathComponent("pred-cli")
    let cli = try EmofuseCLI.run(["predict", "--checkpoint", checkpoint.path, "--audio", audio.appendingPathComponent("R4.wav").path,
                                  "--out", cliOut.path, "--quiet"], cache: cache)
    #expect(cli.status == 0 && cli.stdout.contains("pred-egemaps-arousal on 1 recording(s)"), "\(cli.stderr)")
    for file in ["R4.csv", "R4.svg"] {
        #expect(FileManager.default.contents(atPath: cliOut.appendingPathComponent(file).path)
                == FileManager.default.contents(atPath: out.appendingPathComponent(file).path), "\(file)")
    }
    let cliMismatch = try EmofuseCLI.run(["predict", "--checkpoint", checkpoint.path, "--audio", audio.path, "--out", cliOut.path,
                                          "--window", "3", "--quiet"], cache: cache)
    #expect(cliMismatch.status != 0 && cliMismatch.stderr.contains(checkpoint.path)
            && cliMismatch.stderr.contains("window 3.0 s vs 2.0 s"), "\(cliMismatch.stderr)")

    let mismatch = try #require(throws: CheckpointError.self) {
        _ = try AudioPrediction.run(checkpoint: checkpoint, audio: [audio.path], out: out, request: .init(hop: 0.25))
    }
    #expect(mismatch.message.contains("hop 0.25 s vs 0.5 s"))
}
