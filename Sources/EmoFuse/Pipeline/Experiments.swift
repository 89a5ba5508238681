import Foundation

/// One table of results: rows of measured values beside the paper's.
public struct ExperimentTable: Codable, Sendable, Equatable {
    public struct Row: Codable, Sendable, Equatable {
        public var label: String
        /// Measured devel CCC per column, the mean over seeds (nil: not run).
        public var values: [Double?]
        /// The paper's value per column (nil: the paper has none).
        public var paper: [Double?]
        /// Mean ± sd over seeds and the bootstrap interval over devel subjects, per column.
        public var estimates: [Estimate?]
    }
    public var id: String
    public var title: String
    public var columns: [String]
    public var rows: [Row]
}

/// Everything `experiments.json` holds: the experiment tables (when run), the system's models
/// (devel/test estimates by replicate-free name), and the paper's claims judged on these data.
public struct ExperimentResults: Codable, Sendable, Equatable {
    public var seeds: [UInt64] = []
    public var tables: [ExperimentTable]
    public var models: [String: [String: Estimate]] = [:]
    public var claims: [Claim] = []
    /// With out-of-fold REs: the fusion model with out-of-fold vs in-sample vs no RE (paired).
    public var reVariants: [Comparison] = []
    /// With `causal` and `causalReference`: each system model − its bidirectional reference (paired).
    public var causalCost: [Comparison] = []
}

/// The paper's experiments (Tables 1–8) as models of the plan (`exp-…` names, so reruns reuse
/// them) and tables filled from their devel scores. Table 9 is the system itself (see ``Report``).
public enum Experiments {
    static let cellVariants: [(name: String, cell: CellType, bidirectional: Bool)] = [
        ("LSTM", .lstm, false), ("BiLSTM", .lstm, true), ("GRU", .gru, false), ("BiGRU", .gru, true),
    ]

    /// Adds the ablation models and the tables of the paper's experiments to `plan`.
    static func plan(_ config: RunConfiguration, into plan: inout Plan) throws {
        func settings(_ cell: CellType, _ bi: Bool, _ loss: LossKind) -> ModelSettings {
            var s = config.modelSettings
            s.grid.cells = [cell]; s.grid.bidirectional = [bi]
            s.training.loss = loss
            return s
        }
        /// An ablation regressor; returns its name.
        func ablation(_ v: (name: String, cell: CellType, bidirectional: Bool), _ loss: LossKind, withRE: Bool,
                      _ set: String, _ emotion: String, table: String) throws -> String {
            let name = ModelName.ablation(cell: v.name, loss: loss.rawValue, withRE: withRE, set, emotion)
            try plan.add(PlannedModel(name: name, role: .regressor,
                                      inputs: withRE ? [set, ModelName.autoencoder(set)] : [set], emotion: emotion,
                                      settings: settings(v.cell, v.bidirectional, loss), purpose: "Table \(table)"))
            return name
        }
        let biGRU = cellVariants[3]
        // Tables 1, 2: cell type, features only, CCC loss.
        for (t, emotion) in [("1", "arousal"), ("2", "valence")] where config.emotions.contains(emotion) {
            var rows: [TablePlan.Row] = []
            for set in config.featureSets {
                let models = try cellVariants.map { try ablation($0, .ccc, withRE: false, set, emotion, table: t) }
                rows.append(.init(label: set, models: models, paper: paper(PaperNumbers.cells, emotion, set, 4)))
            }
            plan.tables.append(TablePlan(id: t, title: "Recurrent cell, features only, CCC loss: devel CCC, \(emotion)",
                                         columns: cellVariants.map(\.name), rows: rows))
        }
        // Tables 3, 4: loss function, BiGRU, features only.
        for (t, emotion) in [("3", "arousal"), ("4", "valence")] where config.emotions.contains(emotion) {
            var rows: [TablePlan.Row] = []
            for set in config.featureSets {
                let models = try [LossKind.mse, .l1, .ccc].map { try ablation(biGRU, $0, withRE: false, set, emotion, table: t) }
                rows.append(.init(label: set, models: models, paper: paper(PaperNumbers.losses, emotion, set, 3)))
            }
            plan.tables.append(TablePlan(id: t, title: "Loss function, BiGRU, features only: devel CCC, \(emotion)",
                                         columns: ["MSE", "L1", "CCC"], rows: rows))
        }
        // Tables 5, 6: the difficulty indicator, BiGRU.
        for (t, emotion) in [("5", "arousal"), ("6", "valence")] where config.emotions.contains(emotion) {
            var rows: [TablePlan.Row] = []
            for set in config.featureSets {
                try plan.add(PaperSystem.autoencoder(config, set, purpose: "Table \(t): RE of \(set)"))
                let plain = try ablation(biGRU, .ccc, withRE: false, set, emotion, table: t)
                let withRE = try ablation(biGRU, .ccc, withRE: true, set, emotion, table: t)
                rows.append(.init(label: set, models: [plain, withRE], paper: paper(PaperNumbers.re, emotion, set, 2)))
            }
            plan.tables.append(TablePlan(id: t, title: "Difficulty indicator, BiGRU: devel CCC, \(emotion)",
                                         columns: ["features", "features + RE"], rows: rows))
        }
        // Table 7: fusion of the system's unimodal predictions, predictions only.
        var rows7: [TablePlan.Row] = []
        for (sets, paperValues) in PaperNumbers.fusionCombinations where sets.allSatisfy(config.featureSets.contains) {
            var models: [String?] = []
            for emotion in ["arousal", "valence"] {
                guard config.emotions.contains(emotion) else { models.append(nil); continue }
                let name = ModelName.fusionVariant(sets, withRE: false, outOfFold: false, emotion)
                var model = PaperSystem.fusionModel(config, emotion: emotion, withRE: false, sets: sets, name: name,
                                                    purpose: "Table 7")
                model.inputs = sets.map { ModelName.regressor([$0], emotion) }
                try plan.add(model)
                models.append(name)
            }
            rows7.append(.init(label: sets.joined(separator: " + "), models: models, paper: paperValues))
        }
        if !rows7.isEmpty {
            plan.tables.append(TablePlan(id: "7", title: "Fusion combinations, predictions only: devel CCC",
                                         columns: ["arousal", "valence"], rows: rows7))
        }
        // Table 8: the configured fusion sets, predictions only vs predictions + RE (the robustness
        // comparison's pair, planned by the system whenever experiments run).
        let sets = config.fusionSets.sets
        var plain: [String?] = [], withRE: [String?] = []
        for emotion in ["arousal", "valence"] {
            guard let pair = plan.robustness.first(where: { $0.emotion == emotion }) else {
                plain.append(nil); withRE.append(nil); continue
            }
            plain.append(pair.withoutRE); withRE.append(pair.withRE)
        }
        let paper8 = sets == RunConfiguration.paperFusionSets
        plan.tables.append(TablePlan(id: "8", title: "Fusion of \(sets.joined(separator: " + ")): devel CCC",
                                     columns: ["arousal", "valence"],
                                     rows: [.init(label: "predictions", models: plain, paper: paper8 ? PaperNumbers.fusionRE[0] : [nil, nil]),
                                            .init(label: "predictions + RE", models: withRE, paper: paper8 ? PaperNumbers.fusionRE[1] : [nil, nil])]))
    }

    private static func paper(_ table: [String: [String: [Double]]], _ emotion: String, _ set: String, _ n: Int) -> [Double?] {
        table[emotion]?[set].map { $0.map { Optional($0) } } ?? Array(repeating: nil, count: n)
    }
}
