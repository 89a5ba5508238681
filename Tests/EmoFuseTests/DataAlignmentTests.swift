import Foundation
import Testing
@testable import EmoFuse

@Test func alignsByRowAndCarriesLabelTimestamps() throws {
    let t = TempDataset()
    // vggish's grid starts one step later than the labels: same rows, aligned by position.
    t.makeValid(dims: ["egemaps": 3, "vggish": 2], start: ["vggish": 500])
    let ds = try t.open()
    let data = try ds.aligned(featureSets: ["vggish", "egemaps"], emotions: ["valence", "arousal"])
    #expect(data.featureDim == 5 && data.columnOffsets == [0, 2])
    #expect(data.columnNames == ["vggish_f0", "vggish_f1", "egemaps_f0", "egemaps_f1", "egemaps_f2"])
    #expect(data.subjects.map(\.id) == ["1", "2", "3", "4"])
    let s2 = data.subjects[1]
    #expect(s2.rows == 12 && s2.timestamps.first == 0 && s2.timestamps.last == 5500)
    #expect(s2.targets.count == 24)
    // Targets: one column per emotion in the order asked for.
    #expect(s2.targets[2 * 3 + 0] == fixtureLabel(subject: 1, row: 3, emotion: 1))
    #expect(s2.targets[2 * 3 + 1] == fixtureLabel(subject: 1, row: 3, emotion: 0))
    #expect(data.subjects[3].targets.allSatisfy { $0.isNaN })
    // Features: z-scored with train statistics (subjects 1 and 2).
    for (col, (set, j)) in [("vggish", 0), ("vggish", 1), ("egemaps", 0), ("egemaps", 1), ("egemaps", 2)].enumerated() {
        _ = set
        var train: [Double] = []
        for s in 0..<2 { for r in 0..<12 { train.append(Double(fixtureValue(subject: s, row: r, column: j))) } }
        let mean = train.reduce(0, +) / Double(train.count)
        let std = (train.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(train.count)).squareRoot()
        #expect(abs(Double(data.normalizer.mean[col]) - mean) < 1e-3)
        #expect(abs(Double(data.normalizer.std[col]) - std) < 1e-3)
        let raw = fixtureValue(subject: 2, row: 7, column: j)
        let z = data.subjects[2].features[7 * 5 + col]
        #expect(abs(Double(z) - (Double(raw) - mean) / std) < 1e-4)
    }
    #expect(data.filledCells == ["vggish": 0, "egemaps": 0])
}

@Test func normaliserFitUsesPopulationStdFloorAndIgnoresMissing() {
    let a: [Float] = [1, .nan, 5, 2, 3, 2]      // 3 rows × 2
    let b: [Float] = [3, 2]
    let n = Normalizer.fit([a, b], dim: 2)
    #expect(n.mean == [3, 2])
    #expect(abs(n.std[0] - (2 as Float).squareRoot()) < 1e-6)      // column 0: 1, 5, 3, 3
    #expect(n.std[1] == 1e-6)                     // constant column: floored
    let all = Normalizer.fit([[Float.nan, 1]], dim: 2)
    #expect(all.mean == [0, 1] && all.std == [1, 1e-6])
    var x: [Float] = [3, .nan, 5, 2]
    #expect(n.apply(&x) == 1)
    #expect(x[0] == 0 && x[1] == 0 && x[3] == 0)
    #expect(abs(x[2] - 2 / (2 as Float).squareRoot()) < 1e-6)
}

@Test func missingCellsBecomeZeroAndAreCounted() throws {
    let t = TempDataset()
    t.makeValid(dims: ["egemaps": 3, "vggish": 2])
    // Subject 3 (devel): two missing vggish cells; subject 1 (train): one missing egemaps cell.
    t.write("feature_segments/vggish/3.csv", "timestamp,segment_id,vggish_f0,vggish_f1\n" + (0..<12).map { r in
        "\(r * 500),1,\(r == 2 ? "nan" : "1"),\(r == 4 ? "" : "2")\n" }.joined())
    t.write("feature_segments/egemaps/1.csv", "timestamp,segment_id,egemaps_f0,egemaps_f1,egemaps_f2\n" + (0..<12).map { r in
        "\(r * 500),1,\(r == 0 ? "NaN" : "\(r)"),\(r),\(r)\n" }.joined())
    let ds = try t.open()
    let data = try ds.aligned(featureSets: ["egemaps", "vggish"], emotions: ["arousal"])
    #expect(data.filledCells == ["egemaps": 1, "vggish": 2])
    #expect(data.subjects.allSatisfy { s in s.features.allSatisfy { !$0.isNaN } })
    #expect(data.subjects[2].features[2 * 5 + 3] == 0 && data.subjects[2].features[4 * 5 + 4] == 0)
    #expect(data.subjects[0].features[0] == 0)
    // Train mean of egemaps_f0 skips the missing cell: rows 1…11 of subject 1 and all of subject 2.
    var train: [Double] = (1..<12).map(Double.init)
    train += (0..<12).map { Double(fixtureValue(subject: 1, row: $0, column: 0)) }
    #expect(abs(Double(data.normalizer.mean[0]) - train.reduce(0, +) / Double(train.count)) < 1e-3)

    // The baseline policy: drop train/devel rows with a missing cell; test rows are kept.
    let dropping = try t.open(LoadOptions(dropNaNRows: true, cacheDirectory: t.cache))
    let dropped = try dropping.aligned(featureSets: ["egemaps", "vggish"], emotions: ["arousal"])
    #expect(dropped.subjects.map(\.rows) == [11, 12, 10, 12])
    let keptRows: [Int] = [0, 1, 3, 5, 6, 7, 8, 9, 10, 11]
    let keptTimestamps: [Int64] = keptRows.map { Int64($0 * 500) }
    #expect(dropped.subjects[2].timestamps == keptTimestamps)
    #expect(dropped.subjects[0].timestamps.first == 500)
    #expect(dropped.filledCells == ["egemaps": 0, "vggish": 0])
}

