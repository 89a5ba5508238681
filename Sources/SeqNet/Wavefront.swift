import Foundation
import Synchronization

/// Layer-pipelined ("wavefront") passes of a unidirectional stack on two threads.
///
/// Two directions of a bidirectional layer give two threads a whole recurrence each. A
/// unidirectional layer has one, and splitting its batch rows in two leaves each thread half-size
/// recurrent products, less efficient per row (six-row GEMM tiles: 64 rows are 10⅔ tiles, 32 rows
/// take 6 each). Instead, layer `k` runs on thread `k % 2` (even layers on the caller, odd on a helper), over
/// chunks of consecutive steps:
/// - forward: layer `k` applies dropout to, projects and runs chunk `c` of its input once layer
///   `k − 1` has finished it, so layer `k` runs step `t` while layer `k − 1` runs a later chunk;
/// - backward: layer `k` runs chunk `c` (from the last) once layer `k + 1` has finished it and
///   written `∂L/∂Y_k` there (its chunk of `dG·W_ih`, through the dropout mask); then, after its
///   last chunk, its weight gradients, while the other thread goes on.
///
/// Every product and kernel computes each element as the layer-by-layer pass does (a GEMM cut by
/// rows keeps its bits up to `GemmPlan.shapeIndependentDepth`, hence the limit on `gateWidth` and
/// a deeper layer-0 input projected whole; the recurrences run their steps in order; dropout
/// masks are drawn up front in the same order), so results are bit-identical for every thread
/// count.
@available(macOS 15, *)
extension SequenceNetwork {
    /// Rows (`steps · batch`) per chunk: enough for the chunk's input projection to run near
    /// the GEMM's best, few enough that the pipeline fills quickly.
    static let wavefrontChunkRows = 512

    /// Whether a pass over `steps × batch` runs as a wavefront.
    func usesWavefront(steps: Int, batch: Int) -> Bool {
        threads >= 2 && !config.bidirectional && config.numLayers >= 2 && steps >= 4 && batch > 0
            && layers[0][0].gateWidth <= GemmPlan.shapeIndependentDepth
    }

    /// Steps per chunk: `wavefrontChunkRows` rows, and at least 4 chunks.
    func wavefrontChunkSteps(steps: Int, batch: Int) -> Int {
        max(1, min(Self.wavefrontChunkRows / batch, steps / 4))
    }

    /// The recurrent layers of `forward` as a wavefront. `x0`: the layer-0 input (`I` wide).
    /// Returns the last layer's output.
    ///
    /// The dropout masks (training) are drawn from `rng` by the second thread, in layer order,
    /// while the first starts layer 0; each layer applies the mask to its input chunk (layer
    /// `k − 1`'s output) just before projecting it.
    func forwardWavefront(steps T: Int, batch B: Int, lengths: UnsafePointer<Int>?,
                          input x0: UnsafePointer<Float>, workspace ws: Workspace, training: Bool,
                          dropout: Bool, rng: inout RandomSource) -> UnsafePointer<Float> {
        let L = config.numLayers, H = config.hiddenSize, I = config.inputSize, rows = T * B
        let C = wavefrontChunkSteps(steps: T, batch: B), chunks = (T + C - 1) / C
        // A deeper layer-0 projection's k-blocking depends on its whole shape: it runs whole.
        let chunkedInput = I <= GemmPlan.shapeIndependentDepth
        let progress = ChunkProgress(layers: L)
        let auxStride = training ? B * H : 0
        runOnTwoThreads(helperScratch: wavefrontScratch) { p in
            if p == 1 && dropout {
                for k in 0..<(L - 1) {
                    Dropout.drawMask(p: config.dropout, count: rows * H, mask: ws.masks[k]!.pointer, rng: &rng)
                }
            }
            let scratch = ws.scratch[p]
            for k in stride(from: p, to: L, by: 2) {
                let dir = layers[k][0], cache = ws.caches[training ? k : p][0]
                let gates = cache.gates!.pointer, aux = cache.aux!.pointer
                let out = ws.outputs[training ? k : k % 2]!.pointer
                let previous = k == 0 ? nil : ws.outputs[training ? k - 1 : (k - 1) % 2]!.pointer
                let x: UnsafePointer<Float> = k == 0 ? x0 : UnsafePointer(dropout ? ws.dropped[k - 1]!.pointer : previous!)
                let xStride = k == 0 ? I : H
                if auxStride == 0 { aux.update(repeating: 0, count: B * H) }
                if k == 0 && !chunkedInput {
                    dir.projectInput(rows: 0..<rows, input: x, inputStride: xStride, gates: gates, threads: 1)
                }
                for c in 0..<chunks {
                    let span = (c * C)..<min(T, (c + 1) * C)
                    let rowSpan = (span.lowerBound * B)..<(span.upperBound * B)
                    if let previous {
                        progress.wait(layer: k - 1, chunks: c + 1)
                        if dropout {
                            let first = rowSpan.lowerBound * H
                            Dropout.applyMask(count: rowSpan.count * H, input: previous + first,
                                              mask: ws.masks[k - 1]!.pointer + first,
                                              output: ws.dropped[k - 1]!.pointer + first)
                        }
                    }
                    if k > 0 || chunkedInput {
                        dir.projectInput(rows: rowSpan, input: x, inputStride: xStride, gates: gates, threads: 1)
                    }
                    dir.recur(span, steps: T, batch: B, lengths: lengths, output: out, outputStride: H,
                              gates: gates, aux: aux, aux2: cache.aux2!.pointer,
                              auxStepStride: auxStride, hidden: scratch.hidden!.pointer,
                              zeros: ws.zeros!.pointer, threads: 1)
                    progress.publish(layer: k, chunks: c + 1)
                }
            }
        }
        return UnsafePointer(ws.outputs[training ? L - 1 : (L - 1) % 2]!.pointer)
    }

