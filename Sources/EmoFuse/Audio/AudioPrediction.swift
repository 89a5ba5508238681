import Foundation

extension FeatureExtraction {
    /// The extraction records of those `inputs` that were made by `emofuse features` (their folder
    /// holds `extraction.json`), or nil if none was. What a checkpoint stores in ``ModelCard/extraction``.
    public static func records(forInputs inputs: [String], dataset: MuseDataset) -> [String: FeatureExtraction]? {
        var out: [String: FeatureExtraction] = [:]
        for input in inputs {
            if let dir = dataset.featureSetDirectory(input), let r = try? read(from: dir) { out[input] = r }
        }
        return out.isEmpty ? nil : out
    }
}

/// `emofuse predict --checkpoint C --audio FILE…`: a trained model applied to new recordings.
///
/// The checkpoint's card says how its audio inputs were made (``ModelCard/extraction``); inputs
/// made by other models (`re-<set>`, `pred-…`) are recomputed from their checkpoints beside it in
/// the run folder, recursively. The recordings become a temporary MuSe-layout dataset (all in
/// the test partition, labels empty), the saved models run on it through ``Stages/predict``, and
/// each recording gets `<out>/<ID>.csv` (`timestamp,prediction`) and `<out>/<ID>.svg`.
public enum AudioPrediction {
    /// What the user asked for; a field left nil takes the checkpoint's value, a field that differs
    /// from it is an error (never a silent change).
    public struct Request: Sendable {
        public var set: AudioFeatureKind?
        public var window: Double?
        public var hop: Double?
        public var mode: SegmentMode?
        public init(set: AudioFeatureKind? = nil, window: Double? = nil, hop: Double? = nil, mode: SegmentMode? = nil) {
            self.set = set; self.window = window; self.hop = hop; self.mode = mode
        }
    }

    public struct Summary: Sendable {
        public var model: String
        public var files: [URL]
        public var extraction: FeatureExtraction
    }

