import Foundation
import Testing
@testable import EmoFuse

/// Datasets written once per test run and shared by the tests (generation is deterministic).
enum SynthTestData {
    static func freshFolder(_ label: String) -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("emofuse-synth-tests-\(getpid())-\(label)-\(UInt32.random(in: 0...UInt32.max))")
        try? FileManager.default.removeItem(at: url)
        return url
    }

    /// `tiny` with seed 1, written with 2 threads.
    static let tinySeed1: Result<(URL, SynthManifest), Error> = Result {
        let url = freshFolder("tiny1")
        let manifest = try generateSyntheticDataset(preset: .tiny, seed: 1, to: url, threads: 2)
        return (url, manifest)
    }

    /// Every regular file under `root`, as paths relative to it, sorted.
    static func files(under root: URL) -> [String] {
        let base = root.standardizedFileURL.path
        var out: [String] = []
        if let e = FileManager.default.enumerator(atPath: base) {
            while let rel = e.nextObject() as? String {
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: base + "/" + rel, isDirectory: &isDir), !isDir.boolValue {
                    out.append(rel)
                }
            }
        }
        return out.sorted()
    }

    /// A small CSV parse for the files the tests check: header fields and rows of raw cells.
    static func readCSV(_ url: URL) throws -> (header: [String], rows: [[String]]) {
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.hasSuffix("\n"), "\(url.path) does not end with a newline")
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let split = lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        return (split.first ?? [], Array(split.dropFirst()))
    }
}

@Suite struct SynthDatasetTests {
    @Test func tinyLayoutHeadersRowCountsAndDimensions() throws {
        let (root, manifest) = try SynthTestData.tinySeed1.get()
        let preset = SynthPreset.tiny
        // partition.csv
        let partition = try SynthTestData.readCSV(root.appendingPathComponent("metadata/partition.csv"))
        #expect(partition.header == ["Id", "Proposal"])
        #expect(partition.rows.count == 12)
        let counts = Dictionary(grouping: partition.rows, by: { $0[1] }).mapValues(\.count)
        #expect(counts == ["train": 6, "devel": 3, "test": 3])
        let ids = partition.rows.map { Int($0[0]) }
        #expect(ids.allSatisfy { $0 != nil && (1...14).contains($0!) })
        #expect(Set(ids).count == 12)
        #expect(manifest.subjects.map(\.id) == partition.rows.map { $0[0] })

        // Exactly the expected folders and files.
        let files = SynthTestData.files(under: root)
        var expected = ["metadata/partition.csv", "synth.json"]
        for s in manifest.subjects {
            for set in preset.featureSets { expected.append("feature_segments/\(set.name)/\(s.id).csv") }
            for e in ["arousal", "valence"] {
                expected.append("label_segments/\(e)/\(s.id).csv")
                if s.partition == "test" { expected.append("test_key/label_segments/\(e)/\(s.id).csv") }
            }
        }
        #expect(files == expected.sorted())

        for s in manifest.subjects {
            #expect((80...120).contains(s.steps))
            for set in preset.featureSets {
                let csv = try SynthTestData.readCSV(root.appendingPathComponent("feature_segments/\(set.name)/\(s.id).csv"))
                #expect(csv.header == ["timestamp", "segment_id"] + set.columnNames)
                #expect(csv.header.count == 2 + set.dimensions)
                #expect(csv.rows.count == s.steps)
                for (r, row) in csv.rows.enumerated() {
                    #expect(row.count == 2 + set.dimensions)
                    #expect(row[0] == String((r + set.timestampOffsetSteps) * 500))
                    #expect(row[1] == "1")
                }
            }
            for e in ["arousal", "valence"] {
                let csv = try SynthTestData.readCSV(root.appendingPathComponent("label_segments/\(e)/\(s.id).csv"))
                #expect(csv.header == ["timestamp", "segment_id", "value"])
                #expect(csv.rows.count == s.steps)
                #expect(csv.rows.enumerated().allSatisfy { $1.count == 3 && $1[0] == String($0 * 500) && $1[1] == "1" })
            }
        }
        // Video sets start one step later than the labels, with the same number of rows.
        #expect(preset.featureSets.filter { $0.timestampOffsetSteps == 1 }.map(\.name) == ["vggface", "fau_intensity"])
    }

