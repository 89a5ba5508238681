import Foundation

/// Reads `metadata/partition.csv` (header `Id,Proposal`, one subject per row).
/// Returns the subjects in file order and every problem found (an ID may then be missing from the list).
func readPartitionFile(_ url: URL) -> (subjects: [Subject], lines: [String: Int], problems: [DatasetError]) {
    let file = url.path
    guard let data = FileManager.default.contents(atPath: file) else {
        let exists = FileManager.default.fileExists(atPath: file)
        return ([], [:], [DatasetError(file: file, message: exists ? "cannot read the file" : "file not found (every dataset needs metadata/partition.csv)")])
    }
    if data.isEmpty { return ([], [:], [DatasetError(file: file, message: "empty file (expected header Id,Proposal)")]) }
    var text = String(decoding: data, as: UTF8.self)
    if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
        line.hasSuffix("\r") ? line.dropLast() : line
    }
    if lines.last == "" { lines.removeLast() }

    var problems: [DatasetError] = []
    let header = lines.first.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(trimField) } ?? []
    guard header.count >= 2, let idCol = header.firstIndex(where: { $0.lowercased() == "id" }),
          let propCol = header.firstIndex(where: { $0.lowercased() == "proposal" })
    else {
        return ([], [:], [DatasetError(file: file, line: 1, column: 1,
                                       message: "header is '\(lines.first ?? "")', expected Id,Proposal")])
    }
    var subjects: [Subject] = []
    var firstLine: [String: Int] = [:]
    for (index, line) in lines.enumerated().dropFirst() {
        let lineNumber = index + 1
        if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
        let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(trimField)
        if cells.count != header.count {
            problems.append(DatasetError(file: file, line: lineNumber, column: min(cells.count, header.count) + 1,
                                         message: "row has \(cells.count) cells, the header has \(header.count)"))
            continue
        }
        let id = cells[idCol]
        let proposal = cells[propCol]
        if id.isEmpty {
            problems.append(DatasetError(file: file, line: lineNumber, column: idCol + 1, message: "empty Id"))
            continue
        }
        if id.contains("/") || id.hasPrefix(".") {
            problems.append(DatasetError(file: file, line: lineNumber, column: idCol + 1,
                                         message: "Id '\(id)' cannot name a file (contains '/' or starts with '.')"))
            continue
        }
        guard let partition = Partition(rawValue: proposal.lowercased()) else {
            problems.append(DatasetError(file: file, line: lineNumber, column: propCol + 1,
                                         message: "unknown Proposal '\(proposal)' for Id \(id) (expected train, devel or test)"))
            continue
        }
        if let earlier = firstLine[id] {
            problems.append(DatasetError(file: file, line: lineNumber, column: idCol + 1,
                                         message: "duplicate Id '\(id)' (first listed on line \(earlier))"))
            continue
        }
        firstLine[id] = lineNumber
        subjects.append(Subject(id: id, partition: partition))
    }
    if subjects.isEmpty && problems.isEmpty {
        problems.append(DatasetError(file: file, line: 2, message: "no subjects listed"))
    }
    return (subjects, firstLine, problems)
}

private func trimField(_ s: Substring) -> String {
    var t = s.trimmingCharacters(in: .whitespaces)
    if t.count >= 2 && t.hasPrefix("\"") && t.hasSuffix("\"") { t = String(t.dropFirst().dropLast()) }
    return t
}
