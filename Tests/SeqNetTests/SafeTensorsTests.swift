import Foundation
import Testing
@testable import SeqNet

/// Bytes of a safetensors file with `header` as its JSON (length field `declared` if given).
private func craft(_ header: String, data: [UInt8] = [], declared: UInt64? = nil) -> [UInt8] {
    let h = Array(header.utf8)
    var out: [UInt8] = []
    withUnsafeBytes(of: (declared ?? UInt64(h.count)).littleEndian) { out.append(contentsOf: $0) }
    return out + h + data
}

private func floats(_ values: [Float]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
}

/// Expects parsing to fail with a message containing `fragment` and naming the source.
private func expectRejected(_ bytes: [UInt8], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        _ = try SafeTensors(bytes: bytes, source: "bad.safetensors")
        Issue.record("accepted a malformed file (expected: \(fragment))", sourceLocation: sourceLocation)
    } catch let e as SafeTensorsError {
        #expect(e.file == "bad.safetensors", sourceLocation: sourceLocation)
        #expect(e.message.contains(fragment), "message: \(e.message)", sourceLocation: sourceLocation)
        #expect(e.description.hasPrefix("bad.safetensors: "), sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error type \(error)", sourceLocation: sourceLocation)
    }
}

private let oneTensor = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#

@Suite struct SafeTensorsTests {
    private func sample() -> SafeTensors {
        var st = SafeTensors(metadata: ["note": "quote \" backslash \\ newline \n tab \t ctrl \u{01} é 😀", "empty": ""])
        st.set("z.last", shape: [2, 3], copying: FloatBuffer([1, -2, 3.5, .infinity, -0.0, 1e-30]))
        st.set("a.first", shape: [], copying: FloatBuffer([42]))
        st.set("m.empty", shape: [0, 4], copying: FloatBuffer(count: 0))
        st.set("ünï \"name\"", shape: [1], copying: FloatBuffer([.nan]))
        return st
    }

