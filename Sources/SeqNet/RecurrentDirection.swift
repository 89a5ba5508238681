/// One direction of one recurrent layer: its four PyTorch tensors and the drivers that run it
/// over a whole time-major batch.
///
/// Shapes (`G` = 3 for GRU, 4 for LSTM; `I` = input size, `H` = hidden size; `T` steps, `B` batch):
/// - `weightIH [G·H, I]`, `weightHH [G·H, H]`, `biasIH [G·H]`, `biasHH [G·H]` (PyTorch layout).
/// - Layer input `X`: `[T·B, I]` rows (time-major, row `t·B + b`), with a row stride.
/// - Layer output `Y`: this direction's `[T·B, H]` columns of the layer output (row stride
///   `dirs·H`); it doubles as the store of previous hidden states for the recurrence and for `dW_hh`.
/// - Gate buffer: `[T·B, G·H]`: the input projection of all steps, overwritten by the activations.
///
/// `forward` does one GEMM `X · W_ihᵀ` for all steps, then per step `h_prev · W_hhᵀ` and the
/// fused element-wise kernel. `backward` runs the per-step kernels backwards in time (with one
/// `dG · W_hh` GEMM per step), then `dW_ih = dGᵀ·X` and `dW_hh = dG_hᵀ·H_prev` as one GEMM each.
final class RecurrentDirection: @unchecked Sendable {
    let cell: CellType
    let inputSize: Int
    let hiddenSize: Int
    let reverse: Bool
    let weightIH: Parameter
    let weightHH: Parameter
    let biasIH: Parameter
    let biasHH: Parameter
    /// `W_ihᵀ [I, G·H]`, refreshed by `refresh()`.
    private let weightIHT: FloatBuffer
    /// `W_hhᵀ [H, G·H]`, refreshed by `refresh()`.
    private let weightHHT: FloatBuffer
    /// `b_ih + b_hh` (`[G·H]`; a GRU uses only the r and z parts).
    private let combinedBias: FloatBuffer

    /// From this input size on, `dW_ih` is computed transposed (see `backward`).
    static let wideInput = 512

    /// Number of gates: 3 (GRU) or 4 (LSTM).
    var gateCount: Int { cell == .gru ? 3 : 4 }
    /// `G·H`.
    var gateWidth: Int { gateCount * hiddenSize }

    /// Creates the tensors, named `rnn.<kind>_l<layer>[_reverse]`, initialised uniform in
    /// `±1/√H` from `rng` in PyTorch order (`weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`).
    init(cell: CellType, inputSize: Int, hiddenSize: Int, layer: Int, reverse: Bool,
         rng: inout RandomSource) {
        self.cell = cell
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.reverse = reverse
        let gh = (cell == .gru ? 3 : 4) * hiddenSize
        let suffix = "_l\(layer)" + (reverse ? "_reverse" : "")
        weightIH = Parameter(name: "rnn.weight_ih" + suffix, shape: [gh, inputSize])
        weightHH = Parameter(name: "rnn.weight_hh" + suffix, shape: [gh, hiddenSize])
        biasIH = Parameter(name: "rnn.bias_ih" + suffix, shape: [gh])
        biasHH = Parameter(name: "rnn.bias_hh" + suffix, shape: [gh])
        weightIHT = FloatBuffer(count: inputSize * gh)
        weightHHT = FloatBuffer(count: hiddenSize * gh)
        combinedBias = FloatBuffer(count: gh)
        let bound = 1 / Float(hiddenSize).squareRoot()
        for p in parameters {
            for i in 0..<p.count { p.value[i] = rng.uniform(-bound, bound) }
        }
    }

    /// The four tensors in PyTorch order.
    var parameters: [Parameter] { [weightIH, weightHH, biasIH, biasHH] }

    /// Recomputes the transposed weights and the combined bias from the current values.
    func refresh() {
        let gh = gateWidth
        transpose(rows: gh, cols: inputSize, src: weightIH.value.pointer, dst: weightIHT.pointer)
        transpose(rows: gh, cols: hiddenSize, src: weightHH.value.pointer, dst: weightHHT.pointer)
        let cb = combinedBias.pointer, bi = biasIH.value.pointer, bh = biasHH.value.pointer
        for j in 0..<gh { cb[j] = bi[j] + bh[j] }
    }

