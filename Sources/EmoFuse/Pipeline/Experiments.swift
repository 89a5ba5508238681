import Foundation

/// One table of results: rows of measured values beside the paper's.
public struct ExperimentTable: Codable, Sendable, Equatable {
    public struct Row: Codable, Sendable, Equatable {
        public var label: String
        /// Measured devel CCC per column (nil: not run).
        public var values: [Double?]
        /// The paper's value per column (nil: the paper has none).
        public var paper: [Double?]
    }
    public var id: String
    public var title: String
    public var columns: [String]
    public var rows: [Row]
}

public struct ExperimentResults: Codable, Sendable, Equatable {
    public var tables: [ExperimentTable]
}

/// The paper's experiments (Tables 1–8) on the configured data, each model a named stage in the
/// run folder (`exp-…`), so reruns resume. Table 9 is the system itself (see ``Report``).
public enum Experiments {
    static let cellVariants: [(name: String, cell: CellType, bidirectional: Bool)] = [
        ("LSTM", .lstm, false), ("BiLSTM", .lstm, true), ("GRU", .gru, false), ("BiGRU", .gru, true),
    ]

    public static func run(_ config: RunConfiguration, context: RunContext) throws -> ExperimentResults {
        var tables: [ExperimentTable] = []
        func variant(_ cell: CellType, _ bi: Bool, _ loss: LossKind) -> RunContext {
            var c = context
            c.grid.cells = [cell]; c.grid.bidirectional = [bi]
            c.training.loss = loss
            return c
        }
        func ccc(_ outcome: ModelOutcome) -> Double? { outcome.scores["devel"] }

        // Tables 1, 2: cell type, features only, CCC loss.
        for (t, emotion) in [("1", "arousal"), ("2", "valence")] where config.emotions.contains(emotion) {
            var rows: [ExperimentTable.Row] = []
            for set in config.featureSets {
                var values: [Double?] = []
                for v in cellVariants {
                    let o = try Stages.regress(features: [set], emotion: emotion,
                                               name: "exp-\(v.name.lowercased())-ccc-\(set)-\(emotion)",
                                               context: variant(v.cell, v.bidirectional, .ccc))
                    values.append(ccc(o))
                }
                rows.append(.init(label: set, values: values, paper: paper(PaperNumbers.cells, emotion, set, 4)))
            }
            tables.append(ExperimentTable(id: t, title: "Recurrent cell, features only, CCC loss: devel CCC, \(emotion)",
                                          columns: cellVariants.map(\.name), rows: rows))
        }
        // Tables 3, 4: loss function, BiGRU, features only.
        for (t, emotion) in [("3", "arousal"), ("4", "valence")] where config.emotions.contains(emotion) {
            var rows: [ExperimentTable.Row] = []
            for set in config.featureSets {
                var values: [Double?] = []
                for loss in [LossKind.mse, .l1, .ccc] {
                    let o = try Stages.regress(features: [set], emotion: emotion,
                                               name: "exp-bigru-\(loss.rawValue)-\(set)-\(emotion)",
                                               context: variant(.gru, true, loss))
                    values.append(ccc(o))
                }
                rows.append(.init(label: set, values: values, paper: paper(PaperNumbers.losses, emotion, set, 3)))
            }
            tables.append(ExperimentTable(id: t, title: "Loss function, BiGRU, features only: devel CCC, \(emotion)",
                                          columns: ["MSE", "L1", "CCC"], rows: rows))
        }
        // Tables 5, 6: the difficulty indicator, BiGRU.
        for (t, emotion) in [("5", "arousal"), ("6", "valence")] where config.emotions.contains(emotion) {
            var rows: [ExperimentTable.Row] = []
            for set in config.featureSets {
                try Stages.autoencode(set: set, context: context)
                let plain = try Stages.regress(features: [set], emotion: emotion,
                                               name: "exp-bigru-ccc-\(set)-\(emotion)", context: variant(.gru, true, .ccc))
                let withRE = try Stages.regress(features: [set, "re-\(set)"], emotion: emotion,
                                                name: "exp-bigru-ccc-re-\(set)-\(emotion)", context: variant(.gru, true, .ccc))
                rows.append(.init(label: set, values: [ccc(plain), ccc(withRE)], paper: paper(PaperNumbers.re, emotion, set, 2)))
            }
            tables.append(ExperimentTable(id: t, title: "Difficulty indicator, BiGRU: devel CCC, \(emotion)",
                                          columns: ["features", "features + RE"], rows: rows))
        }
        // Table 7: fusion of the system's unimodal predictions, predictions only.
        var rows7: [ExperimentTable.Row] = []
        for (sets, paperValues) in PaperNumbers.fusionCombinations where sets.allSatisfy(config.featureSets.contains) {
            var values: [Double?] = []
            for emotion in ["arousal", "valence"] {
                guard config.emotions.contains(emotion) else { values.append(nil); continue }
                let o = try Stages.fuse(predictions: sets.map { "pred-\($0)-\(emotion)" }, emotion: emotion,
                                        name: "exp-fusion-\(sets.joined(separator: "+"))-\(emotion)", context: context)
                values.append(ccc(o))
            }
            rows7.append(.init(label: sets.joined(separator: " + "), values: values, paper: paperValues))
        }
        if !rows7.isEmpty {
            tables.append(ExperimentTable(id: "7", title: "Fusion combinations, predictions only: devel CCC",
                                          columns: ["arousal", "valence"], rows: rows7))
        }
        // Table 8: the configured fusion sets, predictions only vs predictions + RE.
        var plain: [Double?] = [], withRE: [Double?] = []
        for emotion in ["arousal", "valence"] {
            guard config.emotions.contains(emotion) else { plain.append(nil); withRE.append(nil); continue }
            let p = config.fusion.sets.map { "pred-\($0)-\(emotion)" }
            let a = try Stages.fuse(predictions: p, emotion: emotion,
                                    name: "exp-fusion-\(config.fusion.sets.joined(separator: "+"))-\(emotion)", context: context)
            let b = try Stages.fuse(predictions: p, with: config.fusion.sets.map { "re-\($0)" }, emotion: emotion,
                                    name: "exp-fusion-re-\(config.fusion.sets.joined(separator: "+"))-\(emotion)", context: context)
            plain.append(ccc(a)); withRE.append(ccc(b))
        }
        let paper8 = config.fusion.sets == ["egemaps", "vggface", "fau_intensity"]
        tables.append(ExperimentTable(id: "8", title: "Fusion of \(config.fusion.sets.joined(separator: " + ")): devel CCC",
                                      columns: ["arousal", "valence"],
                                      rows: [.init(label: "predictions", values: plain, paper: paper8 ? PaperNumbers.fusionRE[0] : [nil, nil]),
                                             .init(label: "predictions + RE", values: withRE, paper: paper8 ? PaperNumbers.fusionRE[1] : [nil, nil])]))
        let results = ExperimentResults(tables: tables)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(Array(try encoder.encode(results)), to: context.run.appendingPathComponent("experiments.json"))
        return results
    }

    private static func paper(_ table: [String: [String: [Double]]], _ emotion: String, _ set: String, _ n: Int) -> [Double?] {
        table[emotion]?[set].map { $0.map { Optional($0) } } ?? Array(repeating: nil, count: n)
    }
}
