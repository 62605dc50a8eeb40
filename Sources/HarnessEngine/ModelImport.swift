// A PyTorch state dict (saved with safetensors) plus a network spec becomes a harness model.
// PyTorch's layouts are harness's: Conv2d.weight is [out, in, kh, kw], Linear.weight [out, in],
// and flattening before the first Linear is channels-first, as here. Tensor names are matched
// to the spec's layers by name (`conv1.weight`, `layer1.0.bn1.running_mean`), or through the state dict's own module
// names listed in spec order (`features.0,features.3,…`).
import Foundation
import HarnessSupport
import HarnessData

public struct ModelImport {
    /// The state dict file.
    public var path: String
    /// The network the state dict belongs to, for this input shape; its classes are read from
    /// the classifier's weight.
    public var network: NetworkChoice
    /// nil: a spec file's own input shape (a named network's default).
    public var input: InputShape?
    /// The state dict's module names of the spec's layers with parameters, in order (nil: the same names).
    public var layerNames: [String]?
    public var classNames: [String]?
    public var normalization: Normalization?
    /// How images are brought to the input; nil: ImageNet's centre crop for the zoo's ImageNet
    /// networks (how their weights were trained), stretching for the others.
    public var framing: Framing?
    /// Accept tensors the spec has no place for (otherwise an error: the network differs).
    public var ignoreUnused = false

    public init(path: String, network: NetworkChoice = .standard, input: InputShape?, layerNames: [String]? = nil,
                classNames: [String]? = nil, normalization: Normalization? = nil) {
        self.path = path
        self.network = network
        self.input = input
        self.layerNames = layerNames
        self.classNames = classNames
        self.normalization = normalization
    }

    /// PyTorch's batch normalisation counts its training batches; the forward pass never reads
    /// the count (with the default momentum), so it has no place here and is not "unused".
    static func isBookkeeping(_ tensor: String) -> Bool { tensor.hasSuffix(".num_batches_tracked") }

    /// The harness model; every tensor that is missing or has the wrong shape is named.
    public func convert() throws -> SavedModel {
        let file = try SafetensorsFile.read(from: path)
        var networkSpec = try network.spec(classes: 2, shape: input)
        let learnable = networkSpec.parameterLayerNames
        if let layerNames, layerNames.count != learnable.count {
            throw EngineError.badModelFile(path: path, reason: "--layer-names lists \(layerNames.count) modules but the network has \(learnable.count) layers with parameters (\(learnable.joined(separator: ", ")))")
        }
        let rename: (String) -> String = { name in
            guard let layerNames else { return name }
            guard let dot = name.lastIndex(of: ".") else { return name }
            guard let i = learnable.firstIndex(of: String(name[..<dot])) else { return name }
            return layerNames[i] + name[dot...]
        }
        // The classifier's weight says how many classes the network has.
        let classifier = rename(learnable.last! + ".weight")
        guard let weight = file[classifier], weight.shape.count == 2 else {
            let names = file.tensors.map(\.name)
            throw EngineError.badModelFile(path: path, reason: "no classifier weight \(classifier) (a 2-dimensional tensor); the file holds "
                + names.prefix(12).joined(separator: ", ") + (names.count > 12 ? ", …" : "")
                + ". help: name the state dict's modules for the layers \(learnable.joined(separator: ", ")) with --layer-names")
        }
        networkSpec = try network.spec(classes: weight.shape[0], shape: input)
        if let classNames, classNames.count != networkSpec.classes {
            throw EngineError.badModelFile(path: path, reason: "\(classNames.count) class names given for a network with \(networkSpec.classes) classes")
        }
        if let normalization, normalization.mean.count != networkSpec.channels || normalization.std.count != networkSpec.channels {
            throw EngineError.badModelFile(path: path, reason: "the mean and std need one value per input channel (\(networkSpec.channels))")
        }
        let built = try Network(spec: networkSpec, seed: 0)
        let used = Set(built.state.map { rename($0.name) })
        let unused = file.tensors.map(\.name).filter { !used.contains($0) && !Self.isBookkeeping($0) }
        let extra = unused.isEmpty || ignoreUnused ? "" : "holds \(unused.count) tensor\(unused.count == 1 ? "" : "s") the network spec has no place for: "
            + unused.joined(separator: ", ") + ". The PyTorch network has layers this spec lacks, so it would compute something else. "
            + "help: describe the network with --network FILE.json (harness networks NAME --json prints one to start from), "
            + "or pass --ignore-unused if those tensors are not used in the forward pass"
        // Missing and extra tensors are reported together: one run says everything that differs.
        do { try built.copyWeights(from: file, path: path, rename: rename) } catch let EngineError.badModelFile(p, reason) where !extra.isEmpty {
            throw EngineError.badModelFile(path: p, reason: reason + "; and it " + extra)
        }
        if !extra.isEmpty { throw EngineError.badModelFile(path: path, reason: extra) }
        var metadata = ["imported_from": (path as NSString).lastPathComponent]
        if !unused.isEmpty { metadata["unused_tensors"] = unused.joined(separator: ",") }
        return SavedModel(network: built, classNames: classNames ?? (0..<networkSpec.classes).map { "class \($0)" },
                          normalization: normalization, framing: framing ?? network.defaultFraming, metadata: metadata)
    }
}

extension NetworkChoice {
    /// How images reach this network unless a user says otherwise: the zoo's ImageNet backbones
    /// were trained on centre crops; the harness's own networks and spec files on stretched images.
    public var defaultFraming: Framing {
        if case let .named(a) = self, a.nativeShape.channels == 3 { return .imageNet }
        return .stretch
    }
}