    /// Runs the direction over all steps. Call `refresh()` after the weights last changed.
    /// - `input`: `[T·B, I]`, row stride `inputStride`. Must be finite at valid rows.
    /// - `output`: this direction's first column of the layer output, row stride `outputStride`.
    ///   Receives `h_t` at valid rows and zeros at padded rows.
    /// - `gates`: `[T·B, G·H]`: receives the activations (the backward cache).
    /// - `aux`, `aux2`: per-step `[B, H]` caches at `aux + t·auxStepStride`: GRU `aux` receives
    ///   `W_hn h + b_hn`; LSTM `aux` the cell state, `aux2` `tanh(c)`. With `auxStepStride == 0`
    ///   (inference) they are single `[B, H]` scratch buffers and the LSTM state is updated in place.
    /// - `hidden`: `[B, G·H]` scratch. `zeros`: at least `B · max(outputStride, H)` zeros.
    func forward(steps: Int, batch: Int, lengths: UnsafePointer<Int>?,
                 input: UnsafePointer<Float>, inputStride: Int,
                 output: UnsafeMutablePointer<Float>, outputStride: Int,
                 gates: UnsafeMutablePointer<Float>,
                 aux: UnsafeMutablePointer<Float>, aux2: UnsafeMutablePointer<Float>, auxStepStride: Int,
                 hidden: UnsafeMutablePointer<Float>, zeros: UnsafePointer<Float>, threads: Int) {
        let H = hiddenSize, gh = gateWidth, B = batch, T = steps
        guard T > 0 && B > 0 else { return }
        gemm(.none, .none, m: T * B, n: gh, k: inputSize, a: input, lda: inputStride,
             b: weightIHT.pointer, ldb: gh, beta: 0, c: gates, ldc: gh, threads: threads)
        if auxStepStride == 0 { aux.update(repeating: 0, count: B * H) }
        let bias = UnsafePointer(combinedBias.pointer)
        let biasIN = UnsafePointer(biasIH.value.pointer + 2 * H)
        let biasHN = UnsafePointer(biasHH.value.pointer + 2 * H)
        // With lengths in non-increasing order (inference sorts its batch), the rows valid at
        // step t are the first `active` ones: the hidden product and the fused kernel run on
        // those only, and the padded rest is just zeroed. Every element is computed by the same
        // operations as with the whole batch (the GEMM's per-element FMA chain does not depend
        // on m), so results are bit-identical.
        let sorted = lengths.map { isNonIncreasing($0, count: B) } ?? false
        for s in 0..<T {
            let t = reverse ? T - 1 - s : s
            let prevT = reverse ? t + 1 : t - 1
            let hPrev: UnsafePointer<Float> = s == 0 ? zeros : UnsafePointer(output + prevT * B * outputStride)
            let active = sorted ? activeRows(lengths.unsafelyUnwrapped, count: B, step: t) : B
            if s == 0 {
                hidden.update(repeating: 0, count: active * gh)
            } else if active > 0 {
                gemm(.none, .none, m: active, n: gh, k: H, a: hPrev, lda: outputStride,
                     b: weightHHT.pointer, ldb: gh, beta: 0, c: hidden, ldc: gh)
            }
            // Rows 0..<active: all valid (no mask) when sorted; the rest (if any) all padded.
            for part in 0..<2 {
                let first = part == 0 ? 0 : active, count = part == 0 ? active : B - active
                if count == 0 { continue }
                let mask = part == 0 && sorted ? nil : lengths
                let g = gates + (t * B + first) * gh
                let hOut = output + (t * B + first) * outputStride
                let rowMask = mask.map { $0 + first }
                let hp = hPrev + first * outputStride, hid = UnsafePointer(hidden + first * gh)
                let auxT = aux + t * auxStepStride + first * H
                switch cell {
                case .gru:
                    GRUKernels.forward(batch: count, hiddenSize: H, t: t, lengths: rowMask,
                                       gates: g, hidden: hid, biasRZ: bias, biasIN: biasIN, biasHN: biasHN,
                                       hPrev: hp, hOut: hOut, hStride: outputStride, hnOut: auxT)
                case .lstm:
                    let cPrev: UnsafePointer<Float> = auxStepStride == 0 ? UnsafePointer(auxT)
                        : (s == 0 ? zeros : UnsafePointer(aux + prevT * auxStepStride + first * H))
                    LSTMKernels.forward(batch: count, hiddenSize: H, t: t, lengths: rowMask,
                                        gates: g, hidden: hid, bias: bias,
                                        hOut: hOut, hStride: outputStride,
                                        cPrev: cPrev, cOut: auxT,
                                        tanhCOut: aux2 + t * auxStepStride + first * H)
                }
            }
        }
    }

