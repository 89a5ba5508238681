import Foundation

/// The openSMILE feature sets EmoFuse extracts (configurations shipped with the `opensmile` package).
public enum AudioFeatureKind: String, Codable, CaseIterable, Sendable {
    /// eGeMAPSv02 functionals (88) per window: the MuSe `egemaps` set.
    case egemaps
    /// eGeMAPSv02's 25 low-level descriptors (10 ms frames) averaged per hop.
    case egemapsLLD = "egemaps-lld"
    /// ComParE 2016 functionals (6373) per window.
    case compare

    /// The configuration file, relative to the package's `core/config`.
    var configPath: String {
        switch self {
        case .egemaps, .egemapsLLD: return "egemaps/v02/eGeMAPSv02.conf"
        case .compare: return "compare/ComParE_2016.conf"
        }
    }

    /// The data-memory level the external sink reads.
    var sinkLevel: String { self == .egemapsLLD ? "lld" : "func" }

    /// The folder name under `feature_segments/`.
    public var folderName: String { rawValue }
}

/// How segments are cut from a recording.
public enum SegmentMode: String, Codable, CaseIterable, Sendable {
    /// One openSMILE pass over the whole recording; functionals over each window of the low-level
    /// descriptors (openSMILE's `frameMode = list`). Descriptors at a window's edges see their
    /// neighbours (pitch smoothing, deltas), as in a continuous recording. Fast: each sample is analysed once.
    case stream
    /// Each window cut out and analysed on its own, exactly as the `opensmile` Python package
    /// processes a list of segments. Every sample is analysed window/hop times: slower.
    case segments
}

/// How a feature set was made from audio: recorded in `feature_segments/<set>/extraction.json`
/// beside the CSVs and, from there, in a checkpoint, so that new audio is processed the same way.
public struct FeatureExtraction: Codable, Equatable, Sendable {
    public var set: AudioFeatureKind
    /// Window and hop in seconds. Row k has timestamp k·hop and summarises the window centred on
    /// it, [k·hop − window/2, k·hop + window/2), clipped to the recording (`egemaps-lld`: the hop
    /// centred on it).
    public var window: Double
    public var hop: Double
    public var mode: SegmentMode
    /// The configuration used, relative to openSMILE's configuration folder.
    public var config: String
    /// FNV-1a 64 (hex) over the configuration and every file it includes, and the options passed.
    public var configDigest: String

    /// MuSe-Stress's grid: 500 ms hop. Window: the MuSe 2021 package's eGeMAPS functionals were
    /// computed over 2 s windows every 500 ms (Stappen et al., "The MuSe 2021 Multimodal Sentiment
    /// Analysis Challenge", ACM MM workshop 2021, arXiv:2104.07123, Sec. "Acoustic features").
    public static let museWindow = 2.0
    public static let museHop = 0.5

    /// Rows for a recording of `duration` seconds: one per hop starting at 0 while k·hop < duration.
    public func rowCount(duration: Double) -> Int {
        max(1, Int((duration / hop - 1e-9).rounded(.up)))
    }

    public func timestampMilliseconds(row k: Int) -> Int { Int((Double(k) * hop * 1000).rounded()) }

    /// The window of row k in seconds, clipped to [0, duration].
    public func window(row k: Int, duration: Double) -> (start: Double, end: Double) {
        let centre = Double(k) * hop
        let half = set == .egemapsLLD ? hop / 2 : window / 2
        return (max(0, centre - half), min(duration, centre + half))
    }

    /// What differs between this extraction and `other` ("" when they agree).
    public func differences(from other: FeatureExtraction) -> String {
        var d: [String] = []
        if set != other.set { d.append("set \(set.rawValue) vs \(other.set.rawValue)") }
        if abs(window - other.window) > 1e-9 { d.append("window \(window) s vs \(other.window) s") }
        if abs(hop - other.hop) > 1e-9 { d.append("hop \(hop) s vs \(other.hop) s") }
        if mode != other.mode { d.append("mode \(mode.rawValue) vs \(other.mode.rawValue)") }
        if config != other.config { d.append("config \(config) vs \(other.config)") }
        if configDigest != other.configDigest { d.append("openSMILE config digest \(configDigest) vs \(other.configDigest)") }
        return d.joined(separator: ", ")
    }