    /// The recurrent layers of `backward` as a wavefront, after the head's backward wrote
    /// `∂L/∂Y_{L−1}` to `ws.gradLayers[0]`. `x0`: the layer-0 input the forward read; `inputGradient`:
    /// where `∂L/∂X_0` goes, if asked.
    ///
    /// Layer `k` writes `∂L/∂Y_{k−1}` chunk by chunk, except that layer 1 writes the first half
    /// of each chunk's rows of `∂L/∂Y_0` and layer 0 the second: layer 0 has no input gradient of
    /// its own to form (unless asked), so the two threads' shares stay even.
    func backwardWavefront(steps T: Int, batch B: Int, lengths: UnsafePointer<Int>?,
                           input x0: UnsafePointer<Float>, dropout: Bool, workspace ws: Workspace,
                           inputGradient: UnsafeMutablePointer<Float>?) {
        let L = config.numLayers, H = config.hiddenSize, I = config.inputSize
        let C = wavefrontChunkSteps(steps: T, batch: B), chunks = (T + C - 1) / C
        let progress = ChunkProgress(layers: L)
        /// Rows `rows` of `∂L/∂Y_{k−1}` (or of `∂L/∂X_0`) from layer `k`'s gate gradients.
        func formInputGradient(layer k: Int, rows: Range<Int>, into dX: UnsafeMutablePointer<Float>) {
            guard !rows.isEmpty else { return }
            let dir = layers[k][0], xStride = k == 0 ? I : H
            dir.inputGradient(rows: rows.count, gradGates: ws.scratch[k % 2].gradGates!.pointer + rows.lowerBound * dir.gateWidth,
                              gradInput: dX + rows.lowerBound * xStride, gradInputStride: xStride,
                              accumulate: false, threads: 1)
            if k > 0 && dropout {
                Dropout.backward(count: rows.count * H, mask: ws.masks[k - 1]!.pointer + rows.lowerBound * H,
                                 grad: dX + rows.lowerBound * H)
            }
        }
        runOnTwoThreads(helperScratch: wavefrontScratch) { p in
            let s = ws.scratch[p]
            for k in stride(from: L - 1, through: 0, by: -1) where k % 2 == p {
                let dir = layers[k][0], cache = ws.caches[k][0]
                let x: UnsafePointer<Float> = k == 0 ? x0
                    : UnsafePointer((dropout ? ws.dropped[k - 1] : ws.outputs[k - 1])!.pointer)
                let out = UnsafePointer(ws.outputs[k]!.pointer)
                let dY = ws.gradLayers[(L - 1 - k) % 2]!.pointer
                let dX = k > 0 ? ws.gradLayers[(L - k) % 2]!.pointer : inputGradient
                dir.beginBackward(batch: B, hCarry: s.hCarry!.pointer, cCarry: s.cCarry!.pointer,
                                  sums: s.sums!.pointer)
                for c in 0..<chunks {
                    let chunk = chunks - 1 - c
                    let span = (chunk * C)..<min(T, (chunk + 1) * C)
                    let rowSpan = (span.lowerBound * B)..<(span.upperBound * B)
                    let half = rowSpan.lowerBound + rowSpan.count / 2
                    if k < L - 1 {
                        progress.wait(layer: k + 1, chunks: c + 1)
                        if k == 0 { formInputGradient(layer: 1, rows: half..<rowSpan.upperBound, into: dY) }
                    }
                    dir.backSteps((T - span.upperBound)..<(T - span.lowerBound), steps: T, batch: B,
                                  lengths: lengths, output: out, outputStride: H,
                                  gradOutput: dY, gradOutputStride: H,
                                  gates: cache.gates!.pointer, aux: cache.aux!.pointer, aux2: cache.aux2!.pointer,
                                  gradGates: s.gradGates!.pointer, gradHidden: s.gradHidden!.pointer,
                                  hCarry: s.hCarry!.pointer, cCarry: s.cCarry!.pointer,
                                  sums: s.sums!.pointer, zeros: ws.zeros!.pointer, threads: 1)
                    if let dX {
                        formInputGradient(layer: k, rows: k == 1 ? rowSpan.lowerBound..<half : rowSpan, into: dX)
                    }
                    progress.publish(layer: k, chunks: c + 1)
                }
                dir.finishBackward(steps: T, batch: B, input: x, inputStride: k == 0 ? I : H,
                                   output: out, outputStride: H,
                                   gradGates: s.gradGates!.pointer, gradHidden: s.gradHidden!.pointer,
                                   sums: s.sums!.pointer, weightGradT: s.weightGradT!.pointer, threads: 1)
            }
        }
    }
}

