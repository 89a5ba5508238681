/// The hyperparameters tried for one model; the candidate with the best devel metric is kept.
///
/// The paper chose the cell on devel, the learning rate from {0.001, 0.005, 0.0005} and the
/// dropout from {0.1, 0.2, 0.5}. The default here is one point of that grid (BiGRU, 0.001, 0.2,
/// seed 1), so that the full system trains in minutes; widen it in the run configuration.
public struct HyperparameterGrid: Codable, Sendable, Equatable {
    public var cells: [CellType] = [.gru]
    public var bidirectional: [Bool] = [true]
    public var learningRates: [Float] = [1e-3]
    public var dropouts: [Float] = [0.2]
    /// In a system run (`run`, `demo`, `experiments`): replicates, each model repeated once per seed
    /// (see ``PaperSystem/plan(_:)``). For one model (`train`, `fuse`): candidates like the others.
    public var seeds: [UInt64] = [1]

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable { case cells, bidirectional, learningRates, dropouts, seeds }

    public init(cells: [CellType], bidirectional: [Bool] = [true], learningRates: [Float],
                dropouts: [Float], seeds: [UInt64]) {
        self.cells = cells; self.bidirectional = bidirectional; self.learningRates = learningRates
        self.dropouts = dropouts; self.seeds = seeds
    }

    /// The paper's grid: {GRU, LSTM} bidirectional × {1e-3, 5e-3, 5e-4} × {0.1, 0.2, 0.5}.
    public static let paper = HyperparameterGrid(cells: [.gru, .lstm], learningRates: [1e-3, 5e-3, 5e-4],
                                                  dropouts: [0.1, 0.2, 0.5], seeds: [1])

    /// Rejects values that cannot train, naming them.
    public func validate() throws {
        for (name, count) in [("cells", cells.count), ("bidirectional", bidirectional.count),
                              ("learningRates", learningRates.count), ("dropouts", dropouts.count), ("seeds", seeds.count)]
        where count == 0 {
            throw TrainingError.invalid("grid.\(name) is empty: the grid would have no candidate")
        }
        if let lr = learningRates.first(where: { !($0 > 0 && $0.isFinite) }) {
            throw TrainingError.invalid("learning rate \(lr) must be positive")
        }
        if let p = dropouts.first(where: { !($0 >= 0 && $0 < 1) }) {
            throw TrainingError.invalid("dropout \(p) is not in [0, 1)")
        }
    }

    /// Every combination, in a fixed order.
    public func candidates(base: ModelSpec = ModelSpec()) -> [Candidate] {
        var out: [Candidate] = []
        for cell in cells {
            for bi in bidirectional {
                for lr in learningRates {
                    for dropout in dropouts {
                        for seed in seeds {
                            var spec = base
                            spec.cell = cell; spec.bidirectional = bi; spec.dropout = dropout
                            out.append(Candidate(spec: spec, learningRate: lr, seed: seed))
                        }
                    }
                }
            }
        }
        return out
    }
}

/// One point of a grid.
public struct Candidate: Codable, Sendable, Equatable, Hashable {
    public var spec: ModelSpec
    public var learningRate: Float
    public var seed: UInt64

    public var label: String {
        "\(spec.name) lr=\(learningRate) dropout=\(spec.dropout) seed=\(seed)"
    }
}

// Decoding with defaults for absent keys.
extension HyperparameterGrid {
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        cells = try c.decodeIfPresent([CellType].self, forKey: .cells) ?? cells
        bidirectional = try c.decodeIfPresent([Bool].self, forKey: .bidirectional) ?? bidirectional
        learningRates = try c.decodeIfPresent([Float].self, forKey: .learningRates) ?? learningRates
        dropouts = try c.decodeIfPresent([Float].self, forKey: .dropouts) ?? dropouts
        seeds = try c.decodeIfPresent([UInt64].self, forKey: .seeds) ?? seeds
    }
}