    @Test func roundTripsThroughBytes() throws {
        let st = sample()
        let bytes = st.encoded()
        let headerLength = Int(bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        #expect(headerLength % 8 == 0)
        let back = try SafeTensors(bytes: bytes)
        #expect(back.metadata == st.metadata)
        #expect(back.names == ["a.first", "m.empty", "z.last", "ünï \"name\""])   // sorted by UTF-8 bytes
        for name in st.names {
            let a = try #require(st[name]), b = try #require(back[name])
            #expect(a.shape == b.shape)
            #expect(a.values.array.map(\.bitPattern) == b.values.array.map(\.bitPattern))
        }
    }

    @Test func outputDoesNotDependOnInsertionOrder() {
        var a = SafeTensors(metadata: ["x": "1", "y": "2"]), b = SafeTensors(metadata: ["y": "2", "x": "1"])
        a.set("p", shape: [1], copying: FloatBuffer([1])); a.set("q", shape: [1], copying: FloatBuffer([2]))
        b.set("q", shape: [1], copying: FloatBuffer([2])); b.set("p", shape: [1], copying: FloatBuffer([1]))
        #expect(a.encoded() == b.encoded())
    }

    @Test func writesAtomicallyAndReadsBack() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID().uuidString)/nested")
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let url = dir.appendingPathComponent("x.safetensors")
        try sample().write(to: url)
        var second = SafeTensors()
        second.set("only", shape: [1], copying: FloatBuffer([3]))
        try second.write(to: url)   // replaces the first file
        let back = try SafeTensors.read(from: url)
        #expect(back.names == ["only"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["x.safetensors"])   // no temp file left
    }

    @Test func missingFileIsAClearError() {
        let url = URL(fileURLWithPath: "/nonexistent/dir/none.safetensors")
        let error = #expect(throws: SafeTensorsError.self) { _ = try SafeTensors.read(from: url) }
        #expect(error?.file == url.path)
        #expect(error?.message.contains("cannot read") == true)
    }

    /// Files written by the Python side of the parity scripts (its own writer, as `safetensors` does).
    @Test func readsPythonWrittenFixture() throws {
        let st = try Fixture.load("torch_checkpoint_io")
        #expect(st["input"]?.shape == [3, 5, 5])
        #expect(st["lengths"]?.values.array == [4, 2, 5])
        #expect(st.metadata["layout"] != nil)
    }

    @Test func convertsOtherFloatTypes() throws {
        let f64 = [1.5, -2.25].flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
        let f16: [UInt8] = [0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00, 0x00, 0x7C]   // 1, -2, smallest subnormal, +inf
        let bf16: [UInt8] = [0x80, 0x3F, 0x40, 0xC0]                          // 1, -3
        let header = #"{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"#
            + #""b":{"dtype":"F16","shape":[4],"data_offsets":[16,24]},"#
            + #""c":{"dtype":"BF16","shape":[2],"data_offsets":[24,28]}}"#
        let st = try SafeTensors(bytes: craft(header, data: f64 + f16 + bf16))
        #expect(st["a"]?.values.array == [1.5, -2.25])
        #expect(st["b"]?.values.array == [1, -2, Float(sign: .plus, exponent: -24, significand: 1), .infinity])
        #expect(st["c"]?.values.array == [1, -3])
    }

    @Test func acceptsPaddingNullMetadataAndUnknownFields() throws {
        let header = #"{"__metadata__":null,"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":[1]}}   "#
        let st = try SafeTensors(bytes: craft(header, data: floats([1, 2])))
        #expect(st.metadata.isEmpty)
        #expect(st["w"]?.values.array == [1, 2])
    }

    // MARK: Malformed and hostile files

    @Test func rejectsShortFile() { expectRejected([1, 0, 0], "too short") }

    @Test func rejectsAbsurdHeaderLength() {
        expectRejected(craft(oneTensor, data: floats([1, 2]), declared: UInt64.max), "absurd")
        expectRejected(craft(oneTensor, data: floats([1, 2]), declared: 200_000_000), "absurd")
    }

    @Test func rejectsHeaderLongerThanFile() {
        expectRejected(craft(oneTensor, data: [], declared: UInt64(oneTensor.utf8.count + 100)), "exceeds")
    }

    @Test func rejectsNonJSONHeader() {
        expectRejected(craft("not json", data: []), "not valid JSON")
        expectRejected(craft(#"{"w":{"dtype":"F32""#, data: []), "not valid JSON")
        expectRejected(craft(#"{"w":1,}"#, data: []), "not valid JSON")
        expectRejected(craft("{} trailing", data: []), "after the JSON value")
        expectRejected(craft("", data: []), "not valid JSON")
        expectRejected(craft(#"{"a":01}"#), "leading zero")
        expectRejected(craft("{\"a\u{01}\":1}"), "control character")
        expectRejected(craft(#"{"a":"\ud800"}"#), "surrogate")
    }

    @Test func rejectsInvalidUTF8() {
        let bytes = craft("{\"\u{7F}\":1}")
        var bad = bytes
        bad[10] = 0xFF   // the key's byte
        expectRejected(bad, "UTF-8")
    }

    @Test func rejectsDeepNesting() {
        let deep = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
        expectRejected(craft(#"{"__metadata__":"# + deep + "}"), "nesting")
    }

    @Test func rejectsNonObjectHeader() {
        expectRejected(craft("[1, 2]"), "not a JSON object")
        expectRejected(craft(#"{"w":[1]}"#), "not a JSON object")
    }

    @Test func rejectsUnknownAndUnsupportedDtypes() {
        expectRejected(craft(#"{"w":{"dtype":"F99","shape":[2],"data_offsets":[0,8]}}"#, data: floats([1, 2])), "unknown dtype 'F99'")
        expectRejected(craft(#"{"w":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, data: floats([1, 2])), "I64, which is not supported")
        expectRejected(craft(#"{"w":{"dtype":5,"shape":[1],"data_offsets":[0,4]}}"#, data: floats([1])), "dtype of tensor 'w' is not a string")
    }

    @Test func rejectsShapeSizeMismatch() {
        expectRejected(craft(#"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: floats([1, 2])), "needs 12 bytes")
    }

    @Test func rejectsBadShapes() {
        expectRejected(craft(#"{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: floats([1, 2])), "not a non-negative integer")
        expectRejected(craft(#"{"w":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}"#, data: floats([1, 2])), "not a non-negative integer")
        expectRejected(craft(#"{"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}"#, data: floats([1, 2])), "not an array")
        expectRejected(craft(#"{"w":{"dtype":"F32","data_offsets":[0,8]}}"#, data: floats([1, 2])), "has no \"shape\"")
        expectRejected(craft(#"{"w":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,8]}}"#, data: floats([1, 2])),
                       "not a non-negative integer")
    }

    @Test func rejectsShapeProductOverflow() {
        expectRejected(craft(#"{"w":{"dtype":"F32","shape":[4294967296,4294967296,2],"data_offsets":[0,8]}}"#, data: floats([1, 2])),
                       "overflows")
        expectRejected(craft(#"{"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]}}"#, data: floats([1, 2])),
                       "overflows the byte count")
    }

    @Test func rejectsOffsetsOutOfBoundsOrReversed() {
        expectRejected(craft(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, data: floats([1, 2])), "reversed")
        expectRejected(craft(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#, data: floats([1, 2])), "run past the end")
        expectRejected(craft(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}}"#, data: floats([1, 2])), "pair of non-negative integers")
        expectRejected(craft(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551624]}}"#, data: floats([1, 2])),
                       "pair of non-negative integers")
    }

    @Test func rejectsTruncatedData() {
        let full = craft(oneTensor, data: floats([1, 2]))
        expectRejected(Array(full.dropLast(3)), "run past the end")
    }

    @Test func rejectsGapsOverlapsAndTrailingBytes() {
        let two = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        expectRejected(craft(two, data: floats([1, 2, 3])), "gap")
        let overlap = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        expectRejected(craft(overlap, data: floats([1, 2])), "overlapping")
        expectRejected(craft(oneTensor, data: floats([1, 2, 3])), "not covered")
    }

    @Test func rejectsDuplicateKeys() {
        let dup = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        expectRejected(craft(dup, data: floats([1, 2])), "duplicate key \"w\"")
        expectRejected(craft(#"{"__metadata__":{"k":"a","k":"b"}}"#), "duplicate key \"k\"")
    }

    @Test func rejectsMetadataThatIsNotAStringMap() {
        expectRejected(craft(#"{"__metadata__":{"k":1}}"#), "'k' holds the number 1")
        expectRejected(craft(#"{"__metadata__":["k"]}"#), "must map strings to strings")
        expectRejected(craft(#"{"__metadata__":{"k":{"nested":"x"}}}"#), "'k' holds an object")
    }

    /// Random corruptions of a valid file are either read or rejected with an error: never a crash.
    @Test func survivesRandomCorruption() {
        let valid = sample().encoded()
        var rng = RandomSource(seed: 77)
        var accepted = 0, rejected = 0
        for _ in 0..<3000 {
            var bytes = valid
            for _ in 0..<(1 + rng.nextInt(below: 4)) {
                let i = rng.nextInt(below: bytes.count)
                switch rng.nextInt(below: 3) {
                case 0: bytes[i] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes.removeSubrange(i..<min(bytes.count, i + 1 + rng.nextInt(below: 16)))
                default: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: i)
                }
                if bytes.isEmpty { bytes = [0] }
            }
            do { _ = try SafeTensors(bytes: bytes); accepted += 1 } catch { rejected += 1 }
        }
        #expect(rejected > 0 && accepted + rejected == 3000)
    }
}
