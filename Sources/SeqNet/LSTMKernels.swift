/// Element-wise parts of one LSTM time step (PyTorch equations, gates in the order i, f, g, o):
///
///     i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o),   a = W_ih x + b_ih + W_hh h + b_hh
///     c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')
///
/// Rows `b` with `lengths[b] <= t` are padding: their state (`h`, `c`) is set to zero and they
/// receive no gradient. With `lengths == nil` every row is valid and no mask work is done.
enum LSTMKernels {
    /// Forward step.
    /// - `gates`: `[B × 4H]` (row stride `4H`). In: `W_ih x` (no bias). Out: `i, f, g, o`.
    /// - `hidden`: `[B × 4H]`, `W_hh h_prev` (no bias). `bias`: `[4H]`, `b_ih + b_hh`.
    /// - `hPrev`/`hOut`: `[B × H]` with row stride `hStride` (may not alias).
    /// - `cPrev`/`cOut`/`tanhCOut`: `[B × H]` dense; `cPrev` and `cOut` may be the same buffer
    ///   (inference keeps one running cell state).
    static func forward(batch: Int, hiddenSize H: Int, t: Int, lengths: UnsafePointer<Int>?,
                        gates: UnsafeMutablePointer<Float>, hidden: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>,
                        hOut: UnsafeMutablePointer<Float>, hStride: Int,
                        cPrev: UnsafePointer<Float>, cOut: UnsafeMutablePointer<Float>,
                        tanhCOut: UnsafeMutablePointer<Float>) {
        let g4 = 4 * H
        for b in 0..<batch {
            let ho = hOut + b * hStride
            let co = cOut + b * H, tco = tanhCOut + b * H
            if let lengths, t >= lengths[b] {
                ho.update(repeating: 0, count: H)
                co.update(repeating: 0, count: H)
                tco.update(repeating: 0, count: H)
                continue
            }
            let g = gates + b * g4, a = hidden + b * g4, cp = cPrev + b * H
            var j = 0
            while j + 8 <= H {
                let i = fastSigmoid(loadVector(g + j) + loadVector(a + j) + loadVector(bias + j))
                let f = fastSigmoid(loadVector(g + H + j) + loadVector(a + H + j) + loadVector(bias + H + j))
                let gg = fastTanh(loadVector(g + 2 * H + j) + loadVector(a + 2 * H + j) + loadVector(bias + 2 * H + j))
                let o = fastSigmoid(loadVector(g + 3 * H + j) + loadVector(a + 3 * H + j) + loadVector(bias + 3 * H + j))
                let c = f * loadVector(cp + j) + i * gg
                let tc = fastTanh(c)
                storeVector(i, g + j)
                storeVector(f, g + H + j)
                storeVector(gg, g + 2 * H + j)
                storeVector(o, g + 3 * H + j)
                storeVector(c, co + j)
                storeVector(tc, tco + j)
                storeVector(o * tc, ho + j)
                j += 8
            }
            while j < H {
                let i = fastSigmoid(g[j] + a[j] + bias[j])
                let f = fastSigmoid(g[H + j] + a[H + j] + bias[H + j])
                let gg = fastTanh(g[2 * H + j] + a[2 * H + j] + bias[2 * H + j])
                let o = fastSigmoid(g[3 * H + j] + a[3 * H + j] + bias[3 * H + j])
                let c = f * cp[j] + i * gg
                let tc = fastTanh(c)
                g[j] = i; g[H + j] = f; g[2 * H + j] = gg; g[3 * H + j] = o
                co[j] = c; tco[j] = tc
                ho[j] = o * tc
                j += 1
            }
        }
    }

    /// Backward step.
    /// - `gradOut`: `[B × H]`, row stride `gradOutStride`: the loss gradient w.r.t. this step's output.
    /// - `hCarry`: `[B × H]` dense, `dh_prev` of the next processed step (read only; the caller
    ///   then overwrites it with `gradGates · W_hh`).
    /// - `cCarry`: `[B × H]` dense. In: `dc` from the next processed step. Out: `dc_prev = dc ⊙ f`.
    /// - `gates` (`i, f, g, o`), `tanhC`, `cPrev`: forward caches of this step (`[B × H]` dense).
    /// - `gradGates`: `[B × 4H]` out, `∂L/∂a` (the same for the input and the hidden side).
    static func backward(batch: Int, hiddenSize H: Int, t: Int, lengths: UnsafePointer<Int>?,
                         gradOut: UnsafePointer<Float>, gradOutStride: Int,
                         hCarry: UnsafePointer<Float>, cCarry: UnsafeMutablePointer<Float>,
                         gates: UnsafePointer<Float>, tanhC: UnsafePointer<Float>,
                         cPrev: UnsafePointer<Float>,
                         gradGates: UnsafeMutablePointer<Float>) {
        let g4 = 4 * H
        let one = SIMD8<Float>(repeating: 1)
        for b in 0..<batch {
            let cc = cCarry + b * H
            let dg = gradGates + b * g4
            if let lengths, t >= lengths[b] {
                cc.update(repeating: 0, count: H)
                dg.update(repeating: 0, count: g4)
                continue
            }
            let dy = gradOut + b * gradOutStride, hc = hCarry + b * H
            let g = gates + b * g4, tc = tanhC + b * H, cp = cPrev + b * H
            var j = 0
            while j + 8 <= H {
                let dh = loadVector(dy + j) + loadVector(hc + j)
                let i = loadVector(g + j), f = loadVector(g + H + j)
                let gg = loadVector(g + 2 * H + j), o = loadVector(g + 3 * H + j)
                let tcv = loadVector(tc + j)
                let dc = loadVector(cc + j) + dh * o * (one - tcv * tcv)
                storeVector(dc * gg * i * (one - i), dg + j)
                storeVector(dc * loadVector(cp + j) * f * (one - f), dg + H + j)
                storeVector(dc * i * (one - gg * gg), dg + 2 * H + j)
                storeVector(dh * tcv * o * (one - o), dg + 3 * H + j)
                storeVector(dc * f, cc + j)
                j += 8
            }
            while j < H {
                let dh = dy[j] + hc[j]
                let i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j]
                let tcv = tc[j]
                let dc = cc[j] + dh * o * (1 - tcv * tcv)
                dg[j] = dc * gg * i * (1 - i)
                dg[H + j] = dc * cp[j] * f * (1 - f)
                dg[2 * H + j] = dc * i * (1 - gg * gg)
                dg[3 * H + j] = dh * tcv * o * (1 - o)
                cc[j] = dc * f
                j += 1
            }
        }
    }
}
