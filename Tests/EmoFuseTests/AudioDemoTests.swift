import Foundation
import Testing
@testable import EmoFuse

private var runEspeakTests: Bool {
    if AudioFiles.which("espeak-ng") != nil { return AudioTestSupport.runOpenSmileTests }
    if !AudioTestSupport.isCI { print("Audio demo test did not run: espeak-ng not on PATH (apt-get install espeak-ng)") }
    return AudioTestSupport.isCI
}

/// The demo's premise: espeak-ng speech whose loudness follows the latent arousal gives eGeMAPS
/// loudness that tracks the arousal annotation; the annotations cover the recordings.
@Test(.enabled(if: runEspeakTests, "espeak-ng or openSMILE missing"))
func demoSpeechCarriesTheLatentArousal() throws {
    let dir = AudioTestSupport.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let layout = try AudioDemo.synthesise(root: dir.appendingPathComponent("src"), recordings: 5, seconds: 24, seed: 3)
    let out = dir.appendingPathComponent("data")
    let extractor = try FeatureExtractor(library: try AudioTestSupport.library(), set: .egemaps)
    let built = try RecordingsDataset.build(audio: layout.audio, annotations: layout.annotations, partition: layout.partition,
                                            out: out, extractor: extractor, threads: 2)
    #expect(built.partitionCounts == [.train: 3, .devel: 1, .test: 1] && built.warnings.isEmpty)
    let data = try MuseDataset(root: out, options: LoadOptions(useCache: false))
    let features = try data.featureSet("egemaps"), arousal = try data.labels("arousal")
    let j = try #require(features.columnNames.firstIndex(of: "loudness_sma3_amean"))
    var x: [Float] = [], y: [Float] = []
    for s in data.subjects {
        let f = features.sequences[s.id]!, l = arousal.sequences[s.id]!
        #expect(f.rows == 48 && l.rows == 48)
        for r in 0..<f.rows where !l.values[r].isNaN { x.append(f.values[r * f.dim + j]); y.append(l.values[r]) }
    }
    let n = Float(x.count), mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
    let cov = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
    let r = cov / (x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }.squareRoot() * y.reduce(0) { $0 + ($1 - my) * ($1 - my) }.squareRoot())
    #expect(r > 0.5, "loudness vs arousal correlation \(r)")
}
