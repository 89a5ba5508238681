/// Jumping a ``RandomSource`` ahead by any number of draws without making them, so that two
/// threads can each draw half of one sequence (a dropout mask) and get the bits one thread would.
///
/// xoshiro256's state update is linear over GF(2): state ↦ M·state for a 256 × 256 bit matrix M.
/// With P the characteristic polynomial of M (P(M) = 0, Cayley–Hamilton), M^n = r(M) for
/// r = xⁿ mod P, so the state after n draws is Σ rᵢ·(state after i draws), i < 256: 256 steps
/// and a 256-bit polynomial power instead of n steps. P is found once, by Berlekamp–Massey on
/// 512 output bits (its degree is checked to be 256, i.e. P is M's minimal polynomial).
extension RandomSource {
    /// This generator advanced by `draws` calls of `next()` (without making them).
    public func jumped(by draws: Int) -> RandomSource {
        precondition(draws >= 0, "RandomSource.jumped: draws must be non-negative")
        if draws < 256 {
            var copy = self
            for _ in 0..<draws { _ = copy.nextBits() }
            return copy
        }
        let r = Polynomial256.power(ofX: draws, modulo: RandomSource.characteristic)
        var walker = self, sum = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        for i in 0..<256 {
            if r.bit(i) {
                let s = walker.stateWords
                sum = (sum.0 ^ s.0, sum.1 ^ s.1, sum.2 ^ s.2, sum.3 ^ s.3)
            }
            _ = walker.nextBits()
        }
        return RandomSource(stateWords: sum)
    }

    /// The low 256 coefficients of the characteristic polynomial (x²⁵⁶ + …) of the state update.
    static let characteristic: Polynomial256 = {
        // One output bit per step (bit 0 of s0 after each step) obeys the recurrence of M's
        // minimal polynomial; 512 bits determine a recurrence of degree up to 256.
        var g = RandomSource(seed: 0x5EED)
        var bits = [UInt8](repeating: 0, count: 512)
        for i in 0..<512 { bits[i] = UInt8(truncatingIfNeeded: g.stateWords.0 & 1); _ = g.nextBits() }
        let connection = berlekampMassey(bits)
        precondition(connection.count - 1 == 256, "RandomSource: unexpected recurrence degree \(connection.count - 1)")
        // Connection polynomial C(x) = 1 + c₁x + … + c₂₅₆x²⁵⁶; P(x) = x²⁵⁶·C(1/x), so P's
        // coefficient of xⁱ (i < 256) is c₂₅₆₋ᵢ.
        var p = Polynomial256()
        for i in 0..<256 where connection[256 - i] != 0 { p.setBit(i) }
        return p
    }()
}

/// The shortest linear recurrence `s[n] = Σ cᵢ·s[n−i]` over GF(2) of `bits` (each 0 or 1),
/// returned as `[1, c₁, …, c_L]`.
func berlekampMassey(_ bits: [UInt8]) -> [UInt8] {
    var c: [UInt8] = [1], b: [UInt8] = [1]
    var length = 0, shift = 1
    for n in 0..<bits.count {
        var d = bits[n]
        for i in 1...max(1, length) where i < c.count && i <= n { d ^= c[i] & bits[n - i] }
        if d == 0 { shift += 1; continue }
        let previous = c
        if c.count < b.count + shift { c += [UInt8](repeating: 0, count: b.count + shift - c.count) }
        for i in 0..<b.count { c[i + shift] ^= b[i] }
        if 2 * length <= n {
            length = n + 1 - length
            b = previous
            shift = 1
        } else {
            shift += 1
        }
    }
    return Array(c.prefix(length + 1)) + [UInt8](repeating: 0, count: max(0, length + 1 - c.count))
}

/// A polynomial over GF(2) of degree < 256 (bit i: the coefficient of xⁱ), reduced modulo a
/// monic degree-256 polynomial given by its low 256 coefficients.
struct Polynomial256: Equatable {
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    static func == (a: Polynomial256, b: Polynomial256) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }

    func bit(_ i: Int) -> Bool {
        let w: UInt64
        switch i >> 6 { case 0: w = words.0; case 1: w = words.1; case 2: w = words.2; default: w = words.3 }
        return (w >> UInt64(i & 63)) & 1 != 0
    }

    mutating func setBit(_ i: Int) {
        let m = UInt64(1) << UInt64(i & 63)
        switch i >> 6 { case 0: words.0 |= m; case 1: words.1 |= m; case 2: words.2 |= m; default: words.3 |= m }
    }

    /// `self · x mod P`.
    func timesX(modulo p: Polynomial256) -> Polynomial256 {
        let carry = words.3 >> 63
        var r = Polynomial256(words: (words.0 << 1, (words.1 << 1) | (words.0 >> 63),
                                      (words.2 << 1) | (words.1 >> 63), (words.3 << 1) | (words.2 >> 63)))
        if carry != 0 { r.words = (r.words.0 ^ p.words.0, r.words.1 ^ p.words.1, r.words.2 ^ p.words.2, r.words.3 ^ p.words.3) }
        return r
    }

    /// `self · other mod P` (shift-and-add from the top coefficient down).
    func times(_ other: Polynomial256, modulo p: Polynomial256) -> Polynomial256 {
        var r = Polynomial256()
        for i in stride(from: 255, through: 0, by: -1) {
            r = r.timesX(modulo: p)
            if bit(i) {
                r.words = (r.words.0 ^ other.words.0, r.words.1 ^ other.words.1,
                           r.words.2 ^ other.words.2, r.words.3 ^ other.words.3)
            }
        }
        return r
    }

    /// `xⁿ mod P` (square and multiply by x, from the top bit of n).
    static func power(ofX n: Int, modulo p: Polynomial256) -> Polynomial256 {
        var r = Polynomial256(words: (1, 0, 0, 0))
        guard n > 0 else { return r }
        for k in stride(from: Int.bitWidth - 1 - n.leadingZeroBitCount, through: 0, by: -1) {
            r = r.times(r, modulo: p)
            if (n >> k) & 1 != 0 { r = r.timesX(modulo: p) }
        }
        return r
    }
}
