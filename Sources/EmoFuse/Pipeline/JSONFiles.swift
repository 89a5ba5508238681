import Foundation

/// JSON as the run folder stores it: sorted keys, readable, and non-finite numbers (a diverged
/// metric) written as the strings "inf", "-inf", "nan" instead of failing.
enum JSONFiles {
    static func encode<T: Encodable>(_ value: T, pretty: Bool = true) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return Array(try encoder.encode(value))
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(type, from: data)
    }

    static func write<T: Encodable>(_ value: T, to url: URL) throws {
        try AtomicFile.write(try encode(value), to: url)
    }

    /// Hex FNV-1a of `bytes` (see ``fnv1a64(_:)``).
    static func stableHash(_ bytes: [UInt8]) -> String { String(fnv1a64(bytes), radix: 16) }
}
