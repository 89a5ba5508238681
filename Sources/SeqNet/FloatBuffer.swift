/// A fixed-size, 64-byte aligned, zero-initialised buffer of `Float` values.
///
/// Every tensor in the engine lives in one of these: contiguous memory that hot loops reach
/// through `pointer` without bounds checks, copy-on-write or reference-count traffic.
/// A buffer is a reference type; copy it explicitly with ``copy()``.
public final class FloatBuffer: @unchecked Sendable {
    /// Number of `Float` elements.
    public let count: Int
    /// Start of the storage; valid for `count` elements for the lifetime of the buffer.
    public let pointer: UnsafeMutablePointer<Float>
    /// The buffer whose memory a prefix view uses (kept alive by the view); nil for an owner.
    private let base: FloatBuffer?

    /// Allocates `count` zeros.
    public init(count: Int) {
        precondition(count >= 0, "FloatBuffer: negative count \(count)")
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride,
                                                   alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
        base = nil
    }

    /// The first `count` elements of `storage`, shared, not copied (`storage` lives as long as
    /// the view). Its contents are whatever `storage` holds: not zeroed.
    public init(prefixOf storage: FloatBuffer, count: Int) {
        precondition(count >= 0 && count <= storage.count,
                     "FloatBuffer: a prefix of \(count) elements of a buffer of \(storage.count)")
        let owner = storage.base ?? storage
        self.count = count
        pointer = owner.pointer
        base = owner
    }

    /// The buffer that owns this one's memory (itself unless it is a prefix view).
    public var storage: FloatBuffer { base ?? self }

    /// `count` floats from `slot`'s storage when it has room and nobody else holds it (the whole
    /// buffer or a prefix view of it, contents as they were: the caller overwrites every element);
    /// otherwise a new zeroed buffer, kept in `slot` (the old one is freed first). A loop whose
    /// shapes vary (a training epoch's last, partial batch) then faults in its memory once.
    public static func reused(_ slot: inout FloatBuffer?, count: Int) -> FloatBuffer {
        if isKnownUniquelyReferenced(&slot), let kept = slot, kept.count >= count {
            return kept.count == count ? kept : FloatBuffer(prefixOf: kept, count: count)
        }
        slot = nil
        let fresh = FloatBuffer(count: count)
        slot = fresh
        return fresh
    }

    /// Allocates a buffer holding a copy of `values`.
    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { if base == nil { pointer.deallocate() } }

    /// Element access (checked only in debug builds of client code).
    @inlinable public subscript(index: Int) -> Float {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }

    /// The contents as an array (allocates; not for hot loops).
    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// Sets every element to zero.
    public func zero() { pointer.update(repeating: 0, count: count) }

    /// Sets every element to `value`.
    public func fill(_ value: Float) { pointer.update(repeating: value, count: count) }

    /// Copies all elements of `other`, which must have the same count.
    public func copy(from other: FloatBuffer) {
        precondition(other.count == count, "FloatBuffer.copy: count \(other.count) != \(count)")
        pointer.update(from: other.pointer, count: count)
    }

    /// A new buffer with the same contents.
    public func copy() -> FloatBuffer {
        let b = FloatBuffer(count: count)
        b.copy(from: self)
        return b
    }
}
