/// Training losses over padded, time-major sequence batches.
public enum LossKind: String, Codable, Sendable, CaseIterable {
    /// `1 − CCC`, per sequence and output channel over its valid steps, averaged (the MuSe baseline's form).
    case ccc
    /// Mean squared error over all valid entries.
    case mse
    /// Mean absolute error over all valid entries.
    case l1
}

/// The CCC of a sequence is defined as 0 (loss 1, zero gradient) when its denominator
/// `var_p + var_y + (mean_p − mean_y)²` is at or below this floor.
///
/// The MuSe baseline adds no epsilon and yields NaN there. The floor only decides the case
/// where both series are (numerically) constant with equal means; a 1e-8 epsilon added to
/// every denominator, as some PyTorch code does, would instead bias every value. With Double
/// moments a constant series has exactly zero variance, so the floor is never hit by accident.
/// `scripts/parity/parity_net.py` uses the same definition.
public let cccDenominatorFloor: Double = 1e-12

/// Loss of `predictions` against `targets` over the valid entries of a padded batch.
///
/// - `predictions`, `targets`: time-major `[steps × batchSize × outputs]`, element `(t, b, o)` at
///   `(t * batchSize + b) * outputs + o`.
/// - `mask`: `[steps × batchSize]`; an entry is valid when its mask value is nonzero (use 1), ignored when 0.
///   Masks need not be prefixes (holes are allowed).
/// - `gradient`: if given (same count as `predictions`), OVERWRITTEN with dLoss/dPredictions;
///   0 at ignored entries.
///
/// `.ccc`: for each sequence `b` and channel `o` with `n ≥ 1` valid steps,
/// `ccc = 2·cov / (var_p + var_y + (mean_p − mean_y)²)` with 1/n moments (0 when the denominator is
/// `≤ cccDenominatorFloor`); the loss is the mean of `1 − ccc` over those (sequence, channel) pairs.
/// Sequences without a valid step contribute nothing. `.mse`, `.l1`: mean over all valid
/// `(t, b, o)` entries; the L1 gradient uses sign(0) = 0. With no valid entry at all the loss is 0
/// and the gradient zero. Moments and sums are accumulated in Double.
/// - `threads`: `.mse` and `.l1` over wide outputs split their rows over up to this many threads;
///   row sums are added in row order, so the result does not depend on it.
public func sequenceLoss(_ kind: LossKind, predictions: FloatBuffer, targets: FloatBuffer, mask: FloatBuffer,
                         steps: Int, batchSize: Int, outputs: Int, gradient: FloatBuffer?,
                         threads: Int = 1) -> Double {
    let n = steps * batchSize * outputs
    precondition(steps >= 0 && batchSize >= 0 && outputs >= 0, "sequenceLoss: negative dimension")
    precondition(predictions.count == n, "sequenceLoss: predictions hold \(predictions.count) values, expected \(n)")
    precondition(targets.count == n, "sequenceLoss: targets hold \(targets.count) values, expected \(n)")
    precondition(mask.count == steps * batchSize, "sequenceLoss: mask holds \(mask.count) values, expected \(steps * batchSize)")
    if let g = gradient { precondition(g.count == n, "sequenceLoss: gradient holds \(g.count) values, expected \(n)") }
    let dims = LossDims(steps: steps, batchSize: batchSize, outputs: outputs)
    switch kind {
    case .ccc:
        return cccLoss(dims, predictions.pointer, targets.pointer, mask.pointer, gradient?.pointer)
    case .mse, .l1:
        return pointwiseLoss(squared: kind == .mse, dims, predictions.pointer, targets.pointer, mask.pointer,
                             gradient?.pointer, threads: threads)
    }
}

private struct LossDims {
    let steps: Int, batchSize: Int, outputs: Int
}

/// `1 − CCC` per (sequence, channel) lane, two passes over the data (means, then centred moments).
private func cccLoss(_ d: LossDims, _ p: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                     _ mask: UnsafeMutablePointer<Float>, _ grad: UnsafeMutablePointer<Float>?) -> Double {
    let lanes = d.batchSize * d.outputs
    // Per lane: 0 sumP/meanP, 1 sumY/meanY, 2 Spp, 3 Syy, 4 Spy, 5 ccc, 6 gradient scale.
    let stats = UnsafeMutablePointer<Double>.allocate(capacity: max(1, lanes * 7))
    stats.initialize(repeating: 0, count: max(1, lanes * 7))
    let counts = UnsafeMutablePointer<Int>.allocate(capacity: max(1, d.batchSize))
    counts.initialize(repeating: 0, count: max(1, d.batchSize))
    defer { stats.deallocate(); counts.deallocate() }
    let sumP = stats, sumY = stats + lanes, spp = stats + 2 * lanes, syy = stats + 3 * lanes
    let spy = stats + 4 * lanes, cccs = stats + 5 * lanes, scale = stats + 6 * lanes

    for t in 0..<d.steps {
        for b in 0..<d.batchSize where mask[t * d.batchSize + b] != 0 {
            counts[b] += 1
            let base = (t * d.batchSize + b) * d.outputs, lane = b * d.outputs
            for o in 0..<d.outputs {
                sumP[lane + o] += Double(p[base + o])
                sumY[lane + o] += Double(y[base + o])
            }
        }
    }
    for b in 0..<d.batchSize where counts[b] > 0 {
        let inv = 1 / Double(counts[b])
        for o in 0..<d.outputs {
            sumP[b * d.outputs + o] *= inv   // now the means
            sumY[b * d.outputs + o] *= inv
        }
    }
    let meanP = sumP, meanY = sumY
    for t in 0..<d.steps {
        for b in 0..<d.batchSize where mask[t * d.batchSize + b] != 0 {
            let base = (t * d.batchSize + b) * d.outputs, lane = b * d.outputs
            for o in 0..<d.outputs {
                let dp = Double(p[base + o]) - meanP[lane + o]
                let dy = Double(y[base + o]) - meanY[lane + o]
                spp[lane + o] += dp * dp
                syy[lane + o] += dy * dy
                spy[lane + o] += dp * dy
            }
        }
    }
    var total = 0.0
    var used = 0
    for b in 0..<d.batchSize where counts[b] > 0 {
        let count = Double(counts[b])
        for o in 0..<d.outputs {
            let l = b * d.outputs + o
            let diff = meanP[l] - meanY[l]
            let den = (spp[l] + syy[l]) / count + diff * diff
            if den > cccDenominatorFloor {
                cccs[l] = 2 * (spy[l] / count) / den
                scale[l] = 2 / (count * den)
            } else {
                cccs[l] = 0
                scale[l] = 0
            }
            total += 1 - cccs[l]
            used += 1
        }
    }
    let loss = used > 0 ? total / Double(used) : 0

    if let g = grad {
        // dccc/dp_t = 2/(n·den) · ((y_t − mean_y) − ccc·(p_t − mean_y)); dLoss/dp_t = −dccc/dp_t / used.
        let negInvUsed = used > 0 ? -1 / Double(used) : 0
        for t in 0..<d.steps {
            for b in 0..<d.batchSize {
                let base = (t * d.batchSize + b) * d.outputs
                if mask[t * d.batchSize + b] == 0 {
                    (g + base).update(repeating: 0, count: d.outputs)
                    continue
                }
                let lane = b * d.outputs
                for o in 0..<d.outputs {
                    let l = lane + o
                    let yc = Double(y[base + o]) - meanY[l]
                    let pc = Double(p[base + o]) - meanY[l]
                    g[base + o] = Float(negInvUsed * scale[l] * (yc - cccs[l] * pc))
                }
            }
        }
    }
    return loss
}