@Test func rowToleranceTrimsOrFails() throws {
    let t = TempDataset()
    t.makeValid(dims: ["egemaps": 3, "vggish": 2])
    t.write("feature_segments/vggish/2.csv", "timestamp,segment_id,a,b\n" + (0..<10).map { "\($0 * 500),1,1,2\n" }.joined())
    let strict = try t.open()
    let e = try #require(datasetError { _ = try strict.aligned(featureSets: ["egemaps", "vggish"], emotions: ["arousal"]) })
    #expect(e.file == t.path("feature_segments/vggish/2.csv"))
    #expect(e.message.contains("10 rows here, 12 rows in \(t.path("label_segments/arousal/2.csv"))"))
    let lenient = try t.open(LoadOptions(rowTolerance: 2, cacheDirectory: t.cache))
    let data = try lenient.aligned(featureSets: ["egemaps", "vggish"], emotions: ["arousal"])
    #expect(data.subjects.map(\.rows) == [12, 10, 12, 12])
    #expect(data.subjects[1].timestamps == (0..<10).map { Int64($0) * 500 })
    #expect(data.subjects[1].features.count == 50 && data.subjects[1].targets.count == 10)
}

@Test func partitionsSubsetUsesTrainStatisticsAndGivenNormaliser() throws {
    let t = TempDataset()
    t.makeValid()
    let ds = try t.open()
    let all = try ds.aligned(featureSets: ["egemaps"], emotions: ["arousal"])
    let test = try ds.aligned(featureSets: ["egemaps"], emotions: ["arousal"], partitions: [.test])
    #expect(test.subjects.map(\.id) == ["4"])
    #expect(test.normalizer == all.normalizer)
    #expect(test.subjects[0].features == all.subjects[3].features)
    let identity = Normalizer.identity(dim: 3)
    let raw = try ds.aligned(featureSets: ["egemaps"], emotions: [], normalizer: identity, partitions: [.devel])
    #expect(raw.subjects[0].features[4] == fixtureValue(subject: 2, row: 1, column: 1))
    #expect(raw.subjects[0].targets.isEmpty && raw.emotions.isEmpty)
    let e = try #require(datasetError { _ = try ds.aligned(featureSets: ["egemaps"], emotions: [], normalizer: .identity(dim: 4)) })
    #expect(e.message.contains("4 columns"))
}

@Test func withoutEmotionsRowsComeFromFirstEmotionElseFeatures() throws {
    let t = TempDataset()
    t.makeValid(dims: ["egemaps": 1], start: ["egemaps": 500])
    let ds = try t.open()
    let data = try ds.aligned(featureSets: ["egemaps"], emotions: [])
    #expect(data.subjects[0].timestamps.first == 0)          // arousal's grid
    let u = TempDataset()
    u.makeValid(dims: ["egemaps": 1], emotions: [], start: ["egemaps": 500])
    let noLabels = try u.open().aligned(featureSets: ["egemaps"], emotions: [])
    #expect(noLabels.subjects[0].timestamps.first == 500)   // the features' grid
}

@Test func trainingWindowsFollowTheBaseline() {
    let w = trainingWindows(rows: [600, 610, 120, 0, 300], length: 300, hop: 50)
    let first = w.filter { $0.subject == 0 }
    #expect(first.map(\.start) == [0, 50, 100, 150, 200, 250, 300])
    #expect(first.allSatisfy { $0.length == 300 })
    let second = w.filter { $0.subject == 1 }
    #expect(second.last == Window(subject: 1, start: 350, length: 260))
    #expect(second.count == 8)
    #expect(w.filter { $0.subject == 2 } == [Window(subject: 2, start: 0, length: 120)])
    #expect(w.filter { $0.subject == 3 }.isEmpty)
    #expect(w.filter { $0.subject == 4 } == [Window(subject: 4, start: 0, length: 300)])
    // Every row of every subject is covered.
    for (i, n) in [600, 610, 120, 0, 300].enumerated() {
        var covered = [Bool](repeating: false, count: n)
        for x in w where x.subject == i { for r in x.start..<(x.start + x.length) { covered[r] = true } }
        #expect(covered.allSatisfy { $0 })
    }
}
