/// Settings of ``Adam``, with `torch.optim.Adam`'s defaults.
public struct AdamOptions: Codable, Equatable, Sendable {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    /// L2 penalty added to the gradient (`grad += weightDecay * value`, torch's `weight_decay`, not AdamW).
    public var weightDecay: Float

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2
        self.epsilon = epsilon; self.weightDecay = weightDecay
    }
}

/// Adam with `torch.optim.Adam` semantics (single-tensor, non-amsgrad, not maximizing).
///
/// Per step `t` (from 1) and element, with `g` the gradient (plus `weightDecay · p`):
/// `m = m + (1 − β1)(g − m)`, `v = β2·v + (1 − β2)·g²`,
/// `p −= (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)`.
/// The bias corrections are computed in Double, the element-wise update in Float, SIMD over each
/// parameter's contiguous buffer. Reads `Parameter.grad`, never clears it.
public final class Adam {
    /// The tensors updated by ``step()``, in the order given.
    public let parameters: [Parameter]
    public var options: AdamOptions
    /// Steps taken so far (torch's `state['step']`).
    public private(set) var stepCount: Int = 0
    /// First and second moment estimates, one buffer per parameter (same layout as its value).
    private let firstMoments: [FloatBuffer]
    private let secondMoments: [FloatBuffer]

    public init(parameters: [Parameter], options: AdamOptions = AdamOptions()) {
        self.parameters = parameters
        self.options = options
        firstMoments = parameters.map { FloatBuffer(count: $0.count) }
        secondMoments = parameters.map { FloatBuffer(count: $0.count) }
    }

    /// Shortcut for `options.learningRate` (schedulers set it between steps).
    public var learningRate: Float {
        get { options.learningRate }
        set { options.learningRate = newValue }
    }

    /// Forgets the moment estimates and the step count (as a freshly made optimizer).
    public func reset() {
        stepCount = 0
        for b in firstMoments { b.zero() }
        for b in secondMoments { b.zero() }
    }

    /// Applies one update to every parameter from its current `grad`.
    public func step() {
        stepCount += 1
        let t = Double(stepCount)
        let o = options
        let biasCorrection1 = 1 - pow(Double(o.beta1), t)
        let biasCorrection2 = 1 - pow(Double(o.beta2), t)
        let k = AdamConstants(stepSize: Float(Double(o.learningRate) / biasCorrection1),
                              bias2Sqrt: Float(biasCorrection2.squareRoot()),
                              oneMinusBeta1: Float(1 - Double(o.beta1)), beta2: o.beta2,
                              oneMinusBeta2: Float(1 - Double(o.beta2)), epsilon: o.epsilon,
                              weightDecay: o.weightDecay)
        for (i, p) in parameters.enumerated() {
            adamUpdate(value: p.value.pointer, grad: p.grad.pointer, m: firstMoments[i].pointer,
                       v: secondMoments[i].pointer, count: p.count, k)
        }
    }
}

private struct AdamConstants {
    let stepSize: Float, bias2Sqrt: Float, oneMinusBeta1: Float, beta2: Float, oneMinusBeta2: Float
    let epsilon: Float, weightDecay: Float
}

/// The element-wise Adam update over one contiguous buffer (8 lanes at a time, scalar tail).
private func adamUpdate(value: UnsafeMutablePointer<Float>, grad: UnsafeMutablePointer<Float>,
                        m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, count: Int,
                        _ k: AdamConstants) {
    typealias V = SIMD8<Float>
    let wd = V(repeating: k.weightDecay), a1 = V(repeating: k.oneMinusBeta1)
    let b2 = V(repeating: k.beta2), a2 = V(repeating: k.oneMinusBeta2)
    let bc = V(repeating: k.bias2Sqrt), eps = V(repeating: k.epsilon), lr = V(repeating: k.stepSize)
    let hasDecay = k.weightDecay != 0
    var i = 0
    while i + 8 <= count {
        let pv = UnsafeMutableRawPointer(value + i), gv = UnsafeMutableRawPointer(grad + i)
        let mv = UnsafeMutableRawPointer(m + i), vv = UnsafeMutableRawPointer(v + i)
        let p = pv.loadUnaligned(as: V.self)
        var g = gv.loadUnaligned(as: V.self)
        if hasDecay { g = g + wd * p }
        var mm = mv.loadUnaligned(as: V.self)
        mm = mm + a1 * (g - mm)
        var vm = vv.loadUnaligned(as: V.self)
        vm = b2 * vm + a2 * (g * g)
        let denom = vm.squareRoot() / bc + eps
        mv.storeBytes(of: mm, as: V.self)
        vv.storeBytes(of: vm, as: V.self)
        pv.storeBytes(of: p - lr * (mm / denom), as: V.self)
        i += 8
    }
    while i < count {
        let p = value[i]
        var g = grad[i]
        if hasDecay { g = g + k.weightDecay * p }
        let mm = m[i] + k.oneMinusBeta1 * (g - m[i])
        let vm = k.beta2 * v[i] + k.oneMinusBeta2 * (g * g)
        m[i] = mm
        v[i] = vm
        value[i] = p - k.stepSize * (mm / (vm.squareRoot() / k.bias2Sqrt + k.epsilon))
        i += 1
    }
}

/// Scales all gradients so that their joint L2 norm is at most `maxNorm`, as
/// `torch.nn.utils.clip_grad_norm_` (norm type 2): with `norm` the L2 norm over every element of
/// every `grad`, each gradient is multiplied by `maxNorm / (norm + 1e-6)` when that is below 1.
/// Returns `norm`, measured before clipping (squares summed in Double).
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Float) -> Float {
    var total = 0.0
    for p in parameters { total += sumOfSquares(p.grad.pointer, count: p.count) }
    let norm = Float(total.squareRoot())
    let coefficient = maxNorm / (norm + 1e-6)
    if coefficient < 1 {
        for p in parameters {
            let g = p.grad.pointer
            for i in 0..<p.count { g[i] *= coefficient }
        }
    }
    return norm
}

/// Σ x² in Double, summing 8-lane Float partials over blocks of 512 elements.
private func sumOfSquares(_ x: UnsafeMutablePointer<Float>, count: Int) -> Double {
    var total = 0.0
    var start = 0
    while start < count {
        let end = min(count, start + 512)
        var acc = SIMD8<Float>(repeating: 0)
        var i = start
        while i + 8 <= end {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            acc = acc + v * v
            i += 8
        }
        var block = 0.0
        for lane in 0..<8 { block += Double(acc[lane]) }
        while i < end {
            block += Double(x[i]) * Double(x[i])
            i += 1
        }
        total += block
        start = end
    }
    return total
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
