/// Inverted dropout, as `nn.GRU(dropout:)` applies it between recurrent layers in training:
/// each element is kept with probability `1 − p` and scaled by `1/(1 − p)`, else zeroed.
enum Dropout {
    /// Draws a mask and applies it: `mask[i] = u_i >= p ? 1/(1−p) : 0` with `u_i` uniform in
    /// [0, 1) on a 2⁻²⁴ grid (two per 64-bit draw of `rng`, in index order), and
    /// `output[i] = input[i] · mask[i]`, for `i < count`.
    /// The same generator state gives the same mask on every run and thread count.
    /// Requires `0 < p < 1`.
    static func apply(p: Float, count: Int, input: UnsafePointer<Float>,
                      mask: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>,
                      rng: inout RandomSource) {
        precondition(p > 0 && p < 1, "Dropout: p must be in (0, 1), got \(p)")
        let scale = 1 / (1 - p)
        // u = bits·2⁻²⁴ with 24-bit `bits`, so u >= p  ⇔  bits >= ceil(p·2²⁴).
        let threshold = UInt64((Double(p) * 16_777_216).rounded(.up))
        var i = 0
        // Two 24-bit draws from each 64-bit output (bits 40..63 and 16..39).
        while i + 2 <= count {
            let bits = rng.next()
            let m0: Float = (bits >> 40) >= threshold ? scale : 0
            let m1: Float = ((bits >> 16) & 0xFF_FFFF) >= threshold ? scale : 0
            mask[i] = m0; output[i] = input[i] * m0
            mask[i + 1] = m1; output[i + 1] = input[i + 1] * m1
            i += 2
        }
        if i < count {
            let m: Float = (rng.next() >> 40) >= threshold ? scale : 0
            mask[i] = m; output[i] = input[i] * m
        }
    }

    /// `grad[i] *= mask[i]` for `i < count` (backward through the mask of `apply`).
    static func backward(count: Int, mask: UnsafePointer<Float>, grad: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 8 <= count {
            storeVector(loadVector(grad + i) * loadVector(mask + i), grad + i)
            i += 8
        }
        while i < count { grad[i] *= mask[i]; i += 1 }
    }
}
