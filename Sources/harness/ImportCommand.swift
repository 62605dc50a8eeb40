// `harness import`: a PyTorch state dict saved with safetensors becomes a harness model, usable
// with --source-model, eval and train. docs/guide.md ("Your own network, from PyTorch") shows the PyTorch side.
import ArgumentParser
import Foundation
import HarnessCore

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn a PyTorch state dict (safetensors) into a harness model.",
        discussion: """
            Example: harness import net.safetensors --input 1x28x28 --mean 0.2860 --std 0.3530 --out net.harness.safetensors
            With the default --network standard the PyTorch network is harness's default one (conv1-conv5, fc6-fc8; see \
            docs/architecture.md); --network resnet20 takes a torchvision-style ResNet (conv1, bn1, layer1.0.conv1, ..., fc). \
            Its classes are read from the classifier's weight. Tensors are matched by name (conv1.weight, \
            bn1.running_mean), or through --layer-names when the PyTorch modules are named otherwise (e.g. features.0,features.3,...).
            """)

    @Argument(help: ArgumentHelp("The state dict: safetensors (safetensors.torch.save_file), or a .pth/.pt file saved with torch.save (read with Debian's python3-torch, torch.load(weights_only=True)).", valueName: "file"))
    var stateDict: String

    @Option(name: [.customLong("network"), .customLong("spec")],
            help: ArgumentHelp("The network the state dict belongs to: a name from `harness networks` (e.g. standard, resnet20) or a spec file (.json).",
                               valueName: "name|file"))
    var network: String = "standard"

    @Option(name: .customLong("input"), help: ArgumentHelp("The input shape the network takes (default: a spec file's own; 1x28x28 for a named network).", valueName: "CxHxW"))
    var inputText: String?

    @Option(help: ArgumentHelp("The state dict's module names of the layers with parameters, in order, when they are not the spec's own (conv1, …, fc8).", valueName: "list"))
    var layerNames: String?

    @Option(help: ArgumentHelp("Class names, in the classifier's order.", valueName: "list"))
    var classNames: String?

    @Option(help: ArgumentHelp("Per-channel mean the network's inputs were normalised with (pixels in [0, 1]), e.g. 0.2860 or 0.485,0.456,0.406.", valueName: "list"))
    var mean: String?

    @Option(help: ArgumentHelp("Per-channel standard deviation, with --mean.", valueName: "list"))
    var std: String?

    @Option(help: ArgumentHelp("How images are brought to the input: crop (ImageNet's: shorter side to 256 for 224, centre crop; the default for the zoo's ImageNet networks), crop:FRACTION, or stretch (the default otherwise).", valueName: "framing"))
    var framing: String?

    @Flag(help: "Accept tensors the spec has no place for (tensors the forward pass does not use, such as an auxiliary head).")
    var ignoreUnused = false

    @Option(help: ArgumentHelp("The harness model to write.", valueName: "file"))
    var out: String

    func floats(_ text: String?) -> [Float]? { text.map { $0.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) } } }

    func validate() throws {
        _ = try parsedInputShape(inputText, example: "1x28x28")
        do { _ = try NetworkChoice(network) } catch { throw ValidationError("\(error)") }
        do { _ = try framing.map(Framing.init(parsing:)) } catch { throw ValidationError("--framing: \(error)") }
        guard (mean == nil) == (std == nil) else { throw ValidationError("--mean and --std go together") }
        if let m = floats(mean), let s = floats(std) {
            guard m.count == mean!.split(separator: ",").count, s.count == std!.split(separator: ",").count, m.count == s.count,
                  s.allSatisfy({ $0 > 0 }) else {
                throw ValidationError("--mean and --std take the same number of comma-separated numbers, std positive")
            }
        }
    }

    func run() throws {
        var source = stateDict
        if PyTorchCheckpoint.isCheckpoint(stateDict) {
            let converted: PyTorchCheckpoint.Converted
            do { converted = try PyTorchCheckpoint.convert(stateDict) } catch { throw CLIError("\(error)") }
            converted.notes.forEach(note)
            source = converted.path
        }
        defer { if source != stateDict { try? FileManager.default.removeItem(atPath: (source as NSString).deletingLastPathComponent) } }
        var request = ModelImport(path: source, network: try NetworkChoice(network), input: inputText.flatMap(InputShape.init),
                                  layerNames: layerNames.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } },
                                  classNames: classNames.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } },
                                  normalization: floats(mean).map { Normalization(mean: $0, std: floats(std)!) })
        request.ignoreUnused = ignoreUnused
        request.framing = try framing.map(Framing.init(parsing:))
        let model: SavedModel
        do { model = try request.convert() } catch {
            // Errors name the file the user gave, not the converted copy.
            throw CLIError("\(error)".replacingOccurrences(of: source, with: stateDict))
        }
        try model.write(to: out)
        let params = model.network.parameters.reduce(0) { $0 + $1.count }
        print("wrote \(out): \(model.network.units.count) transfer units, \(params) parameters, input \(model.inputShape), "
              + "\(model.network.classes) classes, images \(model.framing.caption(model.inputShape))"
              + (model.normalization == nil ? "; no normalisation stored (targets will use their own training statistics)" : ""))
    }
}
