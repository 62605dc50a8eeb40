// `harness import`: a PyTorch state dict saved with safetensors becomes a harness model, usable
// with --source-model, eval and train. See the README for the PyTorch side.
import ArgumentParser
import Foundation
import HarnessCore

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn a PyTorch state dict (safetensors) into a harness model.",
        discussion: """
            Example: harness import net.safetensors --input 1x28x28 --mean 0.2860 --std 0.3530 --out net.harness.safetensors
            With the default --spec standard the PyTorch network is harness's default one (conv1-conv5, fc6-fc8; see \
            the README), its classes read from the classifier's weight. Tensors are matched by name (conv1.weight), or \
            through --layer-names when the PyTorch modules are named otherwise (e.g. features.0,features.3,...).
            """)

    @Argument(help: ArgumentHelp("The state dict, saved with safetensors (safetensors.torch.save_file).", valueName: "file"))
    var stateDict: String

    @Option(help: ArgumentHelp("standard (harness's default network) or a network spec as JSON.", valueName: "spec"))
    var spec: String = "standard"

    @Option(name: .customLong("input"), help: ArgumentHelp("The input shape of the standard network.", valueName: "CxHxW"))
    var inputText: String = "1x28x28"

    @Option(help: ArgumentHelp("The state dict's module names of the learnable layers, in order, when they are not conv1, …, fc8.", valueName: "list"))
    var layerNames: String?

    @Option(help: ArgumentHelp("Class names, in the classifier's order.", valueName: "list"))
    var classNames: String?

    @Option(help: ArgumentHelp("Per-channel mean the network's inputs were normalised with (pixels in [0, 1]), e.g. 0.2860 or 0.485,0.456,0.406.", valueName: "list"))
    var mean: String?

    @Option(help: ArgumentHelp("Per-channel standard deviation, with --mean.", valueName: "list"))
    var std: String?

    @Flag(help: "Accept tensors the spec has no place for (running statistics the forward pass does not use).")
    var ignoreUnused = false

    @Option(help: ArgumentHelp("The harness model to write.", valueName: "file"))
    var out: String

    func floats(_ text: String?) -> [Float]? { text.map { $0.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) } } }

    func validate() throws {
        _ = try parsedInputShape(inputText, example: "1x28x28")
        guard (mean == nil) == (std == nil) else { throw ValidationError("--mean and --std go together") }
        if let m = floats(mean), let s = floats(std) {
            guard m.count == mean!.split(separator: ",").count, s.count == std!.split(separator: ",").count, m.count == s.count,
                  s.allSatisfy({ $0 > 0 }) else {
                throw ValidationError("--mean and --std take the same number of comma-separated numbers, std positive")
            }
        }
    }

    func run() throws {
        var request = ModelImport(path: stateDict, spec: spec == "standard" ? .standard(InputShape(inputText)!) : .json(spec),
                                  layerNames: layerNames.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } },
                                  classNames: classNames.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } },
                                  normalization: floats(mean).map { Normalization(mean: $0, std: floats(std)!) })
        request.ignoreUnused = ignoreUnused
        let model = try request.convert()
        try model.write(to: out)
        let params = model.network.parameters.reduce(0) { $0 + $1.count }
        print("wrote \(out): \(model.network.spec.learnableLayerNames.count) learnable layers, \(params) parameters, input \(model.inputShape), "
              + "\(model.network.classes) classes" + (model.normalization == nil ? "; no normalisation stored (targets will use their own training statistics)" : ""))
    }
}
