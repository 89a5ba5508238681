import Foundation
import Testing
@testable import EmoFuse

@Test func loadsAValidDataset() throws {
    let t = TempDataset()
    t.makeValid()
    let ds = try t.open()
    #expect(ds.subjects.map(\.id) == ["1", "2", "3", "4"])
    #expect(ds.subjects(in: .train).map(\.id) == ["1", "2"])
    #expect(ds.subjects(in: .test).map(\.id) == ["4"])
    #expect(ds.featureSetNames == ["egemaps", "vggish"])
    #expect(ds.emotionNames == ["arousal", "valence"])
    let eg = try ds.featureSet("egemaps")
    #expect(eg.dim == 3 && eg.columnNames == ["egemaps_f0", "egemaps_f1", "egemaps_f2"])
    #expect(eg.missingCells == 0)
    let s3 = try #require(eg.sequences["3"])
    #expect(s3.rows == 12 && s3.dim == 3)
    #expect(s3.timestamps == (0..<12).map { Int64($0) * 500 })
    #expect(s3.segmentIDs[5] == 2)
    for r in 0..<12 { for j in 0..<3 { #expect(s3.values[r * 3 + j] == fixtureValue(subject: 2, row: r, column: j)) } }
    let arousal = try ds.labels("arousal")
    #expect(arousal.sequences["1"]!.values[4] == fixtureLabel(subject: 0, row: 4, emotion: 0))
    #expect(arousal.sequences["4"]!.values.allSatisfy { $0.isNaN })
    #expect(ds.validate().isEmpty)
    #expect(ds.warnings.isEmpty)
}

@Test func opaqueIDsAndAnyFolderNames() throws {
    let t = TempDataset()
    t.makeValid(subjects: [("P1T10", "train"), ("P2T3", "devel"), ("x", "test")], dims: ["anno-set_1": 1],
                emotions: ["anno12_EDA"])
    let ds = try t.open()
    #expect(ds.featureSetNames == ["anno-set_1"])
    #expect(ds.emotionNames == ["anno12_EDA"])
    #expect(try ds.featureSet("anno-set_1").sequences.keys.sorted() == ["P1T10", "P2T3", "x"])
}

@Test func partitionFileProblems() throws {
    let t = TempDataset()
    t.makeValid()
    t.write("metadata/partition.csv", "Id,Proposal\n1,train\n2,training\n1,devel\n3,devel\n")
    let e = try #require(datasetError { _ = try t.open() })
    #expect(e.file == t.path("metadata/partition.csv"))
    #expect(e.line == 3 && e.column == 2 && e.message.contains("unknown Proposal 'training'"))
    let report = MuseDataset.inspect(root: t.root, options: t.options)
    #expect(report.problems.count == 2)
    #expect(report.problems[1].line == 4 && report.problems[1].column == 1)
    #expect(report.problems[1].message.contains("duplicate Id '1' (first listed on line 2)"))

    t.write("metadata/partition.csv", "Subject,Split\n1,train\n")
    #expect(MuseDataset.inspect(root: t.root).problems.first?.message.contains("expected Id,Proposal") == true)
    t.remove("metadata/partition.csv")
    #expect(MuseDataset.inspect(root: t.root).problems.first?.message.contains("file not found") == true)
}

@Test func missingFoldersAndFiles() throws {
    let t = TempDataset()
    t.makeValid()
    t.remove("feature_segments/vggish/3.csv")
    let ds = try t.open()
    let e1 = try #require(datasetError { _ = try ds.featureSet("vggish") })
    #expect(e1.file == t.path("feature_segments/vggish/3.csv"))
    #expect(e1.message.contains("subject '3'") && e1.message.contains("line 4"))
    let e2 = try #require(datasetError { _ = try ds.featureSet("bert-4") })
    #expect(e2.file == t.path("feature_segments/bert-4"))
    #expect(e2.message.contains("folder not found") && e2.message.contains("egemaps, vggish"))
    let e3 = try #require(datasetError { _ = try ds.labels("dominance") })
    #expect(e3.message.contains("label folder not found"))
    // egemaps is intact.
    #expect(try ds.featureSet("egemaps").sequences.count == 4)
}

@Test func unknownIDIsAWarningAndIgnored() throws {
    let t = TempDataset()
    t.makeValid()
    t.write("feature_segments/egemaps/99.csv", "timestamp,segment_id,a,b,c\n0,1,1,2,3\n")
    let ds = try t.open()
    let set = try ds.featureSet("egemaps")
    #expect(set.sequences["99"] == nil)
    #expect(ds.warnings.count == 1)
    #expect(ds.warnings.first?.file == t.path("feature_segments/egemaps/99.csv"))
    #expect(ds.warnings.first?.message.contains("in no partition") == true)
    #expect(ds.validate().isEmpty)
}

@Test func inconsistentDimensionAndLabelFileInFeatureFolder() throws {
    let t = TempDataset()
    t.makeValid()
    t.write("feature_segments/egemaps/2.csv", "timestamp,segment_id,a,b\n0,1,1,2\n")
    t.write("feature_segments/egemaps/3.csv", "timestamp,segment_id,value\n0,1,0.5\n")
    let ds = try t.open()
    let problems = ds.validate().filter { $0.file.contains("egemaps") }
    #expect(problems.count == 2)
    #expect(problems[0].file == t.path("feature_segments/egemaps/2.csv"))
    #expect(problems[0].line == 1 && problems[0].message.contains("has 2 feature columns") && problems[0].message.contains("have 3"))
    #expect(problems[1].file == t.path("feature_segments/egemaps/3.csv"))
    #expect(problems[1].message.contains("looks like a label file"))
    let e = try #require(datasetError { _ = try ds.featureSet("egemaps") })
    #expect(e.file == t.path("feature_segments/egemaps/2.csv"))
}

@Test func validateListsEveryProblem() throws {
    let t = TempDataset()
    t.makeValid()
    t.write("feature_segments/egemaps/1.csv", "timestamp,segment_id,a,b,c\n0,1,1,2,3\n0,1,1,2,3\n")
    t.write("feature_segments/vggish/2.csv", "timestamp,segment_id,a,b\n0,1,1,oops\n")
    t.write("label_segments/valence/3.csv", "")
    t.remove("label_segments/arousal/4.csv")
    let ds = try t.open()
    let problems = ds.validate()
    func has(_ file: String, _ line: Int?, _ column: Int?, _ words: String) -> Bool {
        problems.contains { $0.file == t.path(file) && $0.line == line && $0.column == column && $0.message.contains(words) }
    }
    #expect(has("feature_segments/egemaps/1.csv", 3, 1, "does not increase"))
    #expect(has("feature_segments/vggish/2.csv", 2, 4, "\"oops\""))
    #expect(has("label_segments/valence/3.csv", nil, nil, "empty file"))
    #expect(has("label_segments/arousal/4.csv", nil, nil, "file not found"))
    // Row counts are checked against the first emotion (arousal): egemaps/1.csv fails to parse, so only
    // the files that parsed are compared.
    #expect(problems.count == 4, "\(problems.map(\.description))")
    let report = ds.inspect()
    #expect(!report.isValid)
}

@Test func rowCountMismatchIsReportedByValidate() throws {
    let t = TempDataset()
    t.makeValid()
    var text = "timestamp,segment_id,a,b\n"
    for r in 0..<15 { text += "\(r * 500),1,1,2\n" }
    t.write("feature_segments/vggish/2.csv", text)
    let strict = try t.open()
    let problems = strict.validate()
    #expect(problems.count == 1)
    #expect(problems.first?.file == t.path("feature_segments/vggish/2.csv"))
    #expect(problems.first?.message.contains("15 rows here, 12 rows in \(t.path("label_segments/arousal/2.csv"))") == true)
    let lenient = try t.open(LoadOptions(rowTolerance: 3, cacheDirectory: t.cache))
    #expect(lenient.validate().isEmpty)
}

@Test func overlaysTakePrecedence() throws {
    let t = TempDataset()
    t.makeValid()
    let run = t.base.appendingPathComponent("run")
    let seqs = ["1", "2", "3", "4"].map {
        FeatureSequence(id: $0, timestamps: (0..<12).map { Int64($0) * 500 }, segmentIDs: [Int64](repeating: 1, count: 12),
                        dim: 1, values: (0..<12).map { Float($0) })
    }
    try MuseWriter.writeFeatureSet(name: "re-egemaps", columns: ["re"], sequences: seqs, to: run)
    let shadow = seqs.map { FeatureSequence(id: $0.id, timestamps: $0.timestamps, segmentIDs: $0.segmentIDs, dim: 1, values: [Float](repeating: 7, count: 12)) }
    try MuseWriter.writeFeatureSet(name: "vggish", columns: ["v"], sequences: shadow, to: run)
    let ds = try t.open(overlays: [run])
    #expect(ds.featureSetNames == ["egemaps", "re-egemaps", "vggish"])
    #expect(try ds.featureSet("re-egemaps").sequences["2"]!.values == (0..<12).map { Float($0) })
    let vggish = try ds.featureSet("vggish")
    #expect(vggish.dim == 1 && vggish.sequences["1"]!.values.allSatisfy { $0 == 7 })
    #expect(vggish.directory.path.hasPrefix(run.standardizedFileURL.path))
    #expect(ds.validate().isEmpty)
}

@Test func inspectReportSummarises() throws {
    let t = TempDataset()
    t.makeValid(rows: ["1": 10, "2": 12, "3": 14, "4": 12])
    t.write("feature_segments/vggish/1.csv", "timestamp,segment_id,a,b\n" + (0..<10).map { "\($0 * 500),1,\($0 == 3 ? "" : "1"),nan\n" }.joined())
    let report = try t.open().inspect()
    #expect(report.isValid, "\(report.problems)")
    #expect(report.partitions.map(\.subjects) == [2, 1, 1])
    let vggish = try #require(report.featureSets.first { $0.name == "vggish" })
    #expect(vggish.dim == 2 && vggish.files == 4)
    #expect(vggish.rowsMin == 10 && vggish.rowsMedian == 12 && vggish.rowsMax == 14)
    #expect(vggish.timeStep == 500)
    #expect(vggish.missingCells == 11)
    let testArousal = try #require(report.labels.first { $0.emotion == "arousal" && $0.partition == .test })
    #expect(testArousal.rows == 12 && testArousal.nonEmpty == 0 && testArousal.fraction == 0)
    let trainArousal = try #require(report.labels.first { $0.emotion == "arousal" && $0.partition == .train })
    #expect(trainArousal.fraction == 1)
}

@Test func missingRootAndColumnNameWarnings() throws {
    let missing = FileManager.default.temporaryDirectory.appendingPathComponent("emofuse-no-such-\(UUID().uuidString)")
    let report = MuseDataset.inspect(root: missing)
    #expect(report.problems.count == 1 && report.problems[0].message == "dataset folder not found")
    #expect(datasetError { _ = try MuseDataset(root: missing) }?.file == missing.path)

    let t = TempDataset()
    t.makeValid(dims: ["egemaps": 2])
    t.write("feature_segments/egemaps/3.csv", "timestamp,segment_id,egemaps_f0,other\n" + (0..<12).map { "\($0 * 500),1,1,2\n" }.joined())
    let ds = try t.open()
    #expect(try ds.featureSet("egemaps").columnNames == ["egemaps_f0", "egemaps_f1"])
    #expect(ds.warnings.count == 1)
    #expect(ds.warnings.first?.file == t.path("feature_segments/egemaps/3.csv"))
    #expect(ds.warnings.first?.line == 1 && ds.warnings.first?.column == 4)
}
