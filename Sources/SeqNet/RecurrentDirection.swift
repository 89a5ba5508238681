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
        let B = batch, T = steps
        guard T > 0 && B > 0 else { return }
        projectInput(rows: 0..<(T * B), input: input, inputStride: inputStride, gates: gates,
                     threads: threads)
        if auxStepStride == 0 { aux.update(repeating: 0, count: B * hiddenSize) }
        recur(0..<T, steps: T, batch: B, lengths: lengths, output: output, outputStride: outputStride,
              gates: gates, aux: aux, aux2: aux2, auxStepStride: auxStepStride,
              hidden: hidden, zeros: zeros, threads: threads)
    }

    /// `gates[rows] = X[rows] · W_ihᵀ`: the input projection of the layer-input rows `rows`
    /// (`t·B + b`). Each element's value does not depend on how the rows are cut, as long as
    /// `I <= GemmPlan.shapeIndependentDepth` or all rows come at once.
    func projectInput(rows: Range<Int>, input: UnsafePointer<Float>, inputStride: Int,
                      gates: UnsafeMutablePointer<Float>, threads: Int) {
        let gh = gateWidth
        gemm(.none, .none, m: rows.count, n: gh, k: inputSize, a: input + rows.lowerBound * inputStride,
             lda: inputStride, b: weightIHT.pointer, ldb: gh, beta: 0,
             c: gates + rows.lowerBound * gh, ldc: gh, threads: threads)
    }

    /// The time loop of `forward` over the loop steps `stepRange` (`s`; step `t = s`, or
    /// `T − 1 − s` in reverse), after the input projection of those steps. Calls over
    /// consecutive ranges give the same bits as one call over `0..<T` (the states live in
    /// `output` and `aux`; with `auxStepStride == 0`, `aux` must be zeroed before the first).
    func recur(_ stepRange: Range<Int>, steps T: Int, batch B: Int, lengths: UnsafePointer<Int>?,
               output: UnsafeMutablePointer<Float>, outputStride: Int,
               gates: UnsafeMutablePointer<Float>,
               aux: UnsafeMutablePointer<Float>, aux2: UnsafeMutablePointer<Float>, auxStepStride: Int,
               hidden: UnsafeMutablePointer<Float>, zeros: UnsafePointer<Float>, threads: Int) {
        let H = hiddenSize
        let bias = UnsafePointer(combinedBias.pointer)
        let biasIN = UnsafePointer(biasIH.value.pointer + 2 * H)
        let biasHN = UnsafePointer(biasHH.value.pointer + 2 * H)
        // With lengths in non-increasing order (inference sorts its batch), the rows valid at
        // step t are the first `active` ones: the hidden product and the fused kernel run on
        // those only, and the padded rest is just zeroed. Every element is computed by the same
        // operations as with the whole batch (the GEMM's per-element FMA chain does not depend
        // on m), so results are bit-identical.
        let sorted = lengths.map { isNonIncreasing($0, count: B) } ?? false
        // With two or more threads the batch's rows are split between them for the whole time
        // loop: every row's recurrence is independent of the others', so the halves need no
        // synchronisation per step, and every element is computed exactly as with one thread.
        let chunks = rowChunks(batch: B, splitFrom: threads >= 2 ? 2 : .max)
        runConcurrently(chunks.count, parallel: chunks.count > 1) { c in
            self.forwardRows(chunks[c], stepRange: stepRange, steps: T, batch: B, lengths: lengths,
                             sorted: sorted, output: output, outputStride: outputStride, gates: gates,
                             aux: aux, aux2: aux2, auxStepStride: auxStepStride,
                             hidden: hidden, zeros: zeros, bias: bias, biasIN: biasIN, biasHN: biasHN)
        }
    }

    /// The time loop of `forward` for the batch rows `rows` (their input projection done).
    private func forwardRows(_ rows: Range<Int>, stepRange: Range<Int>, steps T: Int, batch B: Int,
                             lengths: UnsafePointer<Int>?,
                             sorted: Bool, output: UnsafeMutablePointer<Float>, outputStride: Int,
                             gates: UnsafeMutablePointer<Float>,
                             aux: UnsafeMutablePointer<Float>, aux2: UnsafeMutablePointer<Float>,
                             auxStepStride: Int, hidden: UnsafeMutablePointer<Float>,
                             zeros: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                             biasIN: UnsafePointer<Float>, biasHN: UnsafePointer<Float>) {
        let H = hiddenSize, gh = gateWidth, r0 = rows.lowerBound, R = rows.count
        let rowLengths = lengths.map { $0 + r0 }
        for s in stepRange {
            let t = reverse ? T - 1 - s : s
            let prevT = reverse ? t + 1 : t - 1
            let hPrev: UnsafePointer<Float> = s == 0 ? zeros : UnsafePointer(output + (prevT * B + r0) * outputStride)
            let active = sorted ? activeRows(rowLengths.unsafelyUnwrapped, count: R, step: t) : R
            let hid = hidden + r0 * gh
            if s == 0 {
                hid.update(repeating: 0, count: active * gh)
            } else if active > 0 {
                gemm(.none, .none, m: active, n: gh, k: H, a: hPrev, lda: outputStride,
                     b: weightHHT.pointer, ldb: gh, beta: 0, c: hid, ldc: gh)
            }
            // Rows 0..<active: all valid (no mask) when sorted; the rest (if any) all padded.
            for part in 0..<2 {
                let first = part == 0 ? 0 : active, count = part == 0 ? active : R - active
                if count == 0 { continue }
                let mask = part == 0 && sorted ? nil : rowLengths
                let g = gates + (t * B + r0 + first) * gh
                let hOut = output + (t * B + r0 + first) * outputStride
                let rowMask = mask.map { $0 + first }
                let hp = hPrev + first * outputStride, hidRows = UnsafePointer(hid + first * gh)
                let auxT = aux + t * auxStepStride + (r0 + first) * H
                switch cell {
                case .gru:
                    GRUKernels.forward(batch: count, hiddenSize: H, t: t, lengths: rowMask,
                                       gates: g, hidden: hidRows, biasRZ: bias, biasIN: biasIN, biasHN: biasHN,
                                       hPrev: hp, hOut: hOut, hStride: outputStride, hnOut: auxT)
                case .lstm:
                    let cPrev: UnsafePointer<Float> = auxStepStride == 0 ? UnsafePointer(auxT)
                        : (s == 0 ? zeros : UnsafePointer(aux + prevT * auxStepStride + (r0 + first) * H))
                    LSTMKernels.forward(batch: count, hiddenSize: H, t: t, lengths: rowMask,
                                        gates: g, hidden: hidRows, bias: bias,
                                        hOut: hOut, hStride: outputStride,
                                        cPrev: cPrev, cOut: auxT,
                                        tanhCOut: aux2 + t * auxStepStride + (r0 + first) * H)
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
    /// - `hCarry`, `cCarry`: `[B, H]` scratch; `sums`: `8·G·H` scratch (4·G·H per row chunk); `weightGradT`:
    ///   `[I, G·H]` scratch when `inputSize >= wideInput` (else unused).
    ///
    /// The bias gradients are summed step by step while each step's rows are still in cache.
    /// With `threads >= 2` the rows are split in two for the time loop (see `rowChunks`).
    func backward(steps: Int, batch: Int, lengths: UnsafePointer<Int>?,
                  input: UnsafePointer<Float>, inputStride: Int,
                  output: UnsafePointer<Float>, outputStride: Int,
                  gradOutput: UnsafePointer<Float>, gradOutputStride: Int,
                  gates: UnsafePointer<Float>, aux: UnsafePointer<Float>, aux2: UnsafePointer<Float>,
                  gradGates: UnsafeMutablePointer<Float>, gradHidden: UnsafeMutablePointer<Float>,
                  hCarry: UnsafeMutablePointer<Float>, cCarry: UnsafeMutablePointer<Float>,
                  sums: UnsafeMutablePointer<Float>, weightGradT: UnsafeMutablePointer<Float>,
                  zeros: UnsafePointer<Float>, threads: Int) {
        let B = batch, T = steps
        guard T > 0 && B > 0 else { return }
        beginBackward(batch: B, hCarry: hCarry, cCarry: cCarry, sums: sums)
        backSteps(0..<T, steps: T, batch: B, lengths: lengths, output: output, outputStride: outputStride,
                  gradOutput: gradOutput, gradOutputStride: gradOutputStride,
                  gates: gates, aux: aux, aux2: aux2, gradGates: gradGates, gradHidden: gradHidden,
                  hCarry: hCarry, cCarry: cCarry, sums: sums, zeros: zeros, threads: threads)
        finishBackward(steps: T, batch: B, input: input, inputStride: inputStride,
                       output: output, outputStride: outputStride, gradGates: gradGates,
                       gradHidden: gradHidden, sums: sums, weightGradT: weightGradT, threads: threads)
    }

    /// Zeroes the carried gradients and the running bias sums before the first `backSteps`.
    func beginBackward(batch B: Int, hCarry: UnsafeMutablePointer<Float>, cCarry: UnsafeMutablePointer<Float>,
                       sums: UnsafeMutablePointer<Float>) {
        let H = hiddenSize, gh = gateWidth
        hCarry.update(repeating: 0, count: B * H)
        cCarry.update(repeating: 0, count: B * H)
        for c in rowChunks(batch: B).indices { (sums + c * 4 * gh).update(repeating: 0, count: gh + H) }
    }

    /// The time loop of `backward` over the loop steps `stepRange` (`s`; step `t = T − 1 − s`, or
    /// `s` in reverse). Calls over consecutive ranges give the same bits as one over `0..<T`.
    func backSteps(_ stepRange: Range<Int>, steps T: Int, batch B: Int, lengths: UnsafePointer<Int>?,
                   output: UnsafePointer<Float>, outputStride: Int,
                   gradOutput: UnsafePointer<Float>, gradOutputStride: Int,
                   gates: UnsafePointer<Float>, aux: UnsafePointer<Float>, aux2: UnsafePointer<Float>,
                   gradGates: UnsafeMutablePointer<Float>, gradHidden: UnsafeMutablePointer<Float>,
                   hCarry: UnsafeMutablePointer<Float>, cCarry: UnsafeMutablePointer<Float>,
                   sums: UnsafeMutablePointer<Float>, zeros: UnsafePointer<Float>, threads: Int) {
        // The bias sums run per fixed chunk of rows (`rowChunks`, 4·G·H of `sums` each) and are
        // added in chunk order at the end, so the bits do not depend on how many threads ran
        // the chunks; with two or more threads each chunk's time loop runs on its own thread.
        let chunks = rowChunks(batch: B)
        let ranges = threads >= 2 ? chunks : rowChunks(batch: B, splitFrom: .max)
        runConcurrently(ranges.count, parallel: ranges.count > 1) { c in
            self.backwardRows(ranges[c], sumChunks: chunks, stepRange: stepRange, steps: T, batch: B,
                              lengths: lengths, output: output, outputStride: outputStride,
                              gradOutput: gradOutput, gradOutputStride: gradOutputStride,
                              gates: gates, aux: aux, aux2: aux2, gradGates: gradGates,
                              gradHidden: gradHidden, hCarry: hCarry, cCarry: cCarry,
                              sums: sums, zeros: zeros)
        }
    }

    /// After the last `backSteps`: adds the bias sums and the weight gradients (`dW_ih`, `dW_hh`,
    /// one GEMM each over all steps).
    func finishBackward(steps T: Int, batch B: Int, input: UnsafePointer<Float>, inputStride: Int,
                        output: UnsafePointer<Float>, outputStride: Int,
                        gradGates: UnsafeMutablePointer<Float>, gradHidden: UnsafeMutablePointer<Float>,
                        sums: UnsafeMutablePointer<Float>, weightGradT: UnsafeMutablePointer<Float>,
                        threads: Int) {
        let H = hiddenSize, gh = gateWidth
        for c in rowChunks(batch: B).indices {
            let sumIH = sums + c * 4 * gh, sumHN = sumIH + gh
            addRow(sumIH, into: biasIH.grad.pointer, count: gh)
            switch cell {
            case .gru:
                addRow(sumIH, into: biasHH.grad.pointer, count: 2 * H)
                addRow(sumHN, into: biasHH.grad.pointer + 2 * H, count: H)
            case .lstm:
                addRow(sumIH, into: biasHH.grad.pointer, count: gh)
            }
        }
        let hiddenSide = cell == .gru ? gradHidden : gradGates
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

    /// The time loop of `backward` for the batch rows `rows`. Bias sums go to the 4·G·H block
    /// of `sums` of each chunk of `sumChunks` (which tile the batch) lying within `rows`: a running
    /// sum of the input side (all gates), of the GRU's hidden-side n part, and a per-step block.
    private func backwardRows(_ rows: Range<Int>, sumChunks: RowChunks, stepRange: Range<Int>,
                              steps T: Int, batch B: Int,
                              lengths: UnsafePointer<Int>?,
                              output: UnsafePointer<Float>, outputStride: Int,
                              gradOutput: UnsafePointer<Float>, gradOutputStride: Int,
                              gates: UnsafePointer<Float>, aux: UnsafePointer<Float>, aux2: UnsafePointer<Float>,
                              gradGates: UnsafeMutablePointer<Float>, gradHidden: UnsafeMutablePointer<Float>,
                              hCarry: UnsafeMutablePointer<Float>, cCarry: UnsafeMutablePointer<Float>,
                              sums: UnsafeMutablePointer<Float>, zeros: UnsafePointer<Float>) {
        let H = hiddenSize, gh = gateWidth, r0 = rows.lowerBound, R = rows.count
        let whh = UnsafePointer(weightHH.value.pointer)
        let rowLengths = lengths.map { $0 + r0 }
        let hc = hCarry + r0 * H, cc = cCarry + r0 * H
        for s in stepRange {
            let t = reverse ? s : T - 1 - s
            let prevT = reverse ? t + 1 : t - 1
            let isFirst = reverse ? t == T - 1 : t == 0
            let hPrev: UnsafePointer<Float> = isFirst ? zeros : output + (prevT * B + r0) * outputStride
            let dY = gradOutput + (t * B + r0) * gradOutputStride
            let dG = gradGates + (t * B + r0) * gh, dGh = gradHidden + (t * B + r0) * gh
            switch cell {
            case .gru:
                GRUKernels.backward(batch: R, hiddenSize: H, t: t, lengths: rowLengths,
                                    gradOut: dY, gradOutStride: gradOutputStride, carry: hc,
                                    gates: gates + (t * B + r0) * gh, hn: aux + (t * B + r0) * H,
                                    hPrev: hPrev, hStride: outputStride,
                                    gradInputGates: dG, gradHidden: dGh)
                for c in sumChunks.indices where rows.contains(sumChunks[c].lowerBound) {
                    let chunk = sumChunks[c], sum = sums + c * 4 * gh
                    addColumnSums(rows: chunk.count, cols: H,
                                  src: gradHidden + (t * B + chunk.lowerBound) * gh + 2 * H, ld: gh,
                                  into: sum + gh, scratch: sum + 2 * gh)
                }
                if !isFirst {
                    gemm(.none, .none, m: R, n: H, k: gh, a: dGh, lda: gh,
                         b: whh, ldb: H, beta: 1, c: hc, ldc: H)
                }
            case .lstm:
                LSTMKernels.backward(batch: R, hiddenSize: H, t: t, lengths: rowLengths,
                                     gradOut: dY, gradOutStride: gradOutputStride,
                                     hCarry: hc, cCarry: cc,
                                     gates: gates + (t * B + r0) * gh, tanhC: aux2 + (t * B + r0) * H,
                                     cPrev: isFirst ? zeros : aux + (prevT * B + r0) * H,
                                     gradGates: dG)
                if !isFirst {
                    gemm(.none, .none, m: R, n: H, k: gh, a: dG, lda: gh,
                         b: whh, ldb: H, beta: 0, c: hc, ldc: H)
                }
            }
            for c in sumChunks.indices where rows.contains(sumChunks[c].lowerBound) {
                let chunk = sumChunks[c], sum = sums + c * 4 * gh
                addColumnSums(rows: chunk.count, cols: gh, src: gradGates + (t * B + chunk.lowerBound) * gh,
                              ld: gh, into: sum, scratch: sum + 2 * gh)
            }
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

/// The fixed split of a batch's rows used by the recurrent loops (threads run whole chunks):
/// two halves from `splitFrom` rows on, else one chunk. It depends on the batch size only, never
/// on the thread count, so that per-chunk reductions give the same bits however the chunks are
/// run. (`forward` reduces nothing across rows and splits from 2 rows; `backward`'s bias sums
/// split from 16, so that small batches keep one sum.)
/// (A value, not an array: the wavefront asks for it once per chunk of steps, and nothing may
/// allocate there.)
func rowChunks(batch: Int, splitFrom: Int = 16) -> RowChunks {
    RowChunks(batch: batch, split: batch >= max(2, splitFrom))
}

/// One chunk `0..<batch`, or two halves (the first the larger).
struct RowChunks: RandomAccessCollection {
    let batch: Int
    let split: Bool
    var startIndex: Int { 0 }
    var endIndex: Int { split ? 2 : 1 }
    subscript(i: Int) -> Range<Int> {
        guard split else { return 0..<batch }
        let half = (batch + 1) / 2
        return i == 0 ? 0..<half : half..<batch
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