    public static func run(checkpoint: URL, audio: [String], out: URL, request: Request = Request(), threads: Int = 2,
                           fallbackData: URL? = nil,
                           progress: (@Sendable (AudioFeatureWriter.Event) -> Void)? = nil) throws -> Summary {
        let (_, card) = try ModelStore.load(from: checkpoint)
        let folder = checkpoint.deletingLastPathComponent()
        // The models to run, inputs first, and the audio sets they need with their extraction.
        var order: [(url: URL, card: ModelCard, name: String)] = []
        var audioSets: [String: FeatureExtraction] = [:]
        var emotions: Set<String> = []
        func visit(_ url: URL, _ card: ModelCard, as name: String, depth: Int) throws {
            guard depth < 8 else { throw CheckpointError(file: url.path, message: "model inputs nest too deeply (a cycle?)") }
            if let e = card.emotion { emotions.insert(e) }
            for input in card.inputs {
                if let record = card.extraction?[input] ?? fallbackRecord(input, fallbackData) {
                    if let other = audioSets[input], !other.differences(from: record).isEmpty {
                        throw CheckpointError(file: url.path, message: "input '\(input)' was made two ways by the models of this run: \(other.differences(from: record))")
                    }
                    audioSets[input] = record
                    continue
                }
                if order.contains(where: { $0.name == input }) { continue }
                let base = input.hasSuffix("-oof") ? String(input.dropLast(4)) : input  // out-of-fold sets: the same model on new data
                let dep = folder.appendingPathComponent("\(base).safetensors")
                guard FileManager.default.fileExists(atPath: dep.path) else {
                    throw CheckpointError(file: url.path, message: "input '\(input)' is neither recorded as extracted from audio (train on features made by `emofuse features`, or give --data with the dataset whose feature_segments/\(input)/extraction.json says how) nor made by a model with a checkpoint \(dep.path)")
                }
                let (_, depCard) = try ModelStore.load(from: dep)
                try visit(dep, depCard, as: input, depth: depth + 1)
            }
            order.append((url, card, name))
        }
        try visit(checkpoint, card, as: card.name, depth: 0)
        guard let (setName, recorded) = audioSets.min(by: { $0.key < $1.key }) else {
            throw CheckpointError(file: checkpoint.path, message: "the model uses no feature set extracted from audio (inputs: \(card.inputs.joined(separator: ", ")))")
        }
        guard audioSets.count == 1 else {
            throw CheckpointError(file: checkpoint.path, message: "the model needs several audio feature sets (\(audioSets.keys.sorted().joined(separator: ", "))); predicting from audio supports one")
        }
        let wanted = FeatureExtraction(set: request.set ?? recorded.set, window: request.window ?? recorded.window,
                                       hop: request.hop ?? recorded.hop, mode: request.mode ?? recorded.mode,
                                       config: recorded.config, configDigest: recorded.configDigest)
        let asked = wanted.differences(from: recorded)
        if !asked.isEmpty {
            throw CheckpointError(file: checkpoint.path, message: "the model was trained on features made differently from those requested: \(asked) (requested vs checkpoint); drop the option to use the checkpoint's")
        }
        let extractor = try FeatureExtractor(library: try OpenSmileLibrary.load(), set: recorded.set, window: recorded.window,
                                             hop: recorded.hop, mode: recorded.mode)
        let now = extractor.description.differences(from: recorded)
        if !now.isEmpty {
            throw CheckpointError(file: checkpoint.path, message: "this openSMILE installation would extract differently from the one the model was trained with: \(now) (installed vs checkpoint)")
        }

        // A temporary dataset of the recordings (test partition, empty labels) and a run folder.
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("emofuse-predict-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: work) }
        let data = work.appendingPathComponent("data"), run = work.appendingPathComponent("run")
        let recordings = try AudioFiles.list(audio)
        let features = try AudioFeatureWriter.run(recordings: recordings, extractor: extractor, out: data, threads: threads, progress: progress)
        if setName != recorded.set.folderName {
            try FileManager.default.moveItem(at: data.appendingPathComponent("feature_segments/\(recorded.set.folderName)"),
                                             to: data.appendingPathComponent("feature_segments/\(setName)"))
        }
        var partition = "Id,Proposal\n"
        for r in recordings { partition += "\(r.id),test\n" }
        try AtomicFile.write(partition, to: data.appendingPathComponent("metadata/partition.csv"))
        for e in emotions.sorted() {
            try RecordingsDataset.writeLabels(emotion: e, files: recordings.map { r in
                let rows = recorded.rowCount(duration: features.durations[r.id]!)
                return .init(id: r.id, timestamps: (0..<rows).map { Int64(recorded.timestampMilliseconds(row: $0)) },
                             values: [Float](repeating: .nan, count: rows))
            }, to: data)
        }
        try runModels(order.map { ($0.url, $0.name) }, data: data, run: run, threads: threads)

        // One CSV and one SVG trace per recording.
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let outputs = try MuseDataset(root: data, overlays: [run], options: LoadOptions(useCache: false)).featureSet(card.name)
        var files: [URL] = []
        for r in recordings {
            guard let seq = outputs.sequences[r.id] else { continue }
            var w = CSVWriter(reservingCapacity: 32 + 24 * seq.rows)
            w.appendRow(["timestamp", "prediction"])
            for i in 0..<seq.rows { w.appendInt(seq.timestamps[i]); w.appendFloat(seq.values[i * seq.dim]); w.endRow() }
            let csv = out.appendingPathComponent(r.id + ".csv")
            try AtomicFile.write(w.bytes, to: csv)
            var chart = SVGChart(title: "\(r.id): \(card.name)", xLabel: "time (s)", yLabel: card.emotion ?? "output")
            chart.series = [.init(label: card.emotion ?? card.name, color: SVGChart.palette[0],
                                  points: (0..<seq.rows).map { (Double(seq.timestamps[$0]) / 1000, Double(seq.values[$0 * seq.dim])) })]
            try AtomicFile.write(chart.render(), to: out.appendingPathComponent(r.id + ".svg"))
            files.append(csv)
        }
        return Summary(model: card.name, files: files, extraction: recorded)
    }

    private static func fallbackRecord(_ input: String, _ data: URL?) -> FeatureExtraction? {
        guard let data else { return nil }
        return try? FeatureExtraction.read(from: data.appendingPathComponent("feature_segments").appendingPathComponent(input))
    }

    /// Runs each saved model over the temporary dataset, inputs first. The one place that calls
    /// the pipeline (kept small so that it follows the pipeline's entry points).
    static func runModels(_ models: [(checkpoint: URL, name: String)], data: URL, run: URL, threads: Int) throws {
        let context = RunContext(data: data, run: run, loadOptions: LoadOptions(useCache: false))
        for m in models {
            try Stages.predict(checkpoint: m.checkpoint, name: m.name, threads: max(1, threads), context: context)
        }
    }
}
