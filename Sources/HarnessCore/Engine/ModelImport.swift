// A PyTorch state dict (saved with safetensors) plus a network spec becomes a harness model.
// PyTorch's layouts are harness's: Conv2d.weight is [out, in, kh, kw], Linear.weight [out, in],
// and flattening before the first Linear is channels-first, as here. Tensor names are matched
// to the spec's learnable layers by name (`conv1.weight`), or through the state dict's own module
// names listed in spec order (`features.0,features.3,…`).
import Foundation

public struct ModelImport {
    /// The state dict file.
    public var path: String
    /// The network: harness's standard one at `input`, or a spec given as JSON.
    public var spec: Spec
    /// The state dict's module names of the spec's learnable layers, in order (nil: the same names).
    public var layerNames: [String]?
    public var classNames: [String]?
    public var normalization: Normalization?
    /// Accept tensors the spec has no place for (otherwise an error: the network differs).
    public var ignoreUnused = false

    public enum Spec {
        /// The default network (NetworkSpec.standard) for this input; classes from the classifier's weight.
        case standard(InputShape)
        case json(String)
    }

    public init(path: String, spec: Spec, layerNames: [String]? = nil, classNames: [String]? = nil, normalization: Normalization? = nil) {
        self.path = path
        self.spec = spec
        self.layerNames = layerNames
        self.classNames = classNames
        self.normalization = normalization
    }

    /// The harness model; every tensor that is missing or has the wrong shape is named.
    public func convert() throws -> SavedModel {
        let file = try SafetensorsFile.read(from: path)
        var networkSpec: NetworkSpec
        switch spec {
        case let .json(specPath):
            guard let data = FileManager.default.contents(atPath: specPath) else {
                throw EngineError.badModelFile(path: specPath, reason: "cannot read the network spec")
            }
            do { networkSpec = try JSONDecoder().decode(NetworkSpec.self, from: data) } catch {
                throw EngineError.badModelFile(path: specPath, reason: "not a network spec (JSON with channels, height, width, layers): \(error)")
            }
        case let .standard(shape):
            networkSpec = .standard(classes: 2, channels: shape.channels, height: shape.height, width: shape.width)
        }
        let learnable = networkSpec.learnableLayerNames
        if let layerNames, layerNames.count != learnable.count {
            throw EngineError.badModelFile(path: path, reason: "--layer-names lists \(layerNames.count) modules but the network has \(learnable.count) learnable layers (\(learnable.joined(separator: ", ")))")
        }
        let rename: (String) -> String = { name in
            guard let layerNames else { return name }
            let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
            guard let i = learnable.firstIndex(of: parts[0]) else { return name }
            return layerNames[i] + "." + parts[1]
        }
        // The classifier's weight says how many classes the network has.
        let classifier = rename(learnable.last! + ".weight")
        guard let weight = file[classifier], weight.shape.count == 2 else {
            let names = file.tensors.map(\.name)
            throw EngineError.badModelFile(path: path, reason: "no classifier weight \(classifier) (a 2-dimensional tensor); the file holds "
                + names.prefix(12).joined(separator: ", ") + (names.count > 12 ? ", …" : "")
                + ". help: name the state dict's modules for the layers \(learnable.joined(separator: ", ")) with --layer-names")
        }
        if case .standard = spec { networkSpec = networkSpec.withClasses(weight.shape[0]) }
        guard networkSpec.classes == weight.shape[0] else {
            throw EngineError.badModelFile(path: path, reason: "\(classifier) has \(weight.shape[0]) outputs but the spec's classifier has \(networkSpec.classes)")
        }
        if let classNames, classNames.count != networkSpec.classes {
            throw EngineError.badModelFile(path: path, reason: "\(classNames.count) class names given for a network with \(networkSpec.classes) classes")
        }
        if let normalization, normalization.mean.count != networkSpec.channels || normalization.std.count != networkSpec.channels {
            throw EngineError.badModelFile(path: path, reason: "the mean and std need one value per input channel (\(networkSpec.channels))")
        }
        let network = try Network(spec: networkSpec, seed: 0)
        try network.copyWeights(from: file, path: path, rename: rename)
        let used = Set(network.parameters.map { rename($0.name) })
        let unused = file.tensors.map(\.name).filter { !used.contains($0) }
        if !unused.isEmpty && !ignoreUnused {
            throw EngineError.badModelFile(path: path, reason: "holds tensors the network spec has no place for: "
                + unused.prefix(8).joined(separator: ", ") + (unused.count > 8 ? ", …" : "")
                + ". The PyTorch network has layers this spec lacks, so it would compute something else. "
                + "help: describe the network with --spec FILE.json, or pass --ignore-unused if those tensors are not used in the forward pass")
        }
        var metadata = ["imported_from": (path as NSString).lastPathComponent]
        if !unused.isEmpty { metadata["unused_tensors"] = unused.joined(separator: ",") }
        return SavedModel(network: network, classNames: classNames ?? (0..<networkSpec.classes).map { "class \($0)" },
                          normalization: normalization, metadata: metadata)
    }
}
