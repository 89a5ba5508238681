import Foundation

/// A set of named Float tensors plus string metadata, read from and written to the
/// [safetensors](https://github.com/huggingface/safetensors) format.
///
/// File layout: an 8-byte little-endian header length `N`; `N` bytes of UTF-8 JSON, an object mapping
/// each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}` (byte offsets relative to
/// the data section) and optionally `"__metadata__"` to a string→string map; then the data section.
///
/// Writing: float32 little-endian, tensors sorted by name (UTF-8 byte order) in both the header and
/// the data section, the header padded with spaces to a multiple of 8 bytes, the file replaced
/// atomically (temporary file in the same folder, then rename).
///
/// Reading accepts F32, F64, F16 and BF16 (converted to Float) and validates everything before
/// touching the data: a malformed or hostile file gives a ``SafeTensorsError`` naming the file and
/// the problem, never a crash or an out-of-bounds read. As the reference implementation, it requires
/// the tensors' byte ranges to tile the data section exactly (no gaps, overlaps or trailing bytes).
public struct SafeTensors: Sendable {
    /// One tensor: its shape and row-major values (`values.count` = product of `shape`; `[]` is a scalar).
    public struct Tensor: Sendable {
        public var shape: [Int]
        public var values: FloatBuffer

        public init(shape: [Int], values: FloatBuffer) {
            precondition(shape.allSatisfy { $0 >= 0 }, "SafeTensors.Tensor: negative dimension in \(shape)")
            precondition(shape.reduce(1, *) == values.count,
                         "SafeTensors.Tensor: shape \(shape) does not hold \(values.count) values")
            self.shape = shape
            self.values = values
        }
    }

    /// Reserved header key of the metadata map.
    public static let metadataKey = "__metadata__"
    /// Largest header accepted when reading (as the reference implementation: 100 MB).
    public static let maxHeaderBytes = 100_000_000

    /// Free-form string metadata (`__metadata__`).
    public var metadata: [String: String]
    /// Tensor names in insertion order (file order for a file that was read).
    public private(set) var names: [String] = []
    private var tensors: [String: Tensor] = [:]

    /// An empty set.
    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// The tensor called `name`, if any.
    public subscript(name: String) -> Tensor? { tensors[name] }

    /// Adds or replaces the tensor `name` (which must not be `__metadata__`).
    public mutating func set(_ name: String, _ tensor: Tensor) {
        precondition(name != Self.metadataKey, "SafeTensors: '\(Self.metadataKey)' is not a valid tensor name")
        if tensors.updateValue(tensor, forKey: name) == nil { names.append(name) }
    }

    /// Adds or replaces the tensor `name` with `shape` and a copy of `values`.
    public mutating func set(_ name: String, shape: [Int], copying values: FloatBuffer) {
        set(name, Tensor(shape: shape, values: values.copy()))
    }

    /// Removes the tensor `name`; returns it if it was there.
    @discardableResult
    public mutating func remove(_ name: String) -> Tensor? {
        guard let t = tensors.removeValue(forKey: name) else { return nil }
        names.removeAll { $0 == name }
        return t
    }

    // MARK: Writing

    /// The file's bytes (see the type's documentation for the layout).
    public func encoded() -> [UInt8] {
        let sorted = names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var header = "{"
        var first = true
        if !metadata.isEmpty {
            header += jsonQuoted(Self.metadataKey) + ":{"
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            header += keys.map { jsonQuoted($0) + ":" + jsonQuoted(metadata[$0]!) }.joined(separator: ",")
            header += "}"
            first = false
        }
        var offset = 0
        for name in sorted {
            let t = tensors[name]!
            let bytes = t.values.count * 4
            if !first { header += "," }
            first = false
            header += jsonQuoted(name) + ":{\"dtype\":\"F32\",\"shape\":["
                + t.shape.map(String.init).joined(separator: ",")
                + "],\"data_offsets\":[\(offset),\(offset + bytes)]}"
            offset += bytes
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }

        var out = [UInt8]()
        out.reserveCapacity(8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: headerBytes)
        for name in sorted {
            let values = tensors[name]!.values
            #if _endian(little)
            out.append(contentsOf: UnsafeRawBufferPointer(start: values.pointer, count: values.count * 4))
            #else
            for i in 0..<values.count {
                withUnsafeBytes(of: values[i].bitPattern.littleEndian) { out.append(contentsOf: $0) }
            }
            #endif
        }
        return out
    }

    /// Writes the file atomically, creating missing parent folders.
    public func write(to url: URL) throws {
        try writeFileAtomically(encoded(), to: url)
    }

    // MARK: Reading

