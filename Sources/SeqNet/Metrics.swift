/// Concordance correlation coefficient (Lin's CCC) of paired values:
/// `2·cov(p, g) / (var(p) + var(g) + (mean(p) − mean(g))²)`, moments with 1/N, accumulated in Double
/// (two passes: means, then centred sums).
///
/// Returns 0 when undefined: fewer than 2 values, or a denominator `≤ cccDenominatorFloor`
/// (both series constant with equal means). The two arrays must have the same count.
public func concordanceCorrelation(_ predictions: [Float], _ gold: [Float]) -> Double {
    precondition(predictions.count == gold.count,
                 "concordanceCorrelation: \(predictions.count) predictions but \(gold.count) gold values")
    return predictions.withUnsafeBufferPointer { p in
        gold.withUnsafeBufferPointer { g in concordanceCorrelation(p, g) }
    }
}

/// Pointer form of ``concordanceCorrelation(_:_:)-([Float],[Float])`` (same definition), for
/// callers that already hold contiguous buffers.
public func concordanceCorrelation(_ predictions: UnsafeBufferPointer<Float>, _ gold: UnsafeBufferPointer<Float>) -> Double {
    precondition(predictions.count == gold.count,
                 "concordanceCorrelation: \(predictions.count) predictions but \(gold.count) gold values")
    let n = predictions.count
    guard n >= 2, let p = predictions.baseAddress, let g = gold.baseAddress else { return 0 }
    var sumP = 0.0, sumG = 0.0
    for i in 0..<n {
        sumP += Double(p[i])
        sumG += Double(g[i])
    }
    let meanP = sumP / Double(n), meanG = sumG / Double(n)
    var spp = 0.0, sgg = 0.0, spg = 0.0
    for i in 0..<n {
        let dp = Double(p[i]) - meanP, dg = Double(g[i]) - meanG
        spp += dp * dp
        sgg += dg * dg
        spg += dp * dg
    }
    let diff = meanP - meanG
    let den = (spp + sgg) / Double(n) + diff * diff
    guard den > cccDenominatorFloor else { return 0 }
    return 2 * (spg / Double(n)) / den
}
