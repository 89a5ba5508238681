/// Element-wise parts of one GRU time step (PyTorch equations, gates in the order r, z, n):
///
///     r  = σ(W_ir x + b_ir + W_hr h + b_hr)
///     z  = σ(W_iz x + b_iz + W_hz h + b_hz)
///     n  = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
///     h' = (1 − z) ⊙ n + z ⊙ h        (computed as n + z ⊙ (h − n), as PyTorch does)
///
/// The matrix products are done outside (one GEMM for the input side of all steps, one per step for
/// the hidden side); these kernels fuse the biases, activations and blend for a `[B × H]` step.
/// Rows `b` with `lengths[b] <= t` are padding: their state is set to zero and they receive no
/// gradient. With `lengths == nil` every row is valid and no mask work is done.
enum GRUKernels {
    /// Forward step.
    /// - `gates`: `[B × 3H]` (row stride `3H`). In: the input projection `W_i· x` (no bias). Out: `r, z, n`.
    /// - `hidden`: `[B × 3H]`, `W_h· h_prev` (no bias).
    /// - `biasRZ`: `[2H]`, `b_ir + b_hr` then `b_iz + b_hz`. `biasIN`, `biasHN`: `[H]`.
    /// - `hPrev`/`hOut`: `[B × H]` with row strides `hStride` (they may not alias).
    /// - `hnOut`: `[B × H]` dense, receives `W_hn h + b_hn` (needed by backward).
    static func forward(batch: Int, hiddenSize H: Int, t: Int, lengths: UnsafePointer<Int>?,
                        gates: UnsafeMutablePointer<Float>, hidden: UnsafePointer<Float>,
                        biasRZ: UnsafePointer<Float>, biasIN: UnsafePointer<Float>,
                        biasHN: UnsafePointer<Float>,
                        hPrev: UnsafePointer<Float>, hOut: UnsafeMutablePointer<Float>, hStride: Int,
                        hnOut: UnsafeMutablePointer<Float>) {
        let g3 = 3 * H
        for b in 0..<batch {
            let ho = hOut + b * hStride
            let hn = hnOut + b * H
            if let lengths, t >= lengths[b] {
                ho.update(repeating: 0, count: H)
                hn.update(repeating: 0, count: H)
                continue
            }
            let g = gates + b * g3, a = hidden + b * g3, hp = hPrev + b * hStride
            // Two passes over the row: the gates r and z, then n and h' (which wait on r). In one
            // pass each vector's dependency chain (a sigmoid, then tanh, then the blend) is long
            // for the few vectors the core's window holds at once; split, each chain is about
            // half as long. perf (`bench train` BiGRU-89, Zen 4 VM, 1 thread): the kernel's samples
            // in inference fell by about 12 %. Every element is computed by the same operations
            // as before: same bits. (The LSTM kernel split the same way measured no change.)
            let vectorEnd = H & ~7
            var j = 0
            while j < vectorEnd {
                storeVector(fastSigmoid(loadVector(g + j) + loadVector(a + j) + loadVector(biasRZ + j)), g + j)
                storeVector(fastSigmoid(loadVector(g + H + j) + loadVector(a + H + j) + loadVector(biasRZ + H + j)),
                            g + H + j)
                j += 8
            }
            j = 0
            while j < vectorEnd {
                let r = loadVector(g + j), z = loadVector(g + H + j)
                let ghn = loadVector(a + 2 * H + j) + loadVector(biasHN + j)
                let n = fastTanh(loadVector(g + 2 * H + j) + loadVector(biasIN + j) + r * ghn)
                let h = n + z * (loadVector(hp + j) - n)
                storeVector(n, g + 2 * H + j)
                storeVector(ghn, hn + j)
                storeVector(h, ho + j)
                j += 8
            }
            while j < H {
                let r = fastSigmoid(g[j] + a[j] + biasRZ[j])
                let z = fastSigmoid(g[H + j] + a[H + j] + biasRZ[H + j])
                let ghn = a[2 * H + j] + biasHN[j]
                let n = fastTanh(g[2 * H + j] + biasIN[j] + r * ghn)
                g[j] = r; g[H + j] = z; g[2 * H + j] = n
                hn[j] = ghn
                ho[j] = n + z * (hp[j] - n)
                j += 1
            }
        }
    }

    /// Backward step: from `dh = dY_t + carry`, the pre-activation gradients of the step.
    /// - `gradOut`: `[B × H]` with row stride `gradOutStride`, the loss gradient w.r.t. this step's output.
    /// - `carry`: `[B × H]` dense. In: the gradient arriving from the next processed step
    ///   (`dh_prev` of that step). Out: the direct part of this step's `dh_prev`, `z ⊙ dh`; the caller
    ///   then adds `gradHidden · W_hh`.
    /// - `gates` (`r, z, n`), `hn`, `hPrev`: the forward caches of this step.
    /// - `gradInputGates`: `[B × 3H]` out, `∂L/∂(W_i· x + b_i·)`.
    /// - `gradHidden`: `[B × 3H]` out, `∂L/∂(W_h· h + b_h·)` (differs in the n part: `⊙ r`).
    static func backward(batch: Int, hiddenSize H: Int, t: Int, lengths: UnsafePointer<Int>?,
                         gradOut: UnsafePointer<Float>, gradOutStride: Int,
                         carry: UnsafeMutablePointer<Float>,
                         gates: UnsafePointer<Float>, hn: UnsafePointer<Float>,
                         hPrev: UnsafePointer<Float>, hStride: Int,
                         gradInputGates: UnsafeMutablePointer<Float>,
                         gradHidden: UnsafeMutablePointer<Float>) {
        let g3 = 3 * H
        let one = SIMD8<Float>(repeating: 1)
        for b in 0..<batch {
            let cr = carry + b * H
            let dgx = gradInputGates + b * g3, dgh = gradHidden + b * g3
            if let lengths, t >= lengths[b] {
                cr.update(repeating: 0, count: H)
                dgx.update(repeating: 0, count: g3)
                dgh.update(repeating: 0, count: g3)
                continue
            }
            let dy = gradOut + b * gradOutStride
            let g = gates + b * g3, hnr = hn + b * H, hp = hPrev + b * hStride
            var j = 0
            while j + 8 <= H {
                let dh = loadVector(dy + j) + loadVector(cr + j)
                let r = loadVector(g + j), z = loadVector(g + H + j), n = loadVector(g + 2 * H + j)
                let dn = dh * (one - z)
                let dz = dh * (loadVector(hp + j) - n)
                let dan = dn * (one - n * n)
                let dr = dan * loadVector(hnr + j)
                let dar = dr * r * (one - r)
                let daz = dz * z * (one - z)
                storeVector(dh * z, cr + j)
                storeVector(dar, dgx + j); storeVector(dar, dgh + j)
                storeVector(daz, dgx + H + j); storeVector(daz, dgh + H + j)
                storeVector(dan, dgx + 2 * H + j); storeVector(dan * r, dgh + 2 * H + j)
                j += 8
            }
            while j < H {
                let dh = dy[j] + cr[j]
                let r = g[j], z = g[H + j], n = g[2 * H + j]
                let dn = dh * (1 - z)
                let dz = dh * (hp[j] - n)
                let dan = dn * (1 - n * n)
                let dar = dan * hnr[j] * r * (1 - r)
                let daz = dz * z * (1 - z)
                cr[j] = dh * z
                dgx[j] = dar; dgh[j] = dar
                dgx[H + j] = daz; dgh[H + j] = daz
                dgx[2 * H + j] = dan; dgh[2 * H + j] = dan * r
                j += 1
            }
        }
    }
}