    /// Reads and validates a safetensors file.
    public static func read(from url: URL) throws -> SafeTensors {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw SafeTensorsError(file: url.path, message: "cannot read the file (\(error.localizedDescription))")
        }
        return try data.withUnsafeBytes { try SafeTensors(bytes: $0, source: url.path) }
    }

    /// Parses and validates safetensors bytes; `source` names them in errors.
    public init(bytes: [UInt8], source: String = "<memory>") throws {
        self = try bytes.withUnsafeBytes { try SafeTensors(bytes: $0, source: source) }
    }

    /// Parses and validates safetensors bytes; `source` names them in errors.
    public init(bytes: UnsafeRawBufferPointer, source: String = "<memory>") throws {
        func fail(_ message: String) -> SafeTensorsError { SafeTensorsError(file: source, message: message) }
        guard bytes.count >= 8 else {
            throw fail("file is \(bytes.count) bytes long, too short for the 8-byte header length")
        }
        let declared = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard declared <= UInt64(Self.maxHeaderBytes) else {
            throw fail("header length \(declared) is absurd (limit \(Self.maxHeaderBytes) bytes)")
        }
        let headerLength = Int(declared)
        guard headerLength <= bytes.count - 8 else {
            throw fail("header length \(headerLength) exceeds the \(bytes.count - 8) bytes after the length field (truncated file?)")
        }
        let root: JSONValue
        do {
            var parser = JSONParser(UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + headerLength)]))
            root = try parser.parseDocument()
        } catch let e as JSONSyntaxError {
            throw fail("header is not valid JSON: \(e.message) at header byte \(e.offset)")
        }
        guard case .object(let entries) = root else { throw fail("header is not a JSON object") }

        let data = UnsafeRawBufferPointer(rebasing: bytes[(8 + headerLength)...])
        var layouts: [TensorLayout] = []
        var metadata: [String: String] = [:]
        for (name, value) in entries {
            if name == Self.metadataKey {
                metadata = try parseMetadata(value, fail: fail)
            } else {
                layouts.append(try TensorLayout(name: name, info: value, dataCount: data.count, fail: fail))
            }
        }
        // The byte ranges must tile the data section: sorted by start, each begins where the last ended.
        var expected = 0
        for l in layouts.sorted(by: { ($0.begin, $0.end) < ($1.begin, $1.end) }) {
            guard l.begin == expected else {
                throw fail(l.begin < expected
                    ? "data of tensor '\(l.name)' starts at byte \(l.begin), overlapping the previous tensor (which ends at \(expected))"
                    : "data of tensor '\(l.name)' starts at byte \(l.begin), leaving a gap after byte \(expected)")
            }
            expected = l.end
        }
        guard expected == data.count else {
            throw fail("\(data.count - expected) bytes after the last tensor's data are not covered by any tensor")
        }

        self.init(metadata: metadata)
        for l in layouts {
            let values = FloatBuffer(count: l.count)
            l.decode(from: UnsafeRawBufferPointer(rebasing: data[l.begin..<l.end]), into: values.pointer)
            set(l.name, Tensor(shape: l.shape, values: values))
        }
    }
}

/// A malformed safetensors file (or one that cannot be read or written).
public struct SafeTensorsError: Error, LocalizedError, CustomStringConvertible, Equatable {
    /// The file's path (or the `source` given for in-memory bytes).
    public let file: String
    /// What is wrong, e.g. "data_offsets [0, 64] of tensor 'w' are out of bounds (data section: 32 bytes)".
    public let message: String

    public init(file: String, message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
    public var errorDescription: String? { description }
}

// MARK: - Header validation

/// Supported stored element types.
private enum StoredType: String {
    case f32 = "F32", f64 = "F64", f16 = "F16", bf16 = "BF16"

    var size: Int {
        switch self {
        case .f32: return 4
        case .f64: return 8
        case .f16, .bf16: return 2
        }
    }

    /// Types the format defines that this reader does not convert.
    static let unsupported: Set<String> = ["BOOL", "U8", "I8", "I16", "U16", "I32", "U32", "I64", "U64",
                                           "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2",
                                           "C64", "C128"]
}

/// One header entry, validated against the data section.
private struct TensorLayout {
    let name: String
    let type: StoredType
    let shape: [Int]
    let count: Int
    let begin: Int
    let end: Int

