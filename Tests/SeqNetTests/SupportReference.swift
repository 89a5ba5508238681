import Foundation
@testable import SeqNet

/// A plain, scalar, Float64 re-implementation of ``SequenceNetwork``'s forward pass, written
/// straight from the PyTorch equations, one sequence at a time, with no padding, no GEMM and no
/// shared code with the engine. Used as the ground truth for forward values and, through central
/// finite differences, for gradients.
struct ReferenceNetwork {
    let config: NetworkConfig
    /// Parameter values by PyTorch name, row-major.
    var params: [String: [Double]]

    /// Copies the engine's current parameter values.
    init(_ net: SequenceNetwork) {
        config = net.config
        var p: [String: [Double]] = [:]
        for t in net.parameters { p[t.name] = t.value.array.map(Double.init) }
        params = p
    }

    var directions: Int { config.bidirectional ? 2 : 1 }

    private func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    /// `out[r] = b[r] + Σ_c W[r, c] · v[c]` for a row-major `W [rows × cols]`.
    private static func affine(_ w: UnsafeBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>,
                               _ v: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        let cols = v.count
        for r in 0..<out.count {
            var acc = b[r]
            for c in 0..<cols { acc += w[r * cols + c] * v[c] }
            out[r] = acc
        }
    }

    /// One direction of one layer over a sequence `xs` (`n` steps × `inputSize`, flat), in
    /// processing order. Returns the `n` hidden states (`n × H`, flat), in processing order.
    private func runDirection(layer: Int, reverse: Bool, _ xs: [Double], steps n: Int) -> [Double] {
        let H = config.hiddenSize, G = config.cell == .gru ? 3 : 4
        let inputSize = xs.count / max(n, 1)
        let s = "_l\(layer)" + (reverse ? "_reverse" : "")
        let wih = params["rnn.weight_ih" + s]!, whh = params["rnn.weight_hh" + s]!
        let bih = params["rnn.bias_ih" + s]!, bhh = params["rnn.bias_hh" + s]!
        var out = [Double](repeating: 0, count: n * H)
        var h = [Double](repeating: 0, count: H), c = [Double](repeating: 0, count: H)
        var gi = [Double](repeating: 0, count: G * H), gh = [Double](repeating: 0, count: G * H)
        for t in 0..<n {
            xs.withUnsafeBufferPointer { x in
                wih.withUnsafeBufferPointer { w in bih.withUnsafeBufferPointer { b in
                    gi.withUnsafeMutableBufferPointer { o in
                        Self.affine(w, b, UnsafeBufferPointer(rebasing: x[(t * inputSize)..<((t + 1) * inputSize)]), into: o)
                    }
                } }
            }
            h.withUnsafeBufferPointer { hv in
                whh.withUnsafeBufferPointer { w in bhh.withUnsafeBufferPointer { b in
                    gh.withUnsafeMutableBufferPointer { o in Self.affine(w, b, hv, into: o) }
                } }
            }
            switch config.cell {
            case .gru:
                for j in 0..<H {
                    let r = sigmoid(gi[j] + gh[j])
                    let z = sigmoid(gi[H + j] + gh[H + j])
                    let n = tanh(gi[2 * H + j] + r * gh[2 * H + j])
                    h[j] = (1 - z) * n + z * h[j]
                }
            case .lstm:
                for j in 0..<H {
                    let i = sigmoid(gi[j] + gh[j])
                    let f = sigmoid(gi[H + j] + gh[H + j])
                    let g = tanh(gi[2 * H + j] + gh[2 * H + j])
                    let o = sigmoid(gi[3 * H + j] + gh[3 * H + j])
                    c[j] = f * c[j] + i * g
                    h[j] = o * tanh(c[j])
                }
            }
            for j in 0..<H { out[t * H + j] = h[j] }
        }
        return out
    }

    /// Reverses the order of `n` rows of `width` values.
    private static func reversedRows(_ a: [Double], rows n: Int, width: Int) -> [Double] {
        var r = a
        for t in 0..<n { for j in 0..<width { r[t * width + j] = a[(n - 1 - t) * width + j] } }
        return r
    }

    /// Output `[T × B × out]` time-major, zero at padded steps, for the input `x [T × B × I]`.
    /// - `masks`: optional dropout masks, one `[T × B × dirs·H]` per layer but the last, multiplied
    ///   into that layer's output before the next layer reads it.
    func forward(_ x: [Double], steps T: Int, batch B: Int, lengths: [Int],
                 masks: [[Double]]? = nil) -> [Double] {
        let I = config.inputSize, H = config.hiddenSize, O = config.outputSize
        let W = directions * H
        var result = [Double](repeating: 0, count: T * B * O)
        for b in 0..<B {
            let n = lengths[b]
            var width = I
            var seq = [Double](repeating: 0, count: n * I)
            for t in 0..<n { for f in 0..<I { seq[t * I + f] = x[(t * B + b) * I + f] } }
            for k in 0..<config.numLayers {
                let fwd = runDirection(layer: k, reverse: false, seq, steps: n)
                var outs = fwd
                if config.bidirectional {
                    let rev = Self.reversedRows(
                        runDirection(layer: k, reverse: true, Self.reversedRows(seq, rows: n, width: width), steps: n),
                        rows: n, width: H)
                    outs = [Double](repeating: 0, count: n * W)
                    for t in 0..<n {
                        for j in 0..<H { outs[t * W + j] = fwd[t * H + j]; outs[t * W + H + j] = rev[t * H + j] }
                    }
                }
                if let masks, k < config.numLayers - 1 {
                    for t in 0..<n { for j in 0..<W { outs[t * W + j] *= masks[k][(t * B + b) * W + j] } }
                }
                seq = outs
                width = W
            }
            let hw = params["head.weight"]!, hb = params["head.bias"]!
            for t in 0..<n {
                for o in 0..<O {
                    var acc = hb[o]
                    for j in 0..<W { acc += hw[o * W + j] * seq[t * W + j] }
                    result[(t * B + b) * O + o] = acc
                }
            }
        }
        return result
    }
}
