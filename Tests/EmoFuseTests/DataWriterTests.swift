import Foundation
import Testing
@testable import EmoFuse

@Test func writtenFeatureSetsReadBackExactly() throws {
    let t = TempDataset()
    t.makeValid()
    var rng = RandomSource(seed: 5)
    let out = t.base.appendingPathComponent("run")
    var written: [FeatureSequence] = []
    for id in ["1", "2", "3", "4"] {
        var values = (0..<(12 * 3)).map { _ in Float(rng.normal()) * 1e3 }
        values[4] = .nan
        values[5] = 1e-40
        written.append(FeatureSequence(id: id, timestamps: (0..<12).map { Int64($0) * 500 + 250 },
                                       segmentIDs: (0..<12).map { Int64($0 / 4 + 1) }, dim: 3, values: values))
    }
    try MuseWriter.writeFeatureSet(name: "re-x", columns: ["a", "b", "c"], sequences: written, to: out)
    let set = try t.open(overlays: [out]).featureSet("re-x")
    #expect(set.columnNames == ["a", "b", "c"] && set.missingCells == 4)
    for w in written {
        let r = set.sequences[w.id]!
        #expect(r.timestamps == w.timestamps && r.segmentIDs == w.segmentIDs)
        #expect(zip(r.values, w.values).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) })
    }
    // Nothing was written into the dataset root.
    #expect(!FileManager.default.fileExists(atPath: t.root.appendingPathComponent("feature_segments/re-x").path))
    let e = try #require(datasetError {
        try MuseWriter.writeFeatureSet(name: "bad", columns: ["a"], sequences: [written[0]], to: out)
    })
    #expect(e.message.contains("3 columns, 1 column names"))
}

@Test func submissionsHaveNoEmptyCells() throws {
    let t = TempDataset()
    let out = t.base.appendingPathComponent("submission")
    let ok = LabelSequence(id: "7", timestamps: [0, 500, 1000], segmentIDs: [1, 1, 2], values: [0.25, -0.5, 0.125])
    try MuseWriter.writeSubmission(emotion: "arousal", sequences: [ok], to: out)
    let text = try String(contentsOf: out.appendingPathComponent("label_segments/arousal/7.csv"), encoding: .utf8)
    #expect(text == "timestamp,segment_id,value\n0,1,0.25\n500,1,-0.5\n1000,2,0.125\n")
    let bad = LabelSequence(id: "8", timestamps: [0, 500], segmentIDs: [1, 1], values: [0.1, .nan])
    let e = try #require(datasetError { try MuseWriter.writeSubmission(emotion: "arousal", sequences: [bad], to: out) })
    #expect(e.file.hasSuffix("label_segments/arousal/8.csv") && e.line == 3 && e.column == 3)
    #expect(!FileManager.default.fileExists(atPath: e.file))
}
