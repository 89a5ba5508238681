/// One result per job, written by worker threads (``Inference/forEachOutput(_:sequences:batchSize:reusing:_:)``'s
/// sequences, `loadTables`' files): each index by one thread only, so no lock; read back once
/// every worker has finished.
final class Slots<Value>: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<Value>

    init(count: Int, initial: Value) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: initial)
    }

    deinit {
        if let base = storage.baseAddress { base.deinitialize(count: storage.count) }
        storage.deallocate()
    }

    subscript(index: Int) -> Value {
        get { storage[index] }
        set { storage[index] = newValue }
    }

    var array: [Value] { Array(storage) }
}