    /// The sidecar's name inside `feature_segments/<set>/` (the dataset loader reads only `*.csv`).
    public static let sidecarName = "extraction.json"

    public static func read(from folder: URL) throws -> FeatureExtraction {
        let url = folder.appendingPathComponent(sidecarName)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw AudioError(file: url.path, message: "file not found: this feature set was not made by `emofuse features` (no extraction record)")
        }
        do { return try JSONDecoder().decode(FeatureExtraction.self, from: data) } catch {
            throw AudioError(file: url.path, message: "cannot read the extraction record: \(error)")
        }
    }

    public func write(to folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(Array(try encoder.encode(self)) + [10], to: folder.appendingPathComponent(Self.sidecarName))
    }
}

/// Extracts one feature set from recordings with openSMILE, on the grid of a `FeatureExtraction`.
public struct FeatureExtractor: Sendable {
    public let library: OpenSmileLibrary
    public let description: FeatureExtraction

    /// Validates window and hop and computes the configuration digest.
    public init(library: OpenSmileLibrary, set: AudioFeatureKind, window: Double = FeatureExtraction.museWindow,
                hop: Double = FeatureExtraction.museHop, mode: SegmentMode = .stream) throws {
        guard hop.isFinite, hop >= 0.01 else { throw AudioError(file: "--hop", message: "hop must be at least 0.01 s, not \(hop)") }
        guard window.isFinite, window >= 0.2, window <= 600 else {
            throw AudioError(file: "--window", message: "window must be between 0.2 s and 600 s, not \(window)")
        }
        self.library = library
        let options = Self.fixedOptions(set: set, mode: mode, root: library.configRoot)
        let digest = try Self.digest(config: library.configRoot.appendingPathComponent(set.configPath),
                                     options: options)
        description = FeatureExtraction(set: set, window: window, hop: hop, mode: mode, config: set.configPath,
                                        configDigest: digest)
    }

    /// Column names and one row per grid step for `clip`; `file` names the recording in errors.
    public func extract(_ clip: AudioClip, file: String) throws -> (columns: [String], timestamps: [Int64], values: [Float]) {
        let d = description
        guard clip.sampleRate > 0 else { throw AudioError(file: file, message: "sample rate is 0") }
        guard !clip.samples.isEmpty else { throw AudioError(file: file, message: "no audio samples (zero-length recording)") }
        let rows = d.rowCount(duration: clip.duration)
        let config = library.configRoot.appendingPathComponent(d.set.configPath)
        var options = Self.fixedOptions(set: d.set, mode: d.mode, root: library.configRoot)
        options.append(("sampleRate", String(clip.sampleRate)))
        var columns: [String] = []
        var values = [Float](repeating: .nan, count: 0)
        switch (d.set, d.mode) {
        case (.egemapsLLD, _):
            let out = try library.process(config: config, options: options, samples: clip.samples[...], file: file)
            columns = out.names
            values = Self.averagePerHop(out.rows, width: out.names.count, rows: rows, extraction: d, duration: clip.duration)
        case (_, .stream):
            // openSMILE places listed frames on its 10 ms descriptor clock: where 10 ms is not a whole
            // number of samples (22050 Hz, 11025 Hz) that clock drifts from real time, so refuse.
            guard clip.sampleRate % 100 == 0 else {
                throw AudioError(file: file, message: "sample rate \(clip.sampleRate) Hz: openSMILE's 10 ms frame step is not a whole number of samples, so stream-mode windows would drift from real time; resample (e.g. `sox IN -r 16000 OUT.wav`) or use --mode segments")
            }
            // No vector comes back for a listed frame that ends after the last descriptor frame
            // (≈ duration − 0.055 s, measured): windows reaching the end of the recording stop at
            // ⌊(duration − 0.06 s)/10 ms⌋·10 ms.
            let lastFrame = (((clip.duration - 0.06) * 100 + 1e-6).rounded(.down)) / 100
            guard lastFrame > 0.1 else {
                throw AudioError(file: file, message: String(format: "recording too short (%.3f s) for openSMILE's analysis frames", clip.duration))
            }
            var list: [String] = []
            for k in 0..<rows {
                let w = d.window(row: k, duration: clip.duration)
                list.append(String(format: "%.4fs-%.4fs", min(w.start, lastFrame - 0.01), min(w.end, lastFrame)))
            }
            options.append(("frameList", list.joined(separator: ",")))
            let out = try library.process(config: config, options: options, samples: clip.samples[...], file: file)
            guard out.rows.count == rows else {
                throw AudioError(file: file, message: "openSMILE returned \(out.rows.count) feature vectors for \(rows) windows (recording of \(String(format: "%.3f", clip.duration)) s)")
            }
            columns = out.names
            values = out.rows.flatMap { $0 }
        case (_, .segments):
            values.reserveCapacity(rows * 88)
            for k in 0..<rows {
                let w = d.window(row: k, duration: clip.duration)
                let out = try library.process(config: config, options: options, samples: clip.slice(from: w.start, to: w.end), file: file)
                if columns.isEmpty { columns = out.names }
                // Too short for openSMILE to produce a vector: a row of NaN (empty cells), as the Python package does.
                values += out.rows.first ?? [Float](repeating: .nan, count: out.names.count)
            }
        }
        return (columns, (0..<rows).map { Int64(d.timestampMilliseconds(row: $0)) }, values)
    }

