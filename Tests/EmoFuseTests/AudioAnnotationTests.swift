import Foundation
import Testing
@testable import EmoFuse

private func annotation(_ text: String, emotion: String = "arousal") throws -> Annotation {
    let dir = AudioTestSupport.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("P1.csv")
    try Data(text.utf8).write(to: url)
    return try Annotation.read(url, emotion: emotion)
}

private func datasetError(_ body: () throws -> Void) -> DatasetError? {
    do { try body(); return nil } catch let e as DatasetError { return e } catch { return nil }
}

@Test func annotationsAcceptCommonHeadersAndUnits() throws {
    let a = try annotation("Time,Value\n0,0.1\n0.5,0.2\n")
    #expect(a.times == [0, 0.5] && a.values == [0.1, 0.2])
    let ms = try annotation("\u{FEFF}timestamp;arousal\r\n0;1\r\n250;2\r\n")
    #expect(ms.times == [0, 0.25] && ms.values == [1, 2])
    let gaps = try annotation("\"t\",\"rating\"\n0,1\n1,\n2,nan\n3,4\n")
    #expect(gaps.values[0] == 1 && gaps.values[1].isNaN && gaps.values[2].isNaN)
    let two = try annotation("seconds,whatever\n0,3\n")
    #expect(two.values == [3])
}

@Test func badAnnotationsAreErrorsWithLineAndColumn() throws {
    let cases: [(String, String)] = [
        ("", "empty file"),
        ("when,value\n0,1\n", "no time column"),
        ("time,a,b\n0,1,2\n", "no value column"),
        ("time,value\n", "no data rows"),
        ("time,value\n0,1\n1,x\n", "not a number"),
        ("time,value\n0,1\n2,1\n1,1\n", "not sorted"),
        ("time,value\n0,1\n0,2\n", "repeats"),
        ("time,value\n0,1\ninf,2\n", "not a finite number"),
        ("time,value\n0,1\n1\n", "row has 1 cells"),
    ]
    for (text, expected) in cases {
        let e = try #require(datasetError { _ = try annotation(text) }, "\(expected)")
        #expect(e.file.hasSuffix("P1.csv") && e.message.contains(expected), "\(e)")
    }
    let e = try #require(datasetError { _ = try annotation("time,value\n0,1\n2,1\n1,1\n") })
    #expect(e.line == 4 && e.column == 1)
}

@Test func annotationsAreResampledOntoTheFeatureGrid() throws {
    // 10 Hz ramp v = t: the mean over each 0.5 s hop centred on t equals t (edges: the samples inside).
    let fast = Annotation(file: "f.csv", times: (0..<41).map { Double($0) / 10 }, values: (0..<41).map { Double($0) / 10 })
    let r = try fast.resampled(to: [0, 0.5, 1, 1.5, 4], hop: 0.5, audioDuration: 4)
    #expect(zip(r.values, [0.1, 0.5, 1, 1.5, 3.9]).allSatisfy { abs(Double($0) - $1) < 1e-6 }, "\(r.values)")
    #expect(r.warnings.isEmpty)
    // 1 Hz: linear interpolation between neighbours.
    let slow = Annotation(file: "s.csv", times: [0, 1, 2, 3], values: [0, 1, 0, 2])
    let s = try slow.resampled(to: [0, 0.5, 1, 1.5, 2.5, 3], hop: 0.5, audioDuration: 3)
    #expect(s.values == [0, 0.5, 1, 0.5, 1, 2])
    // A gap (nan) and a stretch beyond --max-gap leave rows empty, with a warning saying so.
    let gappy = Annotation(file: "g.csv", times: [0, 1, 2, 6, 7], values: [0, .nan, 2, 6, 7])
    let g = try gappy.resampled(to: [0, 0.5, 1.5, 4, 6.5, 7.5], hop: 0.5, audioDuration: 7.5, maxGap: 2)
    #expect(g.values[0] == 0 && g.values[1].isNaN && g.values[2].isNaN && g.values[3].isNaN && g.values[4] == 6.5 && g.values[5].isNaN)
    #expect(g.warnings.count == 2 && g.warnings[0].message.contains("3 grid row(s) fall in gaps"))
    #expect(g.warnings[1].message.contains("1 grid row(s) outside it"))
    // An annotation far shorter or longer than its recording is an error naming the file.
    let short = Annotation(file: "short.csv", times: [0, 1, 2], values: [0, 0, 0])
    #expect(datasetError { _ = try short.resampled(to: [0], hop: 0.5, audioDuration: 60) }?.message.contains("recording lasts 60.00 s") == true)
    #expect(datasetError { _ = try short.resampled(to: [0], hop: 0.5, audioDuration: 0.1, durationTolerance: 1) }?.file == "short.csv")
}

