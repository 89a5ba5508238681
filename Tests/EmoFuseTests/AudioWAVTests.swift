import Foundation
import Testing
@testable import EmoFuse

/// A WAV file's bytes with any format fields (for the reader's cases).
private func wav(code: UInt16 = 1, channels: Int = 1, rate: Int = 16000, bits: Int = 16, data: [UInt8],
                 extensible: Bool = false, declaredDataSize: Int? = nil) -> [UInt8] {
    var out: [UInt8] = []
    func put32(_ v: Int) { for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * k))) } }
    func put16(_ v: Int) { out.append(UInt8(v & 0xFF)); out.append(UInt8((v >> 8) & 0xFF)) }
    let block = channels * bits / 8
    out += Array("RIFF".utf8); put32(0); out += Array("WAVE".utf8)
    out += Array("LIST".utf8); put32(3); out += [1, 2, 3, 0]   // an odd-sized chunk to skip (padded)
    out += Array("fmt ".utf8); put32(extensible ? 40 : 16)
    put16(extensible ? 0xFFFE : Int(code)); put16(channels); put32(rate); put32(rate * block); put16(block); put16(bits)
    if extensible { put16(22); put16(bits); put32(0); put16(Int(code)); out += [0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71] }
    out += Array("data".utf8); put32(declaredDataSize ?? data.count); out += data
    return out
}

private func parse(_ bytes: [UInt8], name: String = "x.wav") throws -> AudioClip {
    try bytes.withUnsafeBytes { try WAVReader.parse($0, file: name) }
}

@Test func wavReaderReadsEverySampleFormatAsThePythonPackageConvertsIt() throws {
    // 16-bit: passed through. Round trip through the encoder.
    let s16: [Int16] = [0, 1, -1, 32767, -32768, 1234]
    let c16 = try parse(WAVReader.encode(samples: s16, sampleRate: 22050))
    #expect(c16.samples == s16 && c16.sampleRate == 22050)

    // 24-bit stereo: the first channel, x/2^23*32768 truncated toward zero.
    var d24: [UInt8] = []
    for (l, r) in [(0x7FFFFF, 5), (-0x800000, 5), (0x000180, 0), (-0x000180, 0)] {
        for v in [l, r] { d24 += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF)] }
    }
    let c24 = try parse(wav(channels: 2, rate: 44100, bits: 24, data: d24))
    #expect(c24.samples == [32767, -32768, 1, -1] && c24.sampleRate == 44100)
    #expect(c24.sourceFormat == "PCM 24-bit, 2 channels, 44100 Hz")

    // float32, extensible header; out-of-range values clamp.
    var f32: [UInt8] = []
    for x: Float in [0.5, -0.25, 1.5, -2, 0.0000305] { withUnsafeBytes(of: x.bitPattern.littleEndian) { f32 += $0 } }
    let cf = try parse(wav(code: 3, bits: 32, data: f32, extensible: true))
    #expect(cf.samples == [16384, -8192, 32767, -32768, 0])

    // 8-bit unsigned and 32-bit integer PCM.
    #expect(try parse(wav(bits: 8, data: [128, 255, 0])).samples == [0, 32512, -32768])
    var i32: [UInt8] = []
    for v: Int32 in [Int32.max, Int32.min, 1 << 16] { withUnsafeBytes(of: v.littleEndian) { i32 += $0 } }
    #expect(try parse(wav(bits: 32, data: i32)).samples == [32767, -32768, 1])
}

@Test func wavReaderRejectsBadFilesNamingThem() throws {
    let good = WAVReader.encode(samples: [1, 2, 3, 4], sampleRate: 16000)
    let cases: [(String, [UInt8], String)] = [
        ("empty.wav", [], "empty file"),
        ("text.wav", Array("timestamp,value\n0,1\n".utf8), "not a WAV file"),
        ("header-cut.wav", Array(good.prefix(30)), "truncated"),
        ("data-cut.wav", Array(good.prefix(good.count - 3)), "truncated"),
        ("zero.wav", wav(data: []), "no audio samples"),
        ("rate0.wav", wav(rate: 0, data: [1, 0, 2, 0]), "sample rate is 0"),
        ("odd.wav", wav(data: [1, 0, 2]), "not a whole number"),
        ("adpcm.wav", wav(code: 2, bits: 4, data: [1, 2]), "unsupported sample format"),
        ("nofmt.wav", Array("RIFF".utf8) + [4, 0, 0, 0] + Array("WAVE".utf8), "no 'fmt ' chunk"),
    ]
    for (name, bytes, expected) in cases {
        let e = try #require(audioError { _ = try parse(bytes, name: name) }, "\(name) should fail")
        #expect(e.file == name && e.message.contains(expected), "\(name): \(e.message)")
    }
    // Through the file reader: a missing file and a non-audio file with another extension (no sox → clear error either way).
    let dir = AudioTestSupport.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let missing = dir.appendingPathComponent("none.wav")
    #expect(audioError { _ = try AudioFiles.read(missing) }?.message == "file not found")
    let notes = dir.appendingPathComponent("notes.txt")
    try Data("hello, not audio".utf8).write(to: notes)
    let e = try #require(audioError { _ = try AudioFiles.read(notes) })
    #expect(e.file == notes.path && (e.message.contains("could not be converted") || e.message.contains("neither sox nor ffmpeg")), "\(e.message)")
}

@Test func recordingListsNeedAudioAndUniqueIDs() throws {
    let dir = AudioTestSupport.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let empty = dir.appendingPathComponent("empty")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    #expect(audioError { _ = try AudioFiles.list([empty.path]) }?.message.contains("no audio files") == true)
    let a = dir.appendingPathComponent("a")
    try FileManager.default.createDirectory(at: a, withIntermediateDirectories: true)
    try Data(WAVReader.encode(samples: [1], sampleRate: 8000)).write(to: a.appendingPathComponent("S1.wav"))
    try Data("x".utf8).write(to: a.appendingPathComponent("readme.txt"))
    #expect(try AudioFiles.list([a.path]).map(\.id) == ["S1"])
    try Data(WAVReader.encode(samples: [1], sampleRate: 8000)).write(to: dir.appendingPathComponent("S1.wav"))
    #expect(audioError { _ = try AudioFiles.list([a.path, dir.appendingPathComponent("S1.wav").path]) }?.message.contains("must be unique") == true)
}
