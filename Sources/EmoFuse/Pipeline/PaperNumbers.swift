/// The numbers Hamieh et al. (MuSe 2021) report, for side-by-side columns in reports.
/// Devel CCC unless marked; keys are MuSe-Stress feature-set folder names.
enum PaperNumbers {
    /// Whether `dataset` is shaped like MuSe-Stress (its five feature sets, arousal and valence), so
    /// that the paper's numbers are a meaningful reference; otherwise reports leave them out.
    static func applies(to dataset: MuseDataset) -> Bool {
        let sets = Set(dataset.featureSetNames), emotions = Set(dataset.emotionNames)
        return ["egemaps", "deepspectrum", "vggface", "fau_intensity", "bert-4"].allSatisfy(sets.contains)
            && ["arousal", "valence"].allSatisfy(emotions.contains)
    }

    /// Tables 1 (arousal) and 2 (valence): [LSTM, BiLSTM, GRU, BiGRU], features only, CCC loss.
    static let cells: [String: [String: [Double]]] = [
        "arousal": ["egemaps": [0.4714, 0.5466, 0.4739, 0.5322], "vggface": [0.1809, 0.3561, 0.1283, 0.2293],
                    "fau_intensity": [0.3260, 0.3637, 0.3641, 0.3688], "bert-4": [0.2250, 0.3166, 0.2349, 0.2681],
                    "deepspectrum": [0.3339, 0.2617, 0.2538, 0.2185]],
        "valence": ["egemaps": [0.5926, 0.5597, 0.5671, 0.5646], "vggface": [0.5650, 0.5671, 0.5414, 0.6481],
                    "fau_intensity": [0.5480, 0.5952, 0.5531, 0.5143], "bert-4": [0.3025, 0.2538, 0.2828, 0.4473],
                    "deepspectrum": [0.5548, 0.5678, 0.5532, 0.5630]],
    ]
    /// Tables 3 and 4: BiGRU, features only, [MSE, L1, CCC] loss.
    static let losses: [String: [String: [Double]]] = [
        "arousal": ["egemaps": [0.3038, 0.3306, 0.5322], "vggface": [0.0772, 0.0159, 0.2293],
                    "fau_intensity": [0.3083, 0.4354, 0.3688], "bert-4": [0.3277, 0.3160, 0.2681],
                    "deepspectrum": [0.0666, 0.1201, 0.2185]],
        "valence": ["egemaps": [0.4465, 0.4414, 0.5646], "vggface": [0.5354, 0.3980, 0.6481],
                    "fau_intensity": [0.4011, 0.2885, 0.5143], "bert-4": [0.3658, 0.3095, 0.4473],
                    "deepspectrum": [0.5262, 0.4984, 0.5630]],
    ]
    /// Tables 5 and 6: BiGRU, [features, features + RE].
    static let re: [String: [String: [Double]]] = [
        "arousal": ["egemaps": [0.5322, 0.5829], "vggface": [0.2293, 0.3926], "fau_intensity": [0.3688, 0.3668],
                    "bert-4": [0.2681, 0.3457], "deepspectrum": [0.2185, 0.2498]],
        "valence": ["egemaps": [0.5646, 0.6353], "vggface": [0.6481, 0.6798], "fau_intensity": [0.5143, 0.5307],
                    "bert-4": [0.4473, 0.4655], "deepspectrum": [0.5630, 0.5676]],
    ]
    /// Table 7: fusion of unimodal predictions, [arousal, valence].
    static let fusionCombinations: [([String], [Double])] = [
        (["egemaps", "vggface"], [0.6205, 0.7024]),
        (["egemaps", "vggface", "bert-4"], [0.6031, 0.6811]),
        (["egemaps", "vggface", "deepspectrum"], [0.6199, 0.7320]),
        (["egemaps", "vggface", "fau_intensity"], [0.6469, 0.7653]),
    ]
    /// Table 8: egemaps + vggface + fau_intensity, [predictions only, predictions + RE] × [arousal, valence].
    static let fusionRE: [[Double]] = [[0.6469, 0.7653], [0.6554, 0.8036]]
    /// Table 9: [partition][emotion] → (MuSe 2021 baseline, paper).
    static let final: [String: [String: (baseline: Double, paper: Double)]] = [
        "devel": ["arousal": (0.5043, 0.6554), "valence": (0.6966, 0.8036), "combined": (0.6005, 0.7295)],
        "test": ["arousal": (0.4562, 0.4278), "valence": (0.5614, 0.5951), "combined": (0.5088, 0.5115)],
    ]
}
