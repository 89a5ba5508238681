import ArgumentParser
import EmoFuse
import Foundation

/// `emofuse import --torch`: a plain PyTorch state_dict becomes an EmoFuse model checkpoint.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a PyTorch state_dict (safetensors; rnn.* = nn.GRU/nn.LSTM with batch_first, head.* = nn.Linear per step) as an EmoFuse checkpoint.",
        discussion: "The network (cell, layers, hidden size, direction, input and output sizes) is inferred from the tensor names and shapes. With --data, the normalisation statistics are fitted on that dataset's train partition, as training does; without, the model reads features unnormalised.")

    @Option(help: "The state_dict saved with safetensors (safetensors.torch.save_file(model.state_dict(), F)).") var torch: String
    @Option(help: "The feature sets the model reads, in column order (comma-separated).") var inputs: String
    @Option(help: "The emotion it predicts.") var emotion: String?
    @Option(help: "Prefix of the module's tensor names, e.g. 'model.' for model.rnn.weight_ih_l0.") var prefix: String = ""
    @Option(help: "Model name (default pred-<inputs>-<emotion>).") var name: String?
    @Option(help: "A MuSe-layout dataset whose train partition gives the normalisation statistics.") var data: String?
    @Option(help: "Where to write the checkpoint (default <run>/checkpoints/<name>.safetensors).") var out: String?
    @Option(name: .customLong("run"), help: "Run folder for the default output path.") var runFolder: String = "runs/imported"

    func run() throws {
        var options = TorchImport.Options(inputs: inputs.split(separator: ",").map(String.init), emotion: emotion)
        options.prefix = prefix
        options.name = name
        let modelName = name ?? "pred-\(options.inputs.joined(separator: "+"))" + (emotion.map { "-\($0)" } ?? "")
        let output = out.map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: runFolder).appendingPathComponent("checkpoints/\(modelName).safetensors")
        let (card, config) = try TorchImport.run(URL(fileURLWithPath: torch), options: options,
                                       data: data.map { URL(fileURLWithPath: $0) }, to: output)
        print("imported \(TorchImport.describe(config)) as \(card.name) → \(output.path)"
              + (data == nil ? " (no --data: identity normalisation)" : ""))
    }
}
