#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-thread packing buffers of `gemm`, kept for the life of the thread and grown on demand,
/// so a steady stream of products allocates nothing. Each thread (the caller's, or a worker of a
/// threaded product) has its own, so concurrent `gemm` calls never share scratch.
final class GemmScratch {
    private var aStorage: UnsafeMutablePointer<Float>?
    private var aCapacity = 0
    private var bStorage: UnsafeMutablePointer<Float>?
    private var bCapacity = 0

    /// Buffer for a packed A micro-panel, at least `count` floats, 64-byte aligned.
    func aBuffer(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > aCapacity || aStorage == nil {
            aStorage.map { $0.deallocate() }
            aCapacity = max(count, 6 * 256)
            aStorage = GemmScratch.allocate(aCapacity)
        }
        return aStorage.unsafelyUnwrapped
    }

    /// Buffer for packed B panels, at least `count` floats, 64-byte aligned.
    func bBuffer(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > bCapacity || bStorage == nil {
            bStorage.map { $0.deallocate() }
            bCapacity = max(count, 16 * 256)
            bStorage = GemmScratch.allocate(bCapacity)
        }
        return bStorage.unsafelyUnwrapped
    }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
    }

    deinit {
        aStorage.map { $0.deallocate() }
        bStorage.map { $0.deallocate() }
    }

    /// Makes `scratch` the calling thread's (before its first `gemm`), so that a short-lived
    /// thread reuses buffers grown by an earlier one instead of allocating its own. The thread
    /// must not have one yet, and no other live thread may use `scratch`.
    static func adopt(_ scratch: GemmScratch) {
        precondition(pthread_getspecific(gemmScratchKey) == nil, "gemm: this thread already has scratch")
        pthread_setspecific(gemmScratchKey, Unmanaged.passRetained(scratch).toOpaque())
    }

    /// The calling thread's scratch (created on first use, released when the thread exits).
    static var current: GemmScratch {
        if let raw = pthread_getspecific(gemmScratchKey) {
            return Unmanaged<GemmScratch>.fromOpaque(raw).takeUnretainedValue()
        }
        let scratch = GemmScratch()
        pthread_setspecific(gemmScratchKey, Unmanaged.passRetained(scratch).toOpaque())
        return scratch
    }
}

/// Thread-specific-data key holding each thread's retained `GemmScratch`.
private let gemmScratchKey: pthread_key_t = {
    var key = pthread_key_t()
    let status = pthread_key_create(&key) { raw in
        // Linux passes an optional pointer, Darwin a non-optional one.
        guard let raw = raw as UnsafeMutableRawPointer? else { return }
        Unmanaged<GemmScratch>.fromOpaque(raw).release()
    }
    precondition(status == 0, "gemm: pthread_key_create failed (\(status))")
    return key
}()
