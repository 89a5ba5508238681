import Foundation
import SeqNet

/// Recordings with a known latent emotion, synthesised with Debian's `espeak-ng`, for
/// `emofuse demo --audio`: the raw material of `dataset from-recordings`.
///
/// Each recording has two smooth latent curves in [−1, 1]. Speech is produced utterance by
/// utterance; each utterance's pitch (espeak-ng `-p`) and loudness (`-a`) follow the latent
/// "arousal" and its speaking rate (`-s`) the latent "valence", at the utterance's start. Between
/// utterances: pauses of 0.2–1.2 s. Background noise throughout. The annotations are the curves
/// sampled at 10 Hz with rater noise, one CSV per recording and emotion, as a lab would have them.
public enum AudioDemo {
    public struct Layout: Sendable {
        public let audio: URL
        public let annotations: URL
        public let partition: URL
    }

    static let sentences = [
        "Please introduce yourself to the committee.",
        "Why do you think you are the right person for this position?",
        "I have worked in this field for several years.",
        "Describe a situation where you had to solve a difficult problem.",
        "Our team delivered the project on time.",
        "What are your greatest strengths and weaknesses?",
        "I would like to talk about my last job.",
        "Count backwards from one thousand in steps of seventeen.",
        "That answer was not correct, please start again.",
        "I enjoy working with people from different backgrounds.",
    ]

    /// Writes `recordings` WAV files of `seconds` each under `root/audio`, annotations under
    /// `root/annotations/{arousal,valence}`, and `root/partition.csv` (60/20/20 % train/devel/test).
    /// Needs `espeak-ng` on PATH; the same seed and espeak-ng version give the same files.
    public static func synthesise(root: URL, recordings: Int, seconds: Double, seed: UInt64,
                                  progress: ((Int, Int) -> Void)? = nil) throws -> Layout {
        guard let espeak = AudioFiles.which("espeak-ng") else {
            throw AudioError(file: "espeak-ng", message: "espeak-ng not found on PATH (apt-get install espeak-ng)")
        }
        guard recordings >= 5 else { throw AudioError(file: root.path, message: "the demo needs at least 5 recordings (train, devel and test)") }
        let audio = root.appendingPathComponent("audio"), annotations = root.appendingPathComponent("annotations")
        let rate = 16000
        var partition = "Id,Proposal\n"
        let nDevel = max(1, recordings / 5), nTest = max(1, recordings / 5)
        for r in 0..<recordings {
            var rng = RandomSource(seed: seed &* 1_000_003 &+ UInt64(r))
            let id = String(format: "S%02d", r + 1)
            let arousal = curve(&rng), valence = curve(&rng)
            var samples: [Float] = []
            samples.reserveCapacity(Int(seconds) * rate + rate * 4)
            var s = 0
            while Double(samples.count) / Double(rate) < seconds {
                let t = Double(samples.count) / Double(rate)
                let a = arousal(t), v = valence(t)
                let text = sentences[(r * 7 + s) % sentences.count]
                s += 1
                let args = ["--stdout", "-v", "en", "-p", String(Int(50 + 35 * a)), "-a", String(Int(100 + 70 * a)),
                            "-s", String(Int(165 + 55 * v)), text]
                let speech = try runEspeak(espeak, args)
                samples += resample(speech.samples, from: speech.sampleRate, to: rate)
                let pause = 0.2 + 1.0 * Double(rng.uniform(0, 1))
                samples += [Float](repeating: 0, count: Int(pause * Double(rate)))
            }
            samples.removeLast(samples.count - Int(seconds * Double(rate)))
            let pcm = samples.map { x -> Int16 in
                let y = Double(x) + 0.004 * rng.normal()
                return Int16(max(-32767, min(32767, (y * 32767).rounded())))
            }
            try AtomicFile.write(WAVReader.encode(samples: pcm, sampleRate: rate), to: audio.appendingPathComponent(id + ".wav"))
            for (emotion, f) in [("arousal", arousal), ("valence", valence)] {
                var csv = "time,value\n"
                for k in 0...Int(seconds * 10) {
                    let t = Double(k) / 10
                    csv += String(format: "%.1f,%.4f\n", t, f(t) + 0.05 * rng.normal())
                }
                try AtomicFile.write(csv, to: annotations.appendingPathComponent(emotion).appendingPathComponent(id + ".csv"))
            }
            let p = r < recordings - nDevel - nTest ? "train" : (r < recordings - nTest ? "devel" : "test")
            partition += "\(id),\(p)\n"
            progress?(r + 1, recordings)
        }
        let partitionFile = root.appendingPathComponent("partition.csv")
        try AtomicFile.write(partition, to: partitionFile)
        return Layout(audio: audio, annotations: annotations, partition: partitionFile)
    }

    /// A smooth random curve in [−1, 1]: three sinusoids with periods of 20–90 s.
    static func curve(_ rng: inout RandomSource) -> @Sendable (Double) -> Double {
        let parts = (0..<3).map { _ in (period: 20 + 70 * Double(rng.uniform(0, 1)), phase: 2 * Double.pi * Double(rng.uniform(0, 1)),
                                        weight: 0.5 + Double(rng.uniform(0, 1))) }
        let total = parts.reduce(0) { $0 + $1.weight }
        return { t in parts.reduce(0) { $0 + $1.weight * sin(2 * .pi * t / $1.period + $1.phase) } / total }
    }

    private static func runEspeak(_ exe: String, _ args: [String]) throws -> (samples: [Float], sampleRate: Int) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        var bytes = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0, bytes.count > 44 else {
            throw AudioError(file: exe, message: "espeak-ng failed (exit \(p.terminationStatus)) for: \(args.joined(separator: " "))")
        }
        // espeak-ng writes a streaming header with unknown sizes to a pipe: fix the data size.
        let dataSize = UInt32(bytes.count - 44)
        for k in 0..<4 { bytes[40 + k] = UInt8(truncatingIfNeeded: dataSize >> (8 * k)) }
        let clip = try bytes.withUnsafeBytes { try WAVReader.parse($0, file: "espeak-ng output") }
        return (clip.samples.map { Float($0) / 32768 }, clip.sampleRate)
    }

    /// Linear-interpolation resampling (the demo's speech is band-limited well below both rates).
    static func resample(_ x: [Float], from a: Int, to b: Int) -> [Float] {
        guard a != b, !x.isEmpty else { return x }
        let n = Int(Double(x.count) * Double(b) / Double(a))
        return (0..<n).map { i in
            let pos = Double(i) * Double(a) / Double(b)
            let j = min(Int(pos), x.count - 1), k = min(j + 1, x.count - 1)
            let w = Float(pos - Double(j))
            return x[j] * (1 - w) + x[k] * w
        }
    }
}