    /// Back-propagation through time for this direction, after a training `forward` with the
    /// same buffers (`auxStepStride` was `B·H`). ADDS the gradients of the four tensors.
    /// - `gradOutput`: this direction's columns of `∂L/∂Y`, row stride `gradOutputStride`
    ///   (padded rows are ignored).
    /// - `gradGates`: `[T·B, G·H]` out, `∂L/∂(W_ih x + b_ih)` per step (zero at padded rows): the
    ///   caller forms `∂L/∂X = gradGates · W_ih` from it.
    /// - `gradHidden`: `[T·B, G·H]` scratch for the GRU's hidden-side gradient (unused by LSTM).
    /// - `hCarry`, `cCarry`: `[B, H]` scratch; `sums`: `4·G·H` scratch; `weightGradT`:
    ///   `[I, G·H]` scratch when `inputSize >= wideInput` (else unused).
    ///
    /// The bias gradients are summed step by step while each step's rows are still in cache.
    func backward(steps: Int, batch: Int, lengths: UnsafePointer<Int>?,
                  input: UnsafePointer<Float>, inputStride: Int,
                  output: UnsafePointer<Float>, outputStride: Int,
                  gradOutput: UnsafePointer<Float>, gradOutputStride: Int,
                  gates: UnsafePointer<Float>, aux: UnsafePointer<Float>, aux2: UnsafePointer<Float>,
                  gradGates: UnsafeMutablePointer<Float>, gradHidden: UnsafeMutablePointer<Float>,
                  hCarry: UnsafeMutablePointer<Float>, cCarry: UnsafeMutablePointer<Float>,
                  sums: UnsafeMutablePointer<Float>, weightGradT: UnsafeMutablePointer<Float>,
                  zeros: UnsafePointer<Float>, threads: Int) {
        let H = hiddenSize, gh = gateWidth, B = batch, T = steps
        guard T > 0 && B > 0 else { return }
        hCarry.update(repeating: 0, count: B * H)
        cCarry.update(repeating: 0, count: B * H)
        let whh = UnsafePointer(weightHH.value.pointer)
        let hiddenSide = cell == .gru ? gradHidden : gradGates
        // Running column sums: of the input-side gradient (all gates), of the GRU's hidden-side
        // n part (its r, z parts equal the input side's), and a per-step block.
        let sumIH = sums, sumHN = sums + gh, blockScratch = sums + 2 * gh
        sumIH.update(repeating: 0, count: gh)
        sumHN.update(repeating: 0, count: H)
        for s in 0..<T {
            let t = reverse ? s : T - 1 - s
            let prevT = reverse ? t + 1 : t - 1
            let isFirst = reverse ? t == T - 1 : t == 0
            let hPrev: UnsafePointer<Float> = isFirst ? zeros : output + prevT * B * outputStride
            switch cell {
            case .gru:
                GRUKernels.backward(batch: B, hiddenSize: H, t: t, lengths: lengths,
                                    gradOut: gradOutput + t * B * gradOutputStride,
                                    gradOutStride: gradOutputStride, carry: hCarry,
                                    gates: gates + t * B * gh, hn: aux + t * B * H,
                                    hPrev: hPrev, hStride: outputStride,
                                    gradInputGates: gradGates + t * B * gh,
                                    gradHidden: gradHidden + t * B * gh)
                addColumnSums(rows: B, cols: H, src: gradHidden + t * B * gh + 2 * H, ld: gh,
                              into: sumHN, scratch: blockScratch)
                if !isFirst {
                    gemm(.none, .none, m: B, n: H, k: gh, a: gradHidden + t * B * gh, lda: gh,
                         b: whh, ldb: H, beta: 1, c: hCarry, ldc: H)
                }
            case .lstm:
                LSTMKernels.backward(batch: B, hiddenSize: H, t: t, lengths: lengths,
                                     gradOut: gradOutput + t * B * gradOutputStride,
                                     gradOutStride: gradOutputStride,
                                     hCarry: hCarry, cCarry: cCarry,
                                     gates: gates + t * B * gh, tanhC: aux2 + t * B * H,
                                     cPrev: isFirst ? zeros : aux + prevT * B * H,
                                     gradGates: gradGates + t * B * gh)
                if !isFirst {
                    gemm(.none, .none, m: B, n: H, k: gh, a: gradGates + t * B * gh, lda: gh,
                         b: whh, ldb: H, beta: 0, c: hCarry, ldc: H)
                }
            }
            addColumnSums(rows: B, cols: gh, src: gradGates + t * B * gh, ld: gh,
                          into: sumIH, scratch: blockScratch)
        }
        addRow(sumIH, into: biasIH.grad.pointer, count: gh)
        switch cell {
        case .gru:
            addRow(sumIH, into: biasHH.grad.pointer, count: 2 * H)
            addRow(sumHN, into: biasHH.grad.pointer + 2 * H, count: H)
        case .lstm:
            addRow(sumIH, into: biasHH.grad.pointer, count: gh)
        }
        // dW_ih += dGᵀ · X over all steps at once. For a wide input, as (Xᵀ · dG)ᵀ: with only
        // G·H rows of output the GEMM would stream the whole of X once per row panel.
        if inputSize >= Self.wideInput {
            gemm(.transposed, .none, m: inputSize, n: gh, k: T * B, a: input, lda: inputStride,
                 b: gradGates, ldb: gh, beta: 0, c: weightGradT, ldc: gh, threads: threads)
            addTransposed(rows: inputSize, cols: gh, src: weightGradT, into: weightIH.grad.pointer)
        } else {
            gemm(.transposed, .none, m: gh, n: inputSize, k: T * B, a: gradGates, lda: gh,
                 b: input, ldb: inputStride, beta: 1, c: weightIH.grad.pointer, ldc: inputSize,
                 threads: threads)
        }
        // dW_hh += dG_hᵀ · H_prev; the first step in forward order has h_prev = 0 and is left out.
        if T > 1 {
            let a = reverse ? UnsafePointer(hiddenSide) : UnsafePointer(hiddenSide + B * gh)
            let h = reverse ? output + B * outputStride : output
            gemm(.transposed, .none, m: gh, n: H, k: (T - 1) * B, a: a, lda: gh,
                 b: h, ldb: outputStride, beta: 1, c: weightHH.grad.pointer, ldc: H,
                 threads: threads)
        }
    }