    @Test func testLabelsWithheldAndKeyBesideTheLayout() throws {
        let (root, manifest) = try SynthTestData.tinySeed1.get()
        for s in manifest.subjects {
            for e in ["arousal", "valence"] {
                let shipped = try SynthTestData.readCSV(root.appendingPathComponent("label_segments/\(e)/\(s.id).csv"))
                let keyURL = root.appendingPathComponent("test_key/label_segments/\(e)/\(s.id).csv")
                if s.partition == "test" {
                    #expect(shipped.rows.allSatisfy { $0[2].isEmpty })
                    let key = try SynthTestData.readCSV(keyURL)
                    #expect(key.header == shipped.header)
                    #expect(key.rows.map { Array($0.prefix(2)) } == shipped.rows.map { Array($0.prefix(2)) })
                    let values = key.rows.map { Float($0[2]) }
                    #expect(values.allSatisfy { $0 != nil && $0!.isFinite && abs($0!) <= 1 })
                    #expect(Set(values.map { $0 ?? 0 }).count > 10)
                } else {
                    #expect(!FileManager.default.fileExists(atPath: keyURL.path))
                    let values = shipped.rows.map { Float($0[2]) }
                    #expect(values.allSatisfy { $0 != nil && $0!.isFinite && abs($0!) <= 1 })
                }
            }
        }
    }

    @Test func faceLostRowsAreEmptyAndNothingElseIs() throws {
        let (root, manifest) = try SynthTestData.tinySeed1.get()
        var lostRows = 0
        for s in manifest.subjects {
            #expect(s.corrupted["vggface"] == s.corrupted["fau_intensity"])
            #expect(s.corrupted["egemaps"] == s.corrupted["deepspectrum"])
            #expect(s.corrupted["bert-4"] == [])
            let lost = s.corrupted["vggface"] ?? []
            #expect(lost.allSatisfy { $0.kind == "face-lost" && $0.startStep < $0.endStep && $0.endStep <= s.steps })
            for set in SynthPreset.tiny.featureSets {
                let csv = try SynthTestData.readCSV(root.appendingPathComponent("feature_segments/\(set.name)/\(s.id).csv"))
                for (r, row) in csv.rows.enumerated() {
                    let cells = row.dropFirst(2)
                    if set.modality == .video && lost.contains(where: { r >= $0.startStep && r < $0.endStep }) {
                        #expect(cells.allSatisfy { $0.isEmpty }, "\(set.name)/\(s.id) row \(r) should be empty")
                        lostRows += 1
                    } else {
                        let values = cells.map { Float($0) }
                        #expect(values.allSatisfy { $0 != nil && $0!.isFinite }, "\(set.name)/\(s.id) row \(r)")
                        if set.style == .actionUnitIntensities {
                            #expect(values.allSatisfy { (0...5).contains($0 ?? -1) })
                        }
                    }
                }
            }
        }
        #expect(lostRows > 0)
    }

    @Test func sameSeedSameBytesAnyThreadCountOtherSeedOtherBytes() throws {
        let (root1, _) = try SynthTestData.tinySeed1.get()
        let again = SynthTestData.freshFolder("tiny1-again")
        let other = SynthTestData.freshFolder("tiny2")
        defer { try? FileManager.default.removeItem(at: again); try? FileManager.default.removeItem(at: other) }
        try generateSyntheticDataset(preset: .tiny, seed: 1, to: again, threads: 1)
        try generateSyntheticDataset(preset: .tiny, seed: 2, to: other, threads: 2)
        let files = SynthTestData.files(under: root1)
        #expect(SynthTestData.files(under: again) == files)
        for f in files {
            let a = try Data(contentsOf: root1.appendingPathComponent(f))
            let b = try Data(contentsOf: again.appendingPathComponent(f))
            #expect(a == b, "\(f) differs between two runs with the same seed")
        }
        let p1 = try Data(contentsOf: root1.appendingPathComponent("synth.json"))
        let p2 = try Data(contentsOf: other.appendingPathComponent("synth.json"))
        #expect(p1 != p2)
        // Feature values differ too (not only the plan).
        let common = Set(files).intersection(SynthTestData.files(under: other)).filter { $0.hasPrefix("feature_segments/egemaps/") }
        #expect(!common.isEmpty)
        for f in common {
            #expect(try Data(contentsOf: root1.appendingPathComponent(f)) != Data(contentsOf: other.appendingPathComponent(f)))
        }
    }

