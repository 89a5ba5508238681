/// A training window: rows `start ..< start + length` of subject `subject`.
public struct Window: Hashable, Sendable {
    /// Index into the subjects the row counts were given for.
    public let subject: Int
    public let start: Int
    public let length: Int

    public init(subject: Int, start: Int, length: Int) {
        self.subject = subject
        self.start = start
        self.length = length
    }
}

/// The baseline's windows: for each subject, windows of `length` rows starting every `hop` rows,
/// stopping after the first window that reaches the end (that last one may be shorter, covering the
/// tail). A subject shorter than `length` gives one window of all its rows; one with 0 rows gives none.
/// Windows are listed subject by subject, in start order.
public func trainingWindows(rows: [Int], length: Int = 300, hop: Int = 50) -> [Window] {
    precondition(length > 0 && hop > 0, "trainingWindows: length and hop must be positive")
    var windows: [Window] = []
    for (i, n) in rows.enumerated() {
        var start = 0
        while start < n {
            windows.append(Window(subject: i, start: start, length: min(length, n - start)))
            if start + length >= n { break }
            start += hop
        }
    }
    return windows
}
