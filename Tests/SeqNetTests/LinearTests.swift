import Testing
@testable import SeqNet

/// `Linear` against plain Float64 loops.
@Suite struct LinearTests {
    @Test func namesShapesAndInitialisation() {
        var rng = RandomSource(seed: 1)
        let layer = Linear(inputSize: 25, outputSize: 40, name: "head", rng: &rng)
        #expect(layer.weight.name == "head.weight" && layer.weight.shape == [40, 25])
        #expect(layer.bias.name == "head.bias" && layer.bias.shape == [40])
        let bound: Float = 1 / 5
        #expect(layer.weight.value.array.allSatisfy { abs($0) <= bound })
        #expect(layer.bias.value.array.allSatisfy { abs($0) <= bound })
        #expect(layer.weight.value.array.map(abs).max()! > 0.9 * bound)
    }

    @Test(arguments: [(1, 1, 1), (7, 3, 1), (13, 9, 10), (70, 33, 17)])
    func forwardAndBackwardMatchLoops(shape: (Int, Int, Int)) {
        let (rows, inSize, outSize) = shape
        var rng = RandomSource(seed: 2)
        let layer = Linear(inputSize: inSize, outputSize: outSize, name: "l", rng: &rng)
        let stride = inSize + 3   // a padded input row stride
        let x = FloatBuffer(count: rows * stride), dy = FloatBuffer(count: rows * outSize)
        for i in 0..<x.count { x[i] = rng.uniform(-1, 1) }
        for i in 0..<dy.count { dy[i] = rng.uniform(-1, 1) }
        let y = FloatBuffer(count: rows * outSize)
        layer.forward(rows: rows, input: x.pointer, inputStride: stride, output: y.pointer)
        let w = layer.weight.value, b = layer.bias.value
        for r in 0..<rows {
            for o in 0..<outSize {
                var acc = Double(b[o])
                for i in 0..<inSize { acc += Double(w[o * inSize + i]) * Double(x[r * stride + i]) }
                #expect(abs(Double(y[r * outSize + o]) - acc) <= 1e-5)
            }
        }
        // Gradients accumulate onto existing values; dX is written.
        layer.weight.grad.fill(0.5)
        layer.bias.grad.fill(-0.25)
        let dx = FloatBuffer(count: rows * stride)
        dx.fill(9)
        layer.backward(rows: rows, input: x.pointer, inputStride: stride, gradOutput: dy.pointer,
                       gradInput: dx.pointer, gradInputStride: stride)
        for o in 0..<outSize {
            var db = -0.25
            for r in 0..<rows { db += Double(dy[r * outSize + o]) }
            #expect(abs(Double(layer.bias.grad[o]) - db) <= 1e-5)
            for i in 0..<inSize {
                var dw = 0.5
                for r in 0..<rows { dw += Double(dy[r * outSize + o]) * Double(x[r * stride + i]) }
                #expect(abs(Double(layer.weight.grad[o * inSize + i]) - dw) <= 1e-4)
            }
        }
        for r in 0..<rows {
            for i in 0..<stride {
                guard i < inSize else { #expect(dx[r * stride + i] == 9); continue }  // untouched
                var acc = 0.0
                for o in 0..<outSize { acc += Double(dy[r * outSize + o]) * Double(w[o * inSize + i]) }
                #expect(abs(Double(dx[r * stride + i]) - acc) <= 1e-5)
            }
        }
    }

    @Test func columnSumsOverManyRows() {
        let rows = 1000, cols = 13
        let m = FloatBuffer(count: rows * cols)
        for r in 0..<rows { for c in 0..<cols { m[r * cols + c] = Float(c + 1) * 0.001 + Float(r % 7) } }
        let sums = FloatBuffer(Array(repeating: 1, count: cols)), scratch = FloatBuffer(count: 2 * cols)
        addColumnSums(rows: rows, cols: cols, src: m.pointer, ld: cols, into: sums.pointer, scratch: scratch.pointer)
        for c in 0..<cols {
            var exact = 1.0
            for r in 0..<rows { exact += Double(m[r * cols + c]) }
            #expect(abs(Double(sums[c]) - exact) <= 1e-6 * exact)
        }
    }
}