    @Test func refusesNonEmptyFolderAndForceReplacesOnlyASyntheticDataset() throws {
        let dir = SynthTestData.freshFolder("force")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try AtomicFile.write("keep me\n", to: dir.appendingPathComponent("notes.txt"))
        #expect(throws: SynthError.outputNotEmpty(dir.path)) {
            try generateSyntheticDataset(preset: .tiny, seed: 3, to: dir)
        }
        #expect(SynthTestData.files(under: dir) == ["notes.txt"])
        // --force with foreign files only: writes beside them.
        try generateSyntheticDataset(preset: .tiny, seed: 3, to: dir, overwrite: true)
        // A stale file from an older run disappears when replaced with --force.
        let stale = dir.appendingPathComponent("feature_segments/egemaps/999.csv")
        try AtomicFile.write("timestamp,segment_id\n", to: stale)
        try generateSyntheticDataset(preset: .tiny, seed: 4, to: dir, overwrite: true)
        #expect(!FileManager.default.fileExists(atPath: stale.path))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("notes.txt").path))
        #expect(try SynthManifest.load(from: dir.appendingPathComponent("synth.json")).seed == 4)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent(".synth-in-progress").path))

        // A MuSe layout that is not ours is never deleted, even with overwrite.
        let real = SynthTestData.freshFolder("real")
        defer { try? FileManager.default.removeItem(at: real) }
        let precious = real.appendingPathComponent("feature_segments/egemaps/1.csv")
        try AtomicFile.write("timestamp,segment_id,x\n0,1,1\n", to: precious)
        #expect(throws: SynthError.notSyntheticDataset(real.path)) {
            try generateSyntheticDataset(preset: .tiny, seed: 3, to: real, overwrite: true)
        }
        #expect(FileManager.default.fileExists(atPath: precious.path))
        // A plain file as output path.
        #expect(throws: SynthError.outputNotDirectory(precious.path)) {
            try generateSyntheticDataset(preset: .tiny, seed: 3, to: precious)
        }
    }

    @Test func manifestMatchesGeneratorAndRoundTrips() throws {
        let (root, manifest) = try SynthTestData.tinySeed1.get()
        let loaded = try SynthManifest.load(from: root.appendingPathComponent("synth.json"))
        #expect(loaded == manifest)
        #expect(loaded.preset == .tiny && loaded.seed == 1)
        let generator = try SyntheticGenerator(preset: .tiny, seed: 1)
        for (i, s) in manifest.subjects.enumerated() {
            let state = generator.state(ofSubject: i)
            #expect(state.plan.id == s.id && state.plan.steps == s.steps && state.stressOnsetStep == s.stressOnsetStep)
            #expect(state.faceLost.map(\.startStep) == (s.corrupted["vggface"] ?? []).map(\.startStep))
            #expect((s.corrupted["vggface"] ?? []).allSatisfy { $0.startMilliseconds == $0.startStep * 500 })
        }
    }

    @Test func fullAndDemoPlansLookLikeTheRealPackage() throws {
        let full = try SyntheticGenerator(preset: .full, seed: 11)
        #expect(full.subjects.count == 69)
        let ids = full.subjects.map { Int($0.id)! }
        #expect(ids == ids.sorted() && Set(ids).count == 69 && ids.allSatisfy { (1...73).contains($0) })
        let byPartition = Dictionary(grouping: full.subjects, by: \.partition).mapValues(\.count)
        #expect(byPartition == ["train": 41, "devel": 14, "test": 14])
        #expect(full.subjects.allSatisfy { (540...660).contains($0.steps) })
        #expect(Set(full.subjects.map(\.steps)).count > 10)
        let dims = Dictionary(uniqueKeysWithValues: SynthPreset.full.featureSets.map { ($0.name, $0.dimensions) })
        #expect(dims == ["egemaps": 88, "deepspectrum": 4096, "vggface": 512, "fau_intensity": 17, "bert-4": 768])
        let demo = try SyntheticGenerator(preset: .demo, seed: 11)
        #expect(Dictionary(grouping: demo.subjects, by: \.partition).mapValues(\.count) == ["train": 12, "devel": 5, "test": 5])
        #expect(SynthPreset.named("demo") == .demo && SynthPreset.named("huge") == nil)
        var bad = SynthPreset.tiny
        bad.featureSets[1].name = "egemaps"
        #expect(throws: SynthError.self) { try SyntheticGenerator(preset: bad, seed: 1) }
    }
}