    /// Options every run passes (those the Python package passes, less the sample rate).
    static func fixedOptions(set: AudioFeatureKind, mode: SegmentMode, root: URL) -> [(String, String)] {
        let shared = root.appendingPathComponent("shared")
        let frameMode = set != .egemapsLLD && mode == .stream ? "FrameModeFunctionalsMulti.conf.inc" : "FrameModeFunctionals.conf.inc"
        return [
            ("source", shared.appendingPathComponent("standard_external_wave_input.conf.inc").path),
            ("sink", shared.appendingPathComponent("standard_external_data_output_single.conf.inc").path),
            ("sinkLevel", set.sinkLevel),
            ("bufferModeRbConf", shared.appendingPathComponent("BufferModeRb.conf.inc").path),
            ("frameModeFunctionalsConf", shared.appendingPathComponent(frameMode).path),
            ("nBits", "16"),
        ]
    }

    /// Mean of the 10 ms low-level-descriptor frames whose start lies in each row's hop.
    static func averagePerHop(_ frames: [[Float]], width: Int, rows: Int, extraction d: FeatureExtraction, duration: Double) -> [Float] {
        let frameStep = 0.01  // eGeMAPSv02's descriptor frame period
        var out = [Float](repeating: .nan, count: rows * width)
        var sums = [Double](repeating: 0, count: width)
        var i = 0
        for k in 0..<rows {
            let w = d.window(row: k, duration: duration)
            while i < frames.count && Double(i) * frameStep < w.start - 1e-9 { i += 1 }
            var n = 0
            for j in 0..<width { sums[j] = 0 }
            while i < frames.count && Double(i) * frameStep < w.end - 1e-9 {
                for j in 0..<width { sums[j] += Double(frames[i][j]) }
                n += 1; i += 1
            }
            if n > 0 { for j in 0..<width { out[k * width + j] = Float(sums[j] / Double(n)) } }
        }
        return out
    }

    /// FNV-1a 64 over the configuration, every file it includes (recursively) and the options.
    static func digest(config: URL, options: [(String, String)]) throws -> String {
        var bytes: [UInt8] = []
        var seen = Set<String>()
        func add(_ url: URL) throws {
            let path = url.standardizedFileURL.path
            guard seen.insert(path).inserted else { return }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw AudioError(file: path, message: "openSMILE configuration file not found; \(OpenSmileLibrary.installHint)")
            }
            bytes += Array(url.lastPathComponent.utf8) + [0] + Array(data)
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                let t = line.trimmingCharacters(in: .whitespaces)
                guard t.hasPrefix("\\{"), !t.hasPrefix("\\{\\cm"), let close = t.firstIndex(of: "}") else { continue }
                let rel = String(t[t.index(t.startIndex, offsetBy: 2)..<close])
                try add(url.deletingLastPathComponent().appendingPathComponent(rel))
            }
        }
        try add(config)
        for (name, value) in options {
            bytes += Array(name.utf8) + [61]
            if value.hasPrefix("/") { try add(URL(fileURLWithPath: value)); bytes += Array(URL(fileURLWithPath: value).lastPathComponent.utf8) }
            else { bytes += Array(value.utf8) }
            bytes.append(0)
        }
        return String(format: "%016llx", fnv1a64(bytes))
    }
}