@Test(.enabled(if: AudioTestSupport.runOpenSmileTests, "openSMILE not installed (pip install opensmile==2.6.0)"))
func datasetFromRecordingsIsAValidMuseDataset() throws {
    let library = try AudioTestSupport.library()
    let dir = AudioTestSupport.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let audio = dir.appendingPathComponent("audio"), ann = dir.appendingPathComponent("ann")
    for (i, id) in ["P1", "P2", "P3", "P4"].enumerated() {
        try AtomicFile.write(WAVReader.encode(samples: AudioTestSupport.tone(seconds: 3 + Double(i) * 0.3, seed: UInt64(i)), sampleRate: 16000),
                             to: audio.appendingPathComponent(id + ".wav"))
    }
    for id in ["P1", "P2", "P3"] {
        for e in ["arousal", "valence"] {
            let rows = (0...30).map { "\(Double($0) / 10),\(e == "arousal" ? Double($0) / 30 : 0.5)" }
            try AtomicFile.write("time,value\n" + rows.joined(separator: "\n") + "\n", to: ann.appendingPathComponent("\(e)/\(id).csv"))
        }
    }
    let partition = dir.appendingPathComponent("partition.csv")
    try AtomicFile.write("Id,Proposal\nP1,train\nP2,devel\nP3,test\n", to: partition)
    let out = dir.appendingPathComponent("data")
    let extractor = try FeatureExtractor(library: library, set: .egemaps)
    let s = try RecordingsDataset.build(audio: audio, annotations: ann, partition: partition, out: out, extractor: extractor, threads: 2)
    #expect(s.partitionCounts == [.train: 1, .devel: 1, .test: 2] && s.emotions == ["arousal", "valence"])
    #expect(s.warnings.contains { $0.message.contains("added to the test partition") })
    let report = MuseDataset.inspect(root: out, options: LoadOptions(useCache: false))
    #expect(report.isValid, "\(report.problems)")
    let data = try MuseDataset(root: out, options: LoadOptions(useCache: false))
    let arousal = try data.labels("arousal")
    #expect(arousal.sequences["P1"]!.values.prefix(3).map { ($0 * 1000).rounded() / 1000 } == [0.033, 0.167, 0.333])
    let p4Empty = arousal.sequences["P4"]!.values.allSatisfy { $0.isNaN }
    #expect(p4Empty)     // unannotated: empty labels
    let features = try data.featureSet("egemaps")
    #expect(arousal.sequences["P1"]!.rows == features.sequences["P1"]!.rows)

    // Bad inputs, each naming the file.
    func fails(_ expected: String, partitionText: String = "Id,Proposal\nP1,train\nP2,devel\nP3,test\n") -> Bool {
        try? AtomicFile.write(partitionText, to: partition)
        do {
            _ = try RecordingsDataset.build(audio: audio, annotations: ann, partition: partition, out: dir.appendingPathComponent("bad"),
                                            extractor: extractor, threads: 1)
            return false
        } catch { return "\(error)".contains(expected) }
    }
    #expect(fails("has no recording", partitionText: "Id,Proposal\nP9,train\n"))
    #expect(fails("needs an annotation for every emotion", partitionText: "Id,Proposal\nP1,train\nP4,train\n"))
    #expect(fails("in no partition", partitionText: "Id,Proposal\nP1,train\n"))
    try AtomicFile.write("time,value\n0,1\n0.5,nan\n0.2,1\n", to: ann.appendingPathComponent("valence/P2.csv"))
    #expect(fails("valence/P2.csv:4:1: times are not sorted"))
    try AtomicFile.write("time,value\n0,1\n0.5,1\n", to: ann.appendingPathComponent("valence/P2.csv"))
    #expect(fails("P2.csv: annotation covers 0.00–0.50 s, the recording lasts 3.30 s"))
    try AtomicFile.write("time,value\n0,1\n", to: ann.appendingPathComponent("valence/P7.csv"))
    #expect(fails("no recording with that ID"))
}
