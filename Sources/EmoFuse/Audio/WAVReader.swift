import Foundation

/// One recording as openSMILE is fed it: the first channel as 16-bit PCM at the file's rate.
///
/// 16-bit files are passed through unchanged. Other sample formats are converted exactly as the
/// `opensmile` Python package does (`float32(x) * 32768`, truncated toward zero; EmoFuse clamps
/// to the Int16 range where Python would wrap), so that both feed openSMILE the same samples.
public struct AudioClip: Sendable {
    public let sampleRate: Int
    public let samples: [Int16]
    /// How the file stored its samples, e.g. "PCM 24-bit, 2 channels, 44100 Hz".
    public let sourceFormat: String

    public init(sampleRate: Int, samples: [Int16], sourceFormat: String) {
        self.sampleRate = sampleRate
        self.samples = samples
        self.sourceFormat = sourceFormat
    }

    /// Length in seconds.
    public var duration: Double { Double(samples.count) / Double(sampleRate) }

    /// Samples `[start, end)` in seconds, clipped to the recording.
    public func slice(from start: Double, to end: Double) -> ArraySlice<Int16> {
        let a = max(0, min(samples.count, Int((start * Double(sampleRate)).rounded())))
        let b = max(a, min(samples.count, Int((end * Double(sampleRate)).rounded())))
        return samples[a..<b]
    }
}

/// A problem with an audio file: names the file, says what is wrong and (where it applies) what to do.
public struct AudioError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let message: String
    public init(file: String, message: String) {
        self.file = file
        self.message = message
    }
    public var description: String { "\(file): \(message)" }
}

/// Reads RIFF/WAVE files in Swift: PCM 8/16/24/32-bit, IEEE float 32/64-bit, plain or
/// WAVE_FORMAT_EXTENSIBLE, any rate, any channel count (the first channel is kept).
public enum WAVReader {
    public static func read(_ url: URL) throws -> AudioClip {
        let file = url.path
        guard let data = FileManager.default.contents(atPath: file) else {
            let exists = FileManager.default.fileExists(atPath: file)
            throw AudioError(file: file, message: exists ? "cannot read the file" : "file not found")
        }
        return try data.withUnsafeBytes { try parse(UnsafeRawBufferPointer($0), file: file) }
    }

