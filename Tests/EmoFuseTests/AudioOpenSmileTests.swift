import Foundation
import Testing
@testable import EmoFuse

/// Swift-extracted features against the committed output of the `opensmile` Python package
/// (scripts/opensmile/make_fixture.py) on the same 3 s recording and windows: 1e-4 relative to
/// each column's largest magnitude.
@Test(.enabled(if: AudioTestSupport.runOpenSmileTests, "openSMILE not installed (pip install opensmile==2.6.0)"),
      arguments: [("egemaps", SegmentMode.stream, "egemaps-stream.csv"),
                  ("egemaps", SegmentMode.segments, "egemaps-segments.csv"),
                  ("egemaps-lld", SegmentMode.stream, "egemaps-lld.csv")])
func openSmileFeaturesMatchThePythonPackage(set: String, mode: SegmentMode, fixture: String) throws {
    let library = try AudioTestSupport.library()
    let extractor = try FeatureExtractor(library: library, set: AudioFeatureKind(rawValue: set)!, window: 2, hop: 0.5, mode: mode)
    let wav = AudioTestSupport.fixtures.appendingPathComponent("speech.wav")
    let clip = try WAVReader.read(wav)
    let got = try extractor.extract(clip, file: wav.path)
    let want = try AudioTestSupport.readCSV(AudioTestSupport.fixtures.appendingPathComponent(fixture))
    #expect(got.columns == want.names)
    #expect(got.timestamps == want.timestamps)
    let width = want.names.count
    try #require(got.values.count == want.values.count && width == (set == "egemaps" ? 88 : 25))
    for j in 0..<width {
        let column = stride(from: j, to: want.values.count, by: width)
        let scale = max(column.map { abs(want.values[$0]) }.filter(\.isFinite).max() ?? 1, 1e-30)
        for i in column {
            let (a, b) = (Double(got.values[i]), want.values[i])
            #expect(a.isNaN == b.isNaN && (a.isNaN || abs(a - b) <= 1e-4 * scale),
                    "\(want.names[j]) row \(i / width): swift \(a), python \(b)")
        }
    }
}

@Test(.enabled(if: AudioTestSupport.runOpenSmileTests, "openSMILE not installed (pip install opensmile==2.6.0)"))
func featuresCommandWritesAMuseFeatureSetAndReportsBadFiles() throws {
    let library = try AudioTestSupport.library()
    let dir = AudioTestSupport.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let audio = dir.appendingPathComponent("audio")
    try FileManager.default.createDirectory(at: audio, withIntermediateDirectories: true)
    try Data(WAVReader.encode(samples: AudioTestSupport.tone(seconds: 4.2), sampleRate: 16000)).write(to: audio.appendingPathComponent("A.wav"))
    try Data(WAVReader.encode(samples: AudioTestSupport.tone(seconds: 2.5, rate: 8000, seed: 2), sampleRate: 8000)).write(to: audio.appendingPathComponent("B.wav"))
    try Data().write(to: audio.appendingPathComponent("C.wav"))
    let out = dir.appendingPathComponent("data")
    let extractor = try FeatureExtractor(library: library, set: .egemaps)
    // C.wav is empty: the batch fails naming it; A and B are still written.
    let failure = try #require(throws: AudioBatchError.self) {
        try AudioFeatureWriter.run(recordings: try AudioFiles.list([audio.path]), extractor: extractor, out: out, threads: 2)
    }
    #expect(failure.failures.count == 1 && failure.failures[0].file.hasSuffix("C.wav") && failure.failures[0].message.contains("empty file"))
    let folder = out.appendingPathComponent("feature_segments/egemaps")
    let a = try AudioTestSupport.readCSV(folder.appendingPathComponent("A.csv"))
    #expect(a.names.first == "segment_id" && a.names.count == 89)
    #expect(a.timestamps == [0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000])
    let recorded = try FeatureExtraction.read(from: folder)
    #expect(recorded == extractor.description && recorded.configDigest.count == 16)
    #expect(recorded.differences(from: recorded).isEmpty)
    var other = recorded; other.hop = 0.25
    #expect(other.differences(from: recorded) == "hop 0.25 s vs 0.5 s")

    // The sidecar sits beside the CSVs; the dataset loader reads only the CSVs.
    try FileManager.default.removeItem(at: audio.appendingPathComponent("C.wav"))
    try AudioFeatureWriter.run(recordings: try AudioFiles.list([audio.path]), extractor: extractor, out: out, threads: 1)
    try AtomicFile.write("Id,Proposal\nA,train\nB,devel\n", to: out.appendingPathComponent("metadata/partition.csv"))
    let set = try MuseDataset(root: out, options: LoadOptions(useCache: false)).featureSet("egemaps")
    #expect(set.sequences["B"]?.rows == 5 && set.columnNames.count == 88)

    // Bad options and a recording too short for openSMILE's analysis frames.
    #expect(audioError { _ = try FeatureExtractor(library: library, set: .egemaps, hop: 0) }?.message.contains("hop") == true)
    #expect(audioError { _ = try FeatureExtractor(library: library, set: .egemaps, window: .nan) }?.message.contains("window") == true)
    let tiny = AudioClip(sampleRate: 16000, samples: [Int16](repeating: 100, count: 800), sourceFormat: "test")
    #expect(audioError { _ = try extractor.extract(tiny, file: "tiny.wav") }?.message.contains("too short") == true)
    // Stream mode: 22050 Hz would drift from openSMILE's 10 ms clock (an error); 48 kHz of any length gives every window.
    let odd = AudioClip(sampleRate: 22050, samples: AudioTestSupport.tone(seconds: 2, rate: 22050), sourceFormat: "test")
    #expect(audioError { _ = try extractor.extract(odd, file: "odd.wav") }?.message.contains("22050 Hz") == true)
    let segments = try FeatureExtractor(library: library, set: .egemaps, mode: .segments)
    #expect(try segments.extract(odd, file: "odd.wav").timestamps.count == 4)
    for seconds in [5.446, 7.013] {
        let clip = AudioClip(sampleRate: 48000, samples: AudioTestSupport.tone(seconds: seconds, rate: 48000), sourceFormat: "test")
        let f = try extractor.extract(clip, file: "long.wav")
        #expect(f.timestamps.count == Int((seconds / 0.5).rounded(.up)) && !f.values.contains { $0.isNaN })
    }
    let zeroRate = AudioClip(sampleRate: 0, samples: [1, 2], sourceFormat: "test")
    #expect(audioError { _ = try extractor.extract(zeroRate, file: "r0.wav") }?.message == "sample rate is 0")
}
