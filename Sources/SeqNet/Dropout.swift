/// Inverted dropout, as `nn.GRU(dropout:)` applies it between recurrent layers in training:
/// each element is kept with probability `1 − p` and scaled by `1/(1 − p)`, else zeroed.
enum Dropout {
    /// Draws a mask and applies it in one pass: ``drawMask(p:count:mask:rng:)``, and
    /// `output[i] = input[i] · mask[i]`, for `i < count`. With `threads >= 2` (and a large
    /// enough `count`) two threads each draw and apply one half, the second from the generator
    /// jumped to its first draw (``RandomSource/jumped(by:)``): the same mask, output and final
    /// generator state as one thread.
    static func apply(p: Float, count: Int, input: UnsafePointer<Float>,
                      mask: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>,
                      rng: inout RandomSource, threads: Int = 1) {
        guard threads >= 2 && count >= parallelCount else {
            draw(p: p, count: count, rng: &rng) { i, m in mask[i] = m; output[i] = input[i] * m }
            return
        }
        let half = (count / 2) & ~1   // even: no 64-bit draw straddles the halves
        let first = rng
        var second = rng.jumped(by: half / 2)
        withUnsafeMutablePointer(to: &second) { secondState in
            runConcurrently(2, parallel: true) { part in
                if part == 0 {
                    var g = first
                    apply(p: p, count: half, input: input, mask: mask, output: output, rng: &g)
                } else {
                    apply(p: p, count: count - half, input: input + half, mask: mask + half,
                          output: output + half, rng: &secondState.pointee)
                }
            }
        }
        rng = second
    }

    /// From this many elements on, `apply` splits over two threads (a jump costs tens of µs).
    static let parallelCount = 1 << 16

    /// `mask[i] = u_i >= p ? 1/(1−p) : 0` for `i < count`, with `u_i` uniform in [0, 1) on a
    /// 2⁻²⁴ grid (two per 64-bit draw of `rng`, in index order). The same generator state gives
    /// the same mask on every run and thread count. Requires `0 < p < 1`.
    static func drawMask(p: Float, count: Int, mask: UnsafeMutablePointer<Float>, rng: inout RandomSource) {
        draw(p: p, count: count, rng: &rng) { i, m in mask[i] = m }
    }

    /// The mask values of `drawMask`, handed to `store(i, mask[i])` in index order.
    @inline(__always)
    private static func draw(p: Float, count: Int, rng: inout RandomSource, _ store: (Int, Float) -> Void) {
        precondition(p > 0 && p < 1, "Dropout: p must be in (0, 1), got \(p)")
        let scale = 1 / (1 - p)
        // u = bits·2⁻²⁴ with 24-bit `bits`, so u >= p  ⇔  bits >= ceil(p·2²⁴)  ⇔  bit 24 of
        // bits + (2²⁴ − ceil(p·2²⁴)) is set: a branch-free keep flag (random branches mispredict).
        let offset = (UInt64(1) << 24) - UInt64((Double(p) * 16_777_216).rounded(.up))
        @inline(__always) func keep(_ bits24: UInt64) -> Float { Float((bits24 &+ offset) >> 24) * scale }
        var i = 0
        var generator = rng   // a local copy stays in registers in the loop
        defer { rng = generator }
        // Two 24-bit draws from each 64-bit output (bits 40..63 and 16..39).
        while i + 2 <= count {
            let bits = generator.next()
            store(i, keep(bits >> 40))
            store(i + 1, keep((bits >> 16) & 0xFF_FFFF))
            i += 2
        }
        if i < count { store(i, keep(generator.next() >> 40)) }
    }

    /// `output[i] = input[i] · mask[i]` for `i < count` (`output` may be `input`).
    static func applyMask(count: Int, input: UnsafePointer<Float>, mask: UnsafePointer<Float>,
                          output: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 8 <= count {
            storeVector(loadVector(input + i) * loadVector(mask + i), output + i)
            i += 8
        }
        while i < count { output[i] = input[i] * mask[i]; i += 1 }
    }

    /// `grad[i] *= mask[i]` for `i < count` (backward through the mask of `apply`). With
    /// `threads >= 2` and at least ``parallelCount`` elements, two threads take one half each
    /// (element by element: the same bits).
    static func backward(count: Int, mask: UnsafePointer<Float>, grad: UnsafeMutablePointer<Float>,
                         threads: Int = 1) {
        forEachChunk(of: count, threads: min(threads, 2), minimumChunk: parallelCount / 2) { range in
            let lo = range.lowerBound
            applyMask(count: range.count, input: UnsafePointer(grad + lo), mask: mask + lo, output: grad + lo)
        }
    }
}