    init(name: String, info: JSONValue, dataCount: Int, fail: (String) -> SafeTensorsError) throws {
        self.name = name
        guard case .object(let fields) = info else { throw fail("entry of tensor '\(name)' is not a JSON object") }
        func field(_ key: String) throws -> JSONValue {
            guard let v = fields.first(where: { $0.key == key })?.value else {
                throw fail("tensor '\(name)' has no \"\(key)\"")
            }
            return v
        }
        guard case .string(let dtype) = try field("dtype") else { throw fail("dtype of tensor '\(name)' is not a string") }
        guard let type = StoredType(rawValue: dtype) else {
            throw fail(StoredType.unsupported.contains(dtype)
                ? "tensor '\(name)' has dtype \(dtype), which is not supported (only F32, F64, F16, BF16)"
                : "tensor '\(name)' has unknown dtype '\(dtype)'")
        }
        self.type = type
        guard case .array(let dims) = try field("shape") else { throw fail("shape of tensor '\(name)' is not an array") }
        var shape: [Int] = []
        var count = 1
        for d in dims {
            guard let n = d.nonNegativeInteger else {
                throw fail("shape of tensor '\(name)' contains \(d.summary), not a non-negative integer")
            }
            shape.append(n)
            let (product, overflow) = count.multipliedReportingOverflow(by: n)
            guard !overflow else { throw fail("shape \(shapeText(dims)) of tensor '\(name)' overflows the element count") }
            count = product
        }
        self.shape = shape
        self.count = count
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: type.size)
        guard !overflow else { throw fail("shape \(shape) of tensor '\(name)' overflows the byte count") }
        guard case .array(let offsets) = try field("data_offsets"), offsets.count == 2,
              let begin = offsets[0].nonNegativeInteger, let end = offsets[1].nonNegativeInteger else {
            throw fail("data_offsets of tensor '\(name)' is not a pair of non-negative integers")
        }
        guard begin <= end else { throw fail("data_offsets [\(begin), \(end)] of tensor '\(name)' are reversed") }
        guard end <= dataCount else {
            throw fail("data_offsets [\(begin), \(end)] of tensor '\(name)' run past the end of the data section (\(dataCount) bytes; truncated file?)")
        }
        guard end - begin == byteCount else {
            throw fail("tensor '\(name)' with shape \(shape) and dtype \(dtype) needs \(byteCount) bytes, but its data_offsets [\(begin), \(end)] span \(end - begin)")
        }
        self.begin = begin
        self.end = end
    }

    /// Converts the stored little-endian elements to Float.
    func decode(from raw: UnsafeRawBufferPointer, into out: UnsafeMutablePointer<Float>) {
        switch type {
        case .f32:
            #if _endian(little)
            if count > 0 { UnsafeMutableRawPointer(out).copyMemory(from: raw.baseAddress!, byteCount: count * 4) }
            #else
            for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
            #endif
        case .f64:
            for i in 0..<count {
                out[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
            }
        case .f16:
            for i in 0..<count {
                out[i] = floatFromHalf(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .bf16:
            for i in 0..<count {
                let bits = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                out[i] = Float(bitPattern: UInt32(bits) << 16)
            }
        }
    }
}

private func parseMetadata(_ value: JSONValue, fail: (String) -> SafeTensorsError) throws -> [String: String] {
    switch value {
    case .null:
        return [:]
    case .object(let fields):
        var map: [String: String] = [:]
        for (key, v) in fields {
            guard case .string(let s) = v else {
                throw fail("__metadata__ must map strings to strings, but '\(key)' holds \(v.summary)")
            }
            map[key] = s
        }
        return map
    default:
        throw fail("__metadata__ must map strings to strings, but it is \(value.summary)")
    }
}

private func shapeText(_ dims: [JSONValue]) -> String {
    "[" + dims.map { if case .number(let n) = $0 { return n } else { return $0.summary } }.joined(separator: ", ") + "]"
}

/// IEEE 754 binary16 → binary32 (exact; subnormals, infinities and NaN preserved).
func floatFromHalf(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exponent = Int((h >> 10) & 0x1F)
    let mantissa = UInt32(h & 0x3FF)
    switch exponent {
    case 0:
        let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
        return sign != 0 ? -magnitude : magnitude
    case 31:
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    default:
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }
}

// MARK: - Atomic file writing

/// Writes `bytes` to a temporary file next to `url`, flushes it to disk, then renames it over `url`
/// (readers see the old file or the new one, never a partial one). Creates missing parent folders.
func writeFileAtomically(_ bytes: [UInt8], to url: URL) throws {
    let path = url.path
    func fail(_ what: String, _ code: Int32 = errno) -> SafeTensorsError {
        SafeTensorsError(file: path, message: "\(what): \(String(cString: strerror(code)))")
    }
    let folder = url.deletingLastPathComponent()
    do {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    } catch {
        throw SafeTensorsError(file: path, message: "cannot create folder \(folder.path) (\(error.localizedDescription))")
    }
    var rng = SystemRandomNumberGenerator()
    let temp = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(rng.next() & 0xFFFF_FFFF)").path
    let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw fail("cannot create temporary file \(temp)") }
    var ok = false
    defer { if !ok { unlink(temp) } }
    let written: Int = bytes.withUnsafeBytes { buffer in
        var done = 0
        while done < buffer.count {
            let n = Foundation.write(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 { if errno == EINTR { continue }; return -1 }
            done += n
        }
        return done
    }
    guard written == bytes.count else { let code = errno; close(fd); throw fail("cannot write \(temp)", code) }
    guard fsync(fd) == 0 else { let code = errno; close(fd); throw fail("cannot flush \(temp)", code) }
    guard close(fd) == 0 else { throw fail("cannot close \(temp)") }
    guard rename(temp, path) == 0 else { throw fail("cannot rename \(temp) to the destination") }
    ok = true
}
