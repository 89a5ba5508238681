import ArgumentParser
import EmoFuse
import Foundation

/// `emofuse inspect --data DIR [--json]`: what a dataset holds and every problem in it.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Summarise a dataset in the MuSe layout and list every problem found (exit 1 if any)."
    )

    @Option(name: .long, help: "Dataset root (holds feature_segments/, label_segments/, metadata/partition.csv).")
    var data: String

    @Option(name: .long, help: "A further root whose feature_segments/<set> folders take precedence (repeatable).")
    var overlay: [String] = []

    @Option(name: .long, help: "Allowed difference between feature and label row counts.")
    var rowTolerance: Int = 0

    @Flag(name: .long, help: "Do not read or write the binary cache of parsed files.")
    var noCache = false

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    func run() throws {
        let options = LoadOptions(rowTolerance: rowTolerance, useCache: !noCache)
        let report = MuseDataset.inspect(root: URL(fileURLWithPath: data),
                                         overlays: overlay.map { URL(fileURLWithPath: $0) }, options: options)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let text = String(decoding: try encoder.encode(JSONReport(report)), as: UTF8.self)
            print(text)
        } else {
            print(Self.render(report), terminator: "")
        }
        if !report.isValid {
            if !json {
                var err = InspectStandardError()
                print("\(report.problems.count) problem(s) found:", to: &err)
                for p in report.problems { print("  error: \(p)", to: &err) }
            }
            throw ExitCode(1)
        }
    }

    /// The JSON shape: the report plus `valid` and each problem's one-line text.
    struct JSONReport: Encodable {
        let report: DatasetReport
        init(_ report: DatasetReport) { self.report = report }

        enum Keys: String, CodingKey { case root, valid, partitions, featureSets, labels, problems, warnings }
        struct Item: Encodable {
            let file: String, line: Int?, column: Int?, message: String, text: String
            init(_ e: DatasetError) { file = e.file; line = e.line; column = e.column; message = e.message; text = e.description }
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(report.root, forKey: .root)
            try c.encode(report.isValid, forKey: .valid)
            try c.encode(report.partitions, forKey: .partitions)
            try c.encode(report.featureSets, forKey: .featureSets)
            try c.encode(report.labels, forKey: .labels)
            try c.encode(report.problems.map(Item.init), forKey: .problems)
            try c.encode(report.warnings.map(Item.init), forKey: .warnings)
        }
    }

    static func render(_ r: DatasetReport) -> String {
        var out = "Dataset \(r.root)\n"
        if !r.partitions.isEmpty {
            let total = r.partitions.reduce(0) { $0 + $1.subjects }
            out += "Partitions: " + r.partitions.map { "\($0.partition.rawValue) \($0.subjects)" }.joined(separator: ", ")
                + " (\(total) subjects)\n"
        }
        if !r.featureSets.isEmpty {
            out += "Feature sets:\n"
            out += "  " + pad("name", 20) + lpad("dim", 6) + lpad("files", 7) + lpad("rows min/median/max", 22)
                + lpad("step", 8) + lpad("missing cells", 16) + "\n"
            for f in r.featureSets {
                let rows = "\(f.rowsMin)/\(format(f.rowsMedian))/\(f.rowsMax)"
                let missing = f.cells > 0 ? "\(f.missingCells) (\(String(format: "%.2f", 100 * Double(f.missingCells) / Double(f.cells)))%)" : "0"
                out += "  " + pad(f.name, 20) + lpad("\(f.dim)", 6) + lpad("\(f.files)", 7) + lpad(rows, 22)
                    + lpad(f.timeStep.map(format) ?? "-", 8) + lpad(missing, 16) + "\n"
            }
        }
        if !r.labels.isEmpty {
            out += "Label coverage (fraction of non-empty cells):\n"
            out += "  " + pad("emotion", 20) + Partition.allCases.map { lpad($0.rawValue, 8) }.joined() + "\n"
            var emotions: [String] = []
            for l in r.labels where !emotions.contains(l.emotion) { emotions.append(l.emotion) }
            for e in emotions {
                out += "  " + pad(e, 20)
                for p in Partition.allCases {
                    let f = r.labels.first { $0.emotion == e && $0.partition == p }?.fraction
                    out += lpad(f.map { String(format: "%.3f", $0) } ?? "-", 8)
                }
                out += "\n"
            }
        }
        for w in r.warnings { out += "warning: \(w)\n" }
        out += r.isValid ? "Valid.\n" : ""
        return out
    }

    private static func format(_ x: Double) -> String {
        x == x.rounded() ? String(Int64(x)) : String(format: "%.1f", x)
    }
    private static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
    private static func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? " " + s : String(repeating: " ", count: n - s.count) + s }
}

/// Writes to stderr (`print(…, to: &err)`).
private struct InspectStandardError: TextOutputStream {
    mutating func write(_ string: String) { FileHandle.standardError.write(Data(string.utf8)) }
}
