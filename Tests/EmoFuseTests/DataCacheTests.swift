import Foundation
import Testing
@testable import EmoFuse

private func cacheEntries(_ t: TempDataset) -> [URL] {
    ((try? FileManager.default.contentsOfDirectory(at: t.cache, includingPropertiesForKeys: nil)) ?? [])
        .filter { $0.pathExtension == "table" }
}

private func sameSets(_ a: FeatureSet, _ b: FeatureSet) -> Bool {
    guard a.columnNames == b.columnNames, a.sequences.keys.sorted() == b.sequences.keys.sorted() else { return false }
    for (id, s) in a.sequences {
        let o = b.sequences[id]!
        guard s.timestamps == o.timestamps, s.segmentIDs == o.segmentIDs, s.dim == o.dim,
              zip(s.values, o.values).allSatisfy({ $0.bitPattern == $1.bitPattern }) else { return false }
    }
    return true
}

@Test func cacheHitGivesIdenticalData() throws {
    let t = TempDataset()
    t.makeValid()
    t.write("feature_segments/egemaps/2.csv", "timestamp,segment_id,egemaps_f0,egemaps_f1,egemaps_f2\n0,1,nan,0.1,1e-7\n500,1,,3.25,-0\n")
    let first = try t.open().featureSet("egemaps")
    #expect(cacheEntries(t).count == 4)
    let cached = try t.open().featureSet("egemaps")
    let uncached = try t.open(LoadOptions(useCache: false)).featureSet("egemaps")
    #expect(sameSets(first, cached) && sameSets(first, uncached))
    #expect(cached.missingCells == 2)
}

@Test func changedFileInvalidatesItsEntry() throws {
    let t = TempDataset()
    t.makeValid()
    _ = try t.open().featureSet("vggish")
    let url = t.root.appendingPathComponent("feature_segments/vggish/1.csv")
    t.write("feature_segments/vggish/1.csv", "timestamp,segment_id,a,b\n0,1,9,8\n")
    // Same size and content length would still differ in mtime; force a distinct mtime too.
    try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 5)], ofItemAtPath: url.path)
    let set = try t.open().featureSet("vggish")
    #expect(set.sequences["1"]!.values == [9, 8])
    #expect(set.columnNames == ["a", "b"])
}

@Test func sameSizeEditWithNewMtimeInvalidates() throws {
    let t = TempDataset()
    t.write("metadata/partition.csv", "Id,Proposal\n1,train\n")
    t.write("feature_segments/f/1.csv", "timestamp,segment_id,a\n0,1,1\n")
    t.write("label_segments/arousal/1.csv", "timestamp,segment_id,value\n0,1,1\n")
    #expect(try t.open().featureSet("f").sequences["1"]!.values == [1])
    t.write("feature_segments/f/1.csv", "timestamp,segment_id,a\n0,1,2\n")
    let url = t.root.appendingPathComponent("feature_segments/f/1.csv")
    try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 10)], ofItemAtPath: url.path)
    #expect(try t.open().featureSet("f").sequences["1"]!.values == [2])
}

@Test func corruptEntriesAreIgnoredAndRewritten() throws {
    let t = TempDataset()
    t.makeValid()
    let reference = try t.open(LoadOptions(useCache: false)).featureSet("egemaps")
    _ = try t.open().featureSet("egemaps")
    var entries = cacheEntries(t).sorted { $0.path < $1.path }
    #expect(entries.count == 4)
    let originals = try entries.map { try Data(contentsOf: $0) }
    // 0: truncated; 1: a flipped value byte; 2: garbage header; 3: empty.
    let e0 = try Data(contentsOf: entries[0])
    try e0.prefix(e0.count - 9).write(to: entries[0])
    var e1 = try Data(contentsOf: entries[1])
    e1[e1.count - 20] ^= 0x40
    try e1.write(to: entries[1])
    try Data(repeating: 0xAB, count: 200).write(to: entries[2])
    try Data().write(to: entries[3])
    let reloaded = try t.open().featureSet("egemaps")
    #expect(sameSets(reference, reloaded))
    // Each entry was rewritten and is valid again.
    entries = cacheEntries(t).sorted { $0.path < $1.path }
    #expect(entries.count == 4)
    // Same files, same stamps: each rewritten entry is byte for byte what it was before the damage.
    for (u, original) in zip(entries, originals) { #expect(try Data(contentsOf: u) == original) }
    let again = try t.open().featureSet("egemaps")
    #expect(sameSets(reference, again))
}

@Test func cacheIsNeverWrittenInsideTheDatasetRoot() throws {
    let t = TempDataset()
    t.makeValid()
    let inside = t.root.appendingPathComponent("cache")
    let ds = try t.open(LoadOptions(cacheDirectory: inside))
    #expect(ds.cacheDirectory == nil)
    _ = try ds.featureSet("egemaps")
    #expect(!FileManager.default.fileExists(atPath: inside.path))
}

@Test func threadCountDoesNotChangeResults() throws {
    let t = TempDataset()
    t.makeValid(subjects: (1...9).map { ("\($0)", $0 < 6 ? "train" : "devel") }, dims: ["deep": 40])
    let one = try t.open(LoadOptions(useCache: false, threads: 1)).featureSet("deep")
    let two = try t.open(LoadOptions(useCache: false, threads: 2)).featureSet("deep")
    let four = try t.open(LoadOptions(useCache: false, threads: 4)).featureSet("deep")
    #expect(sameSets(one, two) && sameSets(one, four))
}

@Test func entryIsUsedWhileSizeMtimeAndInodeMatch() throws {
    // Proves the cache is read: an in-place edit that keeps size, inode and mtime (restored to the
    // nanosecond) is not seen; once the mtime differs, it is.
    let t = TempDataset()
    t.write("metadata/partition.csv", "Id,Proposal\n1,train\n")
    t.write("feature_segments/f/1.csv", "timestamp,segment_id,a\n0,1,1\n")
    let path = t.path("feature_segments/f/1.csv")
    var st = stat()
    #expect(stat(path, &st) == 0)
    #expect(try t.open().featureSet("f").sequences["1"]!.values == [1])
    let fd = open(path, O_WRONLY)
    #expect(pwrite(fd, "2", 1, 27) == 1)   // the last cell
    close(fd)
    #if canImport(Darwin)
    var times = [st.st_atimespec, st.st_mtimespec]
    #else
    var times = [st.st_atim, st.st_mtim]
    #endif
    #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
    #expect(try t.open().featureSet("f").sequences["1"]!.values == [1])
    #expect(try t.open(LoadOptions(useCache: false)).featureSet("f").sequences["1"]!.values == [2])
    times[1].tv_nsec = (times[1].tv_nsec + 1) % 1_000_000_000
    #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
    #expect(try t.open().featureSet("f").sequences["1"]!.values == [2])
}