    /// Parses the bytes of a WAV file; `file` names it in errors.
    public static func parse(_ bytes: UnsafeRawBufferPointer, file: String) throws -> AudioClip {
        func fail(_ message: String) -> AudioError { AudioError(file: file, message: message) }
        if bytes.isEmpty { throw fail("empty file (0 bytes), not a WAV recording") }
        guard bytes.count >= 12, tag(bytes, 0) == "RIFF", tag(bytes, 8) == "WAVE" else {
            if bytes.count >= 4 && tag(bytes, 0) == "RIFX" { throw fail("big-endian WAV (RIFX) is not supported; convert it with sox") }
            throw fail("not a WAV file (no RIFF/WAVE header); other formats need sox or ffmpeg on PATH")
        }
        var format: (code: UInt16, channels: Int, rate: Int, blockAlign: Int, bits: Int)?
        var dataRange: Range<Int>?
        var offset = 12
        while offset + 8 <= bytes.count {
            let id = tag(bytes, offset)
            let size = Int(u32(bytes, offset + 4))
            let body = offset + 8
            if id == "fmt " {
                guard size >= 16, body + 16 <= bytes.count else { throw fail("truncated: the 'fmt ' chunk is cut short") }
                var code = u16(bytes, body)
                if code == 0xFFFE {
                    guard size >= 40, body + 40 <= bytes.count else { throw fail("truncated: the extensible 'fmt ' chunk is cut short") }
                    code = u16(bytes, body + 24)  // first two bytes of the sub-format GUID
                }
                format = (code, Int(u16(bytes, body + 2)), Int(u32(bytes, body + 4)), Int(u16(bytes, body + 12)), Int(u16(bytes, body + 14)))
            } else if id == "data" {
                guard format != nil else { throw fail("the 'data' chunk comes before the 'fmt ' chunk") }
                let available = bytes.count - body
                if size > available {
                    // 0xFFFFFFFF (or a too-large size) is what a recorder that never finished leaves.
                    throw fail("truncated: the 'data' chunk declares \(size) bytes of audio, the file holds \(available)")
                }
                dataRange = body..<(body + size)
                break
            }
            offset = body + size + (size & 1)
        }
        guard let f = format else { throw fail("truncated or damaged: no 'fmt ' chunk") }
        guard let range = dataRange else { throw fail("truncated or damaged: no 'data' chunk") }
        guard f.rate > 0 else { throw fail("sample rate is 0 in the 'fmt ' chunk") }
        guard f.channels > 0 else { throw fail("channel count is 0 in the 'fmt ' chunk") }
        let bytesPerSample = f.bits / 8
        let supported: Bool
        switch (f.code, f.bits) {
        case (1, 8), (1, 16), (1, 24), (1, 32), (3, 32), (3, 64): supported = true
        default: supported = false
        }
        guard supported else {
            throw fail("unsupported sample format (format code \(f.code), \(f.bits) bits); supported: PCM 8/16/24/32-bit, float 32/64-bit — convert with sox")
        }
        guard f.blockAlign >= bytesPerSample * f.channels, f.blockAlign > 0 else {
            throw fail("inconsistent 'fmt ' chunk: block align \(f.blockAlign) for \(f.channels) channel(s) of \(f.bits) bits")
        }
        let frames = range.count / f.blockAlign
        guard frames > 0 else { throw fail("no audio samples (the 'data' chunk is empty)") }
        if range.count % f.blockAlign != 0 {
            throw fail("truncated: the 'data' chunk holds \(range.count) bytes, not a whole number of \(f.blockAlign)-byte frames")
        }
        var samples = [Int16](repeating: 0, count: frames)
        let base = range.lowerBound
        samples.withUnsafeMutableBufferPointer { out in
            for i in 0..<frames {
                let p = base + i * f.blockAlign
                switch (f.code, f.bits) {
                case (1, 16): out[i] = Int16(bitPattern: u16(bytes, p))
                case (1, 8): out[i] = toInt16(Float(Int(bytes[p]) - 128) / 128)
                case (1, 24):
                    let v = Int32(bitPattern: UInt32(bytes[p]) << 8 | UInt32(bytes[p + 1]) << 16 | UInt32(bytes[p + 2]) << 24) >> 8
                    out[i] = toInt16(Float(v) / 8_388_608)
                case (1, 32): out[i] = toInt16(Float(Int32(bitPattern: u32(bytes, p))) / 2_147_483_648)
                case (3, 32): out[i] = toInt16(Float(bitPattern: u32(bytes, p)))
                default: out[i] = toInt16(Float(Double(bitPattern: u64(bytes, p))))
                }
            }
        }
        let kind = f.code == 3 ? "float \(f.bits)-bit" : "PCM \(f.bits)-bit"
        return AudioClip(sampleRate: f.rate, samples: samples,
                         sourceFormat: "\(kind), \(f.channels) channel\(f.channels == 1 ? "" : "s"), \(f.rate) Hz")
    }

    /// Writes 16-bit mono PCM (used by the demo and the tests).
    public static func encode(samples: [Int16], sampleRate: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(44 + 2 * samples.count)
        func put32(_ v: UInt32) { for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * k))) } }
        func put16(_ v: UInt16) { out.append(UInt8(v & 0xFF)); out.append(UInt8(v >> 8)) }
        out += Array("RIFF".utf8); put32(UInt32(36 + 2 * samples.count)); out += Array("WAVE".utf8)
        out += Array("fmt ".utf8); put32(16); put16(1); put16(1); put32(UInt32(sampleRate)); put32(UInt32(2 * sampleRate)); put16(2); put16(16)
        out += Array("data".utf8); put32(UInt32(2 * samples.count))
        for s in samples { put16(UInt16(bitPattern: s)) }
        return out
    }

    /// The Python package's conversion (`(x * 32768).astype(int16)`), clamped instead of wrapping.
    @inline(__always) static func toInt16(_ x: Float) -> Int16 {
        let y = x * 32768
        if !(y == y) { return 0 }
        return Int16(max(-32768, min(32767, y.rounded(.towardZero))))
    }

    private static func tag(_ b: UnsafeRawBufferPointer, _ at: Int) -> String {
        String(decoding: b[at..<(at + 4)], as: UTF8.self)
    }
    private static func u16(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt16 { UInt16(b[at]) | UInt16(b[at + 1]) << 8 }
    private static func u32(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }
    private static func u64(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt64 { UInt64(u32(b, at)) | UInt64(u32(b, at + 4)) << 32 }
}