/// How many chunks each layer of a wavefront has finished, published by its thread and awaited
/// by the other (release/acquire: a finished chunk's memory is visible to the waiter).
@available(macOS 15, *)
final class ChunkProgress: Sendable {
    private final class Counter: Sendable { let value = Atomic<Int>(0) }
    private let done: [Counter]

    init(layers: Int) { done = (0..<layers).map { _ in Counter() } }

    func publish(layer: Int, chunks: Int) { done[layer].value.store(chunks, ordering: .releasing) }

    /// Spins until `layer` has finished `chunks` chunks (a chunk takes tens of microseconds;
    /// the spin yields the core now and then in case the other thread is waiting for one).
    func wait(layer: Int, chunks: Int) {
        var spins = 0
        while done[layer].value.load(ordering: .acquiring) < chunks {
            spins += 1
            if spins & 255 == 0 { sched_yield() }
        }
    }
}

/// Runs `body(0)` on the caller and `body(1)` on a thread of its own, and returns when both
/// have. (A pool such as `concurrentPerform` may run both on one thread, one after the other;
/// a wavefront's halves wait on each other, so they need two threads for sure.) The helper is
/// joined before returning, so nothing of `body` outlives the call. The helper's products use
/// `helperScratch` (kept by the caller across calls, so its packing buffers are not regrown).
func runOnTwoThreads(helperScratch: GemmScratch, _ body: (Int) -> Void) {
    withoutActuallyEscaping(body) { escapable in
        let context = Unmanaged.passRetained(HelperBody {
            GemmScratch.adopt(helperScratch)
            escapable(1)
        }).toOpaque()
        #if canImport(Darwin)
        var thread: pthread_t?
        let started = pthread_create(&thread, nil, { raw in
            Unmanaged<HelperBody>.fromOpaque(raw).takeRetainedValue().run()
            return nil
        }, context)
        #else
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { raw in
            Unmanaged<HelperBody>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, context)
        #endif
        precondition(started == 0, "SeqNet: cannot start a worker thread (pthread_create: \(started))")
        escapable(0)
        #if canImport(Darwin)
        pthread_join(thread!, nil)
        #else
        pthread_join(thread, nil)
        #endif
    }
}

/// The helper thread's work (released on that thread before it ends).
private final class HelperBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}