    /// `gradInput[T·B, I] (=|+=) gradGates · W_ih` (`accumulate` picks `+=`).
    func inputGradient(rows: Int, gradGates: UnsafePointer<Float>,
                       gradInput: UnsafeMutablePointer<Float>, gradInputStride: Int,
                       accumulate: Bool, threads: Int) {
        gemm(.none, .none, m: rows, n: inputSize, k: gateWidth, a: gradGates, lda: gateWidth,
             b: weightIH.value.pointer, ldb: inputSize, beta: accumulate ? 1 : 0,
             c: gradInput, ldc: gradInputStride, threads: threads)
    }
}

/// Whether `lengths[0..<count]` never increases.
func isNonIncreasing(_ lengths: UnsafePointer<Int>, count: Int) -> Bool {
    var b = 1
    while b < count { if lengths[b] > lengths[b - 1] { return false }; b += 1 }
    return true
}

/// The number of leading rows valid at `step` (`lengths[b] > step`) of non-increasing `lengths`.
@inline(__always)
func activeRows(_ lengths: UnsafePointer<Int>, count: Int, step: Int) -> Int {
    var lo = 0, hi = count          // binary search for the first row with lengths <= step
    while lo < hi {
        let mid = (lo + hi) / 2
        if lengths[mid] > step { lo = mid + 1 } else { hi = mid }
    }
    return lo
}
