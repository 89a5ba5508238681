import Foundation

/// The corrupted stretches a synthetic dataset records in its `synth.json` (none for real data).
struct CorruptionMap {
    /// set → subject id → stretches in milliseconds.
    private var stretchesBySet: [String: [String: [(from: Double, to: Double)]]] = [:]

    static func load(dataRoot: URL) -> CorruptionMap {
        var map = CorruptionMap()
        let url = dataRoot.appendingPathComponent("synth.json")
        guard FileManager.default.fileExists(atPath: url.path),
              let manifest = try? SynthManifest.load(from: url) else { return map }
        for subject in manifest.subjects {
            for (set, list) in subject.corrupted {
                map.stretchesBySet[set, default: [:]][subject.id] =
                    list.map { (Double($0.startMilliseconds), Double($0.endMilliseconds)) }
            }
        }
        return map
    }

    var isEmpty: Bool { stretchesBySet.isEmpty }

    func stretches(set: String, id: String) -> [(from: Double, to: Double)] {
        stretchesBySet[set]?[id] ?? []
    }

    /// Whether the step at `timestamp` (ms) of subject `id` lies in a corrupted stretch of any of `sets`.
    func isCorrupted(sets: [String], id: String, timestamp: Int64) -> Bool {
        let t = Double(timestamp)
        return sets.contains { set in stretches(set: set, id: id).contains { t >= $0.from && t < $0.to } }
    }
}
