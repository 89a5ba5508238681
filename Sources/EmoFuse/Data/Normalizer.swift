/// Per-column z-scoring: `z = (x − mean) / std`, missing (NaN) cells become 0 afterwards.
///
/// `mean` and `std` have one entry per feature column. Fitted statistics are the mean and the
/// population standard deviation (1/N) over the non-missing cells of each column, computed in Double,
/// with `std` floored at `eps` (1e-6). A column without any non-missing cell gets mean 0, std 1.
public struct Normalizer: Codable, Sendable, Equatable {
    public var mean: [Float]
    public var std: [Float]

    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == std.count, "Normalizer: mean and std differ in length")
        self.mean = mean
        self.std = std
    }

    /// Decodes and checks what `init(mean:std:)` checks: a checkpoint's statistics are user input.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let mean = try c.decode([Float].self, forKey: .mean), std = try c.decode([Float].self, forKey: .std)
        guard mean.count == std.count else {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath,
                debugDescription: "normaliser: \(mean.count) means but \(std.count) standard deviations"))
        }
        guard std.allSatisfy({ $0 > 0 && $0.isFinite }), mean.allSatisfy({ $0.isFinite }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath,
                debugDescription: "normaliser: non-finite mean or non-positive standard deviation"))
        }
        self.init(mean: mean, std: std)
    }

    public var dim: Int { mean.count }

    /// The identity transform for `dim` columns (mean 0, std 1).
    public static func identity(dim: Int) -> Normalizer {
        Normalizer(mean: [Float](repeating: 0, count: dim), std: [Float](repeating: 1, count: dim))
    }

    /// Fits on row-major `rows × dim` matrices (NaN = missing). Deterministic: a fixed summation order.
    public static func fit(_ matrices: [[Float]], dim: Int, eps: Float = 1e-6) -> Normalizer {
        if dim <= 0 { return Normalizer(mean: [], std: []) }
        var sum = [Double](repeating: 0, count: dim)
        var count = [Int](repeating: 0, count: dim)
        var squares = [Double](repeating: 0, count: dim)
        sum.withUnsafeMutableBufferPointer { sp in
            count.withUnsafeMutableBufferPointer { cp in
                for m in matrices {
                    precondition(dim > 0 ? m.count % dim == 0 : m.isEmpty, "Normalizer.fit: matrix size is not a multiple of dim")
                    m.withUnsafeBufferPointer { mp in
                        guard let x = mp.baseAddress, let s = sp.baseAddress, let c = cp.baseAddress else { return }
                        for r in 0..<(mp.count / dim) {
                            let row = x + r * dim
                            for j in 0..<dim {     // branch-free so that it vectorises
                                let v = row[j]
                                let present = v == v
                                s[j] += present ? Double(v) : 0
                                c[j] &+= present ? 1 : 0
                            }
                        }
                    }
                }
            }
        }
        var mean = [Double](repeating: 0, count: dim)
        for j in 0..<dim where count[j] > 0 { mean[j] = sum[j] / Double(count[j]) }
        squares.withUnsafeMutableBufferPointer { qp in
            mean.withUnsafeBufferPointer { up in
                for m in matrices {
                    m.withUnsafeBufferPointer { mp in
                        guard let x = mp.baseAddress, let q = qp.baseAddress, let mu = up.baseAddress else { return }
                        for r in 0..<(mp.count / dim) {
                            let row = x + r * dim
                            for j in 0..<dim {
                                let v = row[j]
                                let d = v == v ? Double(v) - mu[j] : 0
                                q[j] += d * d
                            }
                        }
                    }
                }
            }
        }
        var meanOut = [Float](repeating: 0, count: dim)
        var stdOut = [Float](repeating: 1, count: dim)
        for j in 0..<dim where count[j] > 0 {
            meanOut[j] = Float(mean[j])
            stdOut[j] = max(Float((squares[j] / Double(count[j])).squareRoot()), eps)
        }
        return Normalizer(mean: meanOut, std: stdOut)
    }

    /// Z-scores a row-major `rows × dim` matrix in place; NaN cells become 0. Returns how many were NaN.
    @discardableResult
    public func apply(_ values: inout [Float]) -> Int {
        values.withUnsafeMutableBufferPointer { b in
            guard let p = b.baseAddress else { return 0 }
            return apply(to: p, rows: dim > 0 ? b.count / dim : 0)
        }
    }

    /// Z-scores `rows × dim` floats at `p` (row-major) in place; NaN cells become 0. Returns how many were NaN.
    @discardableResult
    public func apply(to p: UnsafeMutablePointer<Float>, rows: Int) -> Int {
        let d = dim
        var filled = 0
        mean.withUnsafeBufferPointer { mb in
            std.withUnsafeBufferPointer { sb in
                guard let m = mb.baseAddress, let s = sb.baseAddress else { return }
                for r in 0..<rows {
                    let row = p + r * d
                    for j in 0..<d {     // branch-free so that it vectorises
                        let x = row[j]
                        let present = x == x
                        row[j] = present ? (x - m[j]) / s[j] : 0
                        filled &+= present ? 0 : 1
                    }
                }
            }
        }
        return filled
    }
}