/// Mean of `(p − y)²` (or `|p − y|`) over the valid entries, and its gradient.
///
/// Each valid row of `outputs` contiguous values is processed 8 lanes at a time: differences and
/// gradients in Float (the gradient `2(p − y)/count` is one rounding from the Double value), the
/// row's sum in Float lanes, added to a Double total per row. (Auto-encoder batches have
/// `outputs` in the thousands, so a scalar Double loop would cost as much as a network layer.)
private func pointwiseLoss(squared: Bool, _ d: LossDims, _ p: UnsafeMutablePointer<Float>,
                           _ y: UnsafeMutablePointer<Float>, _ mask: UnsafeMutablePointer<Float>,
                           _ grad: UnsafeMutablePointer<Float>?, threads: Int) -> Double {
    let rows = d.steps * d.batchSize
    var validRows = 0
    for i in 0..<rows where mask[i] != 0 { validRows += 1 }
    let count = validRows * d.outputs
    let invCount = count > 0 ? 1 / Double(count) : 0
    let scale = Float(squared ? 2 * invCount : invCount)
    // Rows on up to `threads` threads (a 4097-wide auto-encoder's batch is 315 MB per pass), each
    // row's sum kept; the sums are then added in row order, so the loss does not depend on threads.
    let rowSums = UnsafeMutablePointer<Double>.allocate(capacity: max(1, rows))
    defer { rowSums.deallocate() }
    forEachChunk(of: rows, threads: d.outputs >= 64 ? threads : 1, minimumChunk: 64) { part in
        for row in part {
            rowSums[row] = pointwiseRow(squared: squared, width: d.outputs, scale: scale, valid: mask[row] != 0,
                                        p + row * d.outputs, y + row * d.outputs, grad.map { $0 + row * d.outputs })
        }
    }
    var total = 0.0
    for row in 0..<rows where mask[row] != 0 { total += rowSums[row] }
    return total * invCount
}

/// One row of ``pointwiseLoss``: writes its gradient (zero when not `valid`) and returns its sum.
@inline(__always)
private func pointwiseRow(squared: Bool, width: Int, scale: Float, valid: Bool, _ p: UnsafeMutablePointer<Float>,
                          _ y: UnsafeMutablePointer<Float>, _ grad: UnsafeMutablePointer<Float>?) -> Double {
    typealias V = SIMD8<Float>
    guard valid else {
        grad?.update(repeating: 0, count: width)
        return 0
    }
    let vScale = V(repeating: scale), one = V(repeating: 1), minusOne = V(repeating: -1)
    var acc = V(repeating: 0)
    var o = 0
    while o + 8 <= width {
        let pv = UnsafeRawPointer(p + o).loadUnaligned(as: V.self)
        let yv = UnsafeRawPointer(y + o).loadUnaligned(as: V.self)
        let diff = pv - yv
        let g: V
        if squared {
            acc = acc + diff * diff
            g = diff * vScale
        } else {
            var sign = V(repeating: 0)
            sign.replace(with: one, where: diff .> 0)
            sign.replace(with: minusOne, where: diff .< 0)
            acc = acc + diff * sign
            g = sign * vScale
        }
        if let gp = grad { UnsafeMutableRawPointer(gp + o).storeBytes(of: g, as: V.self) }
        o += 8
    }
    var rowSum = 0.0
    for lane in 0..<8 { rowSum += Double(acc[lane]) }
    while o < width {
        let diff = p[o] - y[o]
        if squared {
            rowSum += Double(diff) * Double(diff)
            grad?[o] = diff * scale
        } else {
            let sign: Float = diff > 0 ? 1 : (diff < 0 ? -1 : 0)
            rowSum += Double(abs(diff))
            grad?[o] = sign * scale
        }
        o += 1
    }
    return rowSum
}
