/// "Did you mean …?" for names a person typed: the closest candidate by edit distance, when it is
/// close enough to be a likely typo (at most a third of the name's length, and at least 2 edits allowed).
public func closestName(to name: String, in candidates: [String]) -> String? {
    let a = Array(name.lowercased())
    var best: (name: String, distance: Int)?
    for candidate in candidates {
        let b = Array(candidate.lowercased())
        var previous = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(1, b.count) where !b.isEmpty {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        let distance = a.isEmpty ? b.count : previous[b.count]
        if best == nil || distance < best!.distance { best = (candidate, distance) }
    }
    guard let best, best.distance > 0, best.distance <= Swift.max(2, a.count / 3) else { return nil }
    return best.name
}

/// `" (did you mean 'x'?)"` or an empty string.
func didYouMean(_ name: String, _ candidates: [String]) -> String {
    closestName(to: name, in: candidates).map { " (did you mean '\($0)'?)" } ?? ""
}
