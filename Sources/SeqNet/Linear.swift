/// A fully connected layer applied to every row of a matrix, with PyTorch `nn.Linear` semantics:
/// `y = x · Wᵀ + b`.
///
/// - `weight`: `[outputSize, inputSize]` (PyTorch layout), `bias`: `[outputSize]`.
/// - Inputs and outputs are row-major matrices, one row per (step, sequence) pair.
///
/// A transposed copy `Wᵀ [inputSize, outputSize]` is refreshed at every ``forward`` so the forward
/// product is a plain (non-transposed) GEMM; with fewer than 4 outputs (a regressor's head) each
/// output is a dot product instead.
public final class Linear: @unchecked Sendable {
    public let inputSize: Int
    public let outputSize: Int
    public let weight: Parameter
    public let bias: Parameter
    /// `Wᵀ`, `[inputSize, outputSize]`.
    private let weightT: FloatBuffer
    /// Scratch for bias column sums, `2 * outputSize`.
    private let sumScratch: FloatBuffer

    /// PyTorch's default initialisation: weight and bias uniform in `±1/√inputSize`, weight
    /// first, each row-major, drawn from `rng`.
    /// - Parameter name: prefix of the parameter names (`"head"` gives `head.weight`, `head.bias`).
    public init(inputSize: Int, outputSize: Int, name: String, rng: inout RandomSource) {
        precondition(inputSize > 0 && outputSize > 0, "Linear: sizes must be positive")
        self.inputSize = inputSize
        self.outputSize = outputSize
        weight = Parameter(name: "\(name).weight", shape: [outputSize, inputSize])
        bias = Parameter(name: "\(name).bias", shape: [outputSize])
        weightT = FloatBuffer(count: inputSize * outputSize)
        sumScratch = FloatBuffer(count: 2 * outputSize)
        let bound = 1 / Float(inputSize).squareRoot()
        for i in 0..<weight.count { weight.value[i] = rng.uniform(-bound, bound) }
        for i in 0..<bias.count { bias.value[i] = rng.uniform(-bound, bound) }
    }

    /// `[weight, bias]`.
    public var parameters: [Parameter] { [weight, bias] }

    /// `output[rows × outputSize] = input[rows × inputSize] · Wᵀ + b`.
    /// - `input` has row stride `inputStride` (≥ `inputSize`); `output` is dense.
    /// Fewer outputs than this use one dot product per output (a GEMM with a narrow N is slow).
    static let narrowOutputs = 4

    public func forward(rows: Int, input: UnsafePointer<Float>, inputStride: Int,
                        output: UnsafeMutablePointer<Float>, threads: Int = 1) {
        let b = bias.value.pointer
        if outputSize < Self.narrowOutputs {
            let w = UnsafePointer(weight.value.pointer)
            for r in 0..<rows {
                let x = input + r * inputStride, y = output + r * outputSize
                for o in 0..<outputSize { y[o] = dot(x, w + o * inputSize, count: inputSize) + b[o] }
            }
            return
        }
        transpose(rows: outputSize, cols: inputSize, src: weight.value.pointer, dst: weightT.pointer)
        gemm(.none, .none, m: rows, n: outputSize, k: inputSize,
             a: input, lda: inputStride, b: weightT.pointer, ldb: outputSize,
             beta: 0, c: output, ldc: outputSize, threads: threads)
        forEachChunk(of: rows, threads: threads, minimumChunk: 256) { part in
            for r in part { addRow(b, into: output + r * outputSize, count: outputSize) }
        }
    }

    /// Back-propagates `gradOutput [rows × outputSize]` (dense) for the `input` of the matching
    /// forward: ADDS `dW = dYᵀ · X` and `db = Σ_rows dY` into the gradients, and, if
    /// `gradInput` is given, WRITES `dX = dY · W` there (`[rows × inputSize]`, row stride `gradInputStride`).
    public func backward(rows: Int, input: UnsafePointer<Float>, inputStride: Int,
                         gradOutput: UnsafePointer<Float>,
                         gradInput: UnsafeMutablePointer<Float>?, gradInputStride: Int,
                         threads: Int = 1) {
        gemm(.transposed, .none, m: outputSize, n: inputSize, k: rows,
             a: gradOutput, lda: outputSize, b: input, ldb: inputStride,
             beta: 1, c: weight.grad.pointer, ldc: inputSize, threads: threads)
        addColumnSums(rows: rows, cols: outputSize, src: gradOutput, ld: outputSize,
                      into: bias.grad.pointer, scratch: sumScratch.pointer, threads: threads)
        if let gradInput {
            gemm(.none, .none, m: rows, n: inputSize, k: outputSize,
                 a: gradOutput, lda: outputSize, b: weight.value.pointer, ldb: inputSize,
                 beta: 0, c: gradInput, ldc: gradInputStride, threads: threads)
        }
    }
}
