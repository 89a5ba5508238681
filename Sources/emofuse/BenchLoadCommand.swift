import ArgumentParser
import EmoFuse
import Foundation

/// `emofuse bench load --data DIR`: first (uncached) and cached load times of feature sets.
///
/// Prints one JSON line per phase and set, then one with `"set":"all"`, with the keys
/// `tool, phase, set, files, bytes, seconds, mb_per_s` (MB = 10^6 bytes of CSV). Phases:
/// `first` (cache disabled: read + parse), `first+cache` (parse and write the cache into an empty
/// temporary folder) and `cached` (a fresh dataset object reading that cache).
/// `scripts/bench/pandas_load.py DIR` prints the same keys for `pandas.read_csv`.
struct BenchLoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Time loading the feature sets of a dataset: first (parse) and cached loads, as JSON lines."
    )

    @Option(name: .long, help: "Dataset root in the MuSe layout.")
    var data: String

    @Option(name: .long, parsing: .upToNextOption, help: "Feature sets to load (default: all).")
    var sets: [String] = []

    @Option(name: .long, help: "Parser threads.")
    var threads: Int = 2

    @Option(name: .long, parsing: .upToNextOption,
            help: "Phases to run: first, first+cache, cached (needs first+cache), aligned (cached sets → z-scored model input for all emotions).")
    var phases: [String] = ["first", "first+cache", "cached"]

    @Option(name: .long, help: "Row tolerance for the aligned phase.")
    var rowTolerance: Int = 0

    @Option(name: .long, help: "Cache folder to use (emptied when first+cache runs; default: a temporary folder, removed after).")
    var cacheDir: String?

    func run() throws {
        let root = URL(fileURLWithPath: data)
        let probe = try MuseDataset(root: root, options: LoadOptions(useCache: false))
        let names = sets.isEmpty ? probe.featureSetNames : sets
        guard !names.isEmpty else { throw ValidationError("no feature sets under \(root.path)/feature_segments") }
        var bytes: [String: Int] = [:]
        var files: [String: Int] = [:]
        for name in names {
            guard let dir = probe.featureSetDirectory(name) else { throw ValidationError("no feature set '\(name)'") }
            for s in probe.subjects {
                let path = dir.appendingPathComponent(s.id + ".csv").path
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                bytes[name, default: 0] += size
                files[name, default: 0] += 1
            }
        }
        let temporary = cacheDir == nil
        let cache = cacheDir.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("emofuse-bench-cache-\(getpid())")
        // A cold start for first+cache; without that phase a given --cache-dir is used as it is.
        if phases.contains("first+cache") || temporary { try? FileManager.default.removeItem(at: cache) }
        defer { if temporary { try? FileManager.default.removeItem(at: cache) } }

        let known: [(String, LoadOptions)] = [
            ("first", LoadOptions(useCache: false, threads: threads)),
            ("first+cache", LoadOptions(useCache: true, cacheDirectory: cache, threads: threads)),
            ("cached", LoadOptions(useCache: true, cacheDirectory: cache, threads: threads)),
        ]
        for phase in phases where !known.contains(where: { $0.0 == phase }) && phase != "aligned" {
            throw ValidationError("unknown phase '\(phase)' (first, first+cache, cached, aligned)")
        }
        if phases.contains("cached") && !phases.contains("first+cache") && temporary {
            throw ValidationError("phase 'cached' needs 'first+cache' before it, or a filled --cache-dir")
        }
        for (phase, options) in known where phases.contains(phase) {
            let ds = try MuseDataset(root: root, options: options)
            var total = 0.0
            for name in names {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try ds.featureSet(name)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                ds.releaseMemory()
                total += seconds
                emit(phase: phase, set: name, files: files[name]!, bytes: bytes[name]!, seconds: seconds)
            }
            emit(phase: phase, set: "all", files: files.values.reduce(0, +), bytes: bytes.values.reduce(0, +), seconds: total)
        }
        if phases.contains("aligned") {
            // Sets come from the cache (filled here if needed); the time covers alignment, fitting the
            // normaliser on train and z-scoring every subject.
            let ds = try MuseDataset(root: root, options: LoadOptions(rowTolerance: rowTolerance, cacheDirectory: cache, threads: threads))
            for name in names { _ = try ds.featureSet(name) }
            let emotions = ds.emotionNames
            for e in emotions { _ = try ds.labels(e) }
            let start = DispatchTime.now().uptimeNanoseconds
            let data = try ds.aligned(featureSets: names, emotions: emotions)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let rows = data.subjects.reduce(0) { $0 + $1.rows }
            print("{\"tool\":\"emofuse\",\"phase\":\"aligned\",\"set\":\"all\",\"rows\":\(rows),\"dim\":\(data.featureDim),"
                + "\"seconds\":\(String(format: "%.4f", seconds)),\"threads\":\(threads)}")
        }
    }

    private func emit(phase: String, set: String, files: Int, bytes: Int, seconds: Double) {
        let mbps = seconds > 0 ? Double(bytes) / 1e6 / seconds : 0
        print("{\"tool\":\"emofuse\",\"phase\":\"\(phase)\",\"set\":\"\(set)\",\"files\":\(files),\"bytes\":\(bytes),"
            + "\"seconds\":\(String(format: "%.4f", seconds)),\"mb_per_s\":\(String(format: "%.1f", mbps)),\"threads\":\(threads)}")
    }
}
