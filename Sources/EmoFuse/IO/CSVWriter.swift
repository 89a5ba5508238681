/// Builds CSV text in a byte buffer, fast enough for gigabyte-sized feature files.
///
/// Numbers are written in their shortest round-trip form; a NaN is written as an empty cell
/// (how the MuSe package marks a missing value). Call ``bytes`` and hand them to ``AtomicFile``.
public struct CSVWriter {
    public private(set) var bytes: [UInt8] = []
    private var fieldsInRow = 0

    public init(reservingCapacity capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    /// Appends a header row or any row of text fields (no quoting: names must not contain commas).
    public mutating func appendRow(_ fields: [String]) {
        for f in fields { appendField(f) }
        endRow()
    }

    public mutating func appendField(_ text: String) {
        separator()
        bytes.append(contentsOf: text.utf8)
    }

    public mutating func appendInt(_ value: Int64) {
        separator()
        bytes.append(contentsOf: String(value).utf8)
    }

    public mutating func appendFloat(_ value: Float) {
        separator()
        if value.isNaN { return }
        bytes.append(contentsOf: value.description.utf8)
    }

    public mutating func endRow() {
        bytes.append(UInt8(ascii: "\n"))
        fieldsInRow = 0
    }

    @inline(__always) private mutating func separator() {
        if fieldsInRow > 0 { bytes.append(UInt8(ascii: ",")) }
        fieldsInRow += 1
    }
}
