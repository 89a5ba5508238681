import Foundation
import Testing
@testable import EmoFuse
import SeqNet

/// openSMILE for the audio tests. Tests that need it are enabled when the library loads, and
/// always when CI=true (there they must run: a missing library fails them instead of skipping).
enum AudioTestSupport {
    static let loaded: Result<OpenSmileLibrary, Error> = Result { try OpenSmileLibrary.load() }

    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    static var runOpenSmileTests: Bool {
        if case .success = loaded { return true }
        if !isCI, case .failure(let e) = loaded {
            print("Audio tests that need openSMILE did not run: \(e)")
        }
        return isCI
    }

    static func library() throws -> OpenSmileLibrary { try loaded.get() }

    /// Tests/AudioFixtures (found from this source file: no test-target resources needed).
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("AudioFixtures")

    static func tempDir() -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("emofuse-audio-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    /// Reads a fixture CSV (timestamp, then features): names, timestamps, row-major values (NaN for empty).
    static func readCSV(_ url: URL) throws -> (names: [String], timestamps: [Int64], values: [Double]) {
        let text = try String(contentsOf: url, encoding: .utf8)
        var lines = text.split(separator: "\n").map(String.init)
        let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var ts: [Int64] = [], values: [Double] = []
        for l in lines {
            let cells = l.split(separator: ",", omittingEmptySubsequences: false)
            ts.append(Int64(cells[0])!)
            values += cells.dropFirst().map { $0.isEmpty ? .nan : Double($0)! }
        }
        return (Array(header.dropFirst()), ts, values)
    }

    /// A sine sweep with pauses, as 16-bit samples.
    static func tone(seconds: Double, rate: Int = 16000, seed: UInt64 = 1) -> [Int16] {
        var rng = RandomSource(seed: seed)
        return (0..<Int(seconds * Double(rate))).map { i in
            let t = Double(i) / Double(rate)
            let voiced = sin(2 * .pi * 0.7 * t) > -0.3 ? 1.0 : 0.0
            let f0 = 140 + 40 * sin(2 * .pi * 0.3 * t)
            let x = voiced * 0.3 * (sin(2 * .pi * f0 * t) + 0.5 * sin(4 * .pi * f0 * t)) + 0.003 * Double(rng.normal())
            return Int16(max(-32767, min(32767, x * 32767)))
        }
    }
}

func audioError(_ body: () throws -> Void) -> AudioError? {
    do { try body(); return nil } catch let e as AudioError { return e } catch { return AudioError(file: "?", message: "unexpected \(error)") }
}
