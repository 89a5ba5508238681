import Dispatch

/// Carries a value the compiler cannot prove `Sendable` (pointers, workspaces) into a
/// `@Sendable` closure. The caller guarantees that concurrent users touch disjoint memory.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Runs `body(0..<count)`, on `count` threads when `parallel` is true, else in order on the caller.
///
/// Each index must write only memory no other index touches; then the results do not depend on
/// whether the calls ran in parallel.
func runConcurrently(_ count: Int, parallel: Bool, _ body: (Int) -> Void) {
    if parallel && count > 1 {
        withoutActuallyEscaping(body) { escapable in
            let box = UncheckedSendable(escapable)
            DispatchQueue.concurrentPerform(iterations: count) { box.value($0) }
        }
    } else {
        for i in 0..<count { body(i) }
    }
}

/// Runs `body` over `0..<count` cut into `min(threads, count / minimumChunk)` contiguous chunks
/// (at least one), in parallel when there are two or more. Each chunk must write only memory no
/// other chunk touches; then the results do not depend on `threads`. For the memory-bound passes
/// between the parallel products (batch assembly, a loss, a bias), which would otherwise leave the
/// other threads idle.
public func forEachChunk(of count: Int, threads: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
    let chunks = max(1, min(threads, count / max(1, minimumChunk)))
    if chunks == 1 {
        if count > 0 { body(0..<count) }
        return
    }
    let size = (count + chunks - 1) / chunks
    runConcurrently(chunks, parallel: true) { c in
        let lo = c * size, hi = min(count, lo + size)
        if lo < hi { body(lo..<hi) }
    }
}

/// Returns `buffer` if it holds at least `count` floats, else a new zeroed buffer of `count`.
///
/// Workspaces grow to the largest shape seen and are reused for every smaller one, so a training
/// loop whose last batch is short does not reallocate twice per epoch. Contents are not preserved.
@inline(__always)
func ensureCapacity(_ buffer: FloatBuffer?, _ count: Int) -> FloatBuffer {
    if let buffer, buffer.count >= count { return buffer }
    return FloatBuffer(count: count)
}

/// `sums[j] += Σ_r src[r * ld + j]` for `j < cols`, over `rows` rows (a bias gradient: the column
/// sums of a pre-activation gradient `[rows × cols]`).
///
/// Rows are summed in blocks of 64 into `scratch` (≥ `2 * cols` floats) before being added to
/// the running total, which keeps the Float32 rounding error small for tens of thousands of rows.
/// The order of operations is fixed, so the result is reproducible.
///
/// With `threads ≥ 2` and many columns, ranges of columns are summed on separate threads (each
/// column's additions are the same, so the bits do not change).
func addColumnSums(rows: Int, cols: Int, src: UnsafePointer<Float>, ld: Int,
                   into sums: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                   threads: Int = 1) {
    forEachChunk(of: (cols + 7) / 8, threads: threads, minimumChunk: 32) { vectors in
        let c0 = vectors.lowerBound * 8, n = min(cols, vectors.upperBound * 8) - c0
        let total = scratch + c0, block = scratch + cols + c0
        total.update(repeating: 0, count: n)
        var r0 = 0
        while r0 < rows {
            let r1 = min(rows, r0 + 64)
            block.update(repeating: 0, count: n)
            for r in r0..<r1 {
                addRow(src + r * ld + c0, into: block, count: n)
            }
            addRow(block, into: total, count: n)
            r0 = r1
        }
        addRow(total, into: sums + c0, count: n)
    }
}

/// `dst[j] += src[j]` for `j < count`.
@inline(__always)
func addRow(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, count: Int) {
    var j = 0
    while j + 8 <= count {
        let v = loadVector(src + j) + loadVector(dst + j)
        storeVector(v, dst + j)
        j += 8
    }
    while j < count { dst[j] += src[j]; j += 1 }
}

/// Unaligned 8-float load.
@inline(__always)
func loadVector(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

/// Unaligned 8-float load.
@inline(__always)
func loadVector(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

/// Unaligned 8-float store.
@inline(__always)
func storeVector(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// Writes the transpose of `src` (`rows × cols`, row-major) into `dst` (`cols × rows`, row-major),
/// in 16×16 tiles so both sides stay in cache.
func transpose(rows: Int, cols: Int, src: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>) {
    let tile = 16
    var r0 = 0
    while r0 < rows {
        let r1 = min(rows, r0 + tile)
        var c0 = 0
        while c0 < cols {
            let c1 = min(cols, c0 + tile)
            for r in r0..<r1 {
                let s = src + r * cols
                for c in c0..<c1 { dst[c * rows + r] = s[c] }
            }
            c0 = c1
        }
        r0 = r1
    }
}

/// `dst[c, r] += src[r, c]` for `src` `rows × cols` and `dst` `cols × rows`, both row-major, in
/// 16×16 tiles.
func addTransposed(rows: Int, cols: Int, src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>) {
    let tile = 16
    var r0 = 0
    while r0 < rows {
        let r1 = min(rows, r0 + tile)
        var c0 = 0
        while c0 < cols {
            let c1 = min(cols, c0 + tile)
            for r in r0..<r1 {
                let s = src + r * cols
                for c in c0..<c1 { dst[c * rows + r] += s[c] }
            }
            c0 = c1
        }
        r0 = r1
    }
}

/// `Σ_j a[j]·b[j]` for `j < count`, in a fixed order (8 lanes, then the lanes, then the tail).
@inline(__always)
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
    var j = 0
    while j + 16 <= count {
        acc0 = acc0.addingProduct(loadVector(a + j), loadVector(b + j))
        acc1 = acc1.addingProduct(loadVector(a + j + 8), loadVector(b + j + 8))
        j += 16
    }
    if j + 8 <= count {
        acc0 = acc0.addingProduct(loadVector(a + j), loadVector(b + j))
        j += 8
    }
    var sum = (acc0 + acc1).sum()
    while j < count { sum += a[j] * b[j]; j += 1 }
    return sum
}
