// A network saved with everything needed to use it again: weights as safetensors (PyTorch's
// layouts and names, `conv1.weight`, …), and in the header's `__metadata__` the network spec,
// class names, input normalisation and framing, so a file alone is enough to rebuild and run the
// network on images prepared as it expects.
import Foundation
import HarnessSupport
import HarnessData

public struct SavedModel {
    public var network: Network
    public var classNames: [String]
    public var normalization: Normalization?
    /// How images are brought to its input: stretched (the harness's own models), or centre-cropped
    /// as ImageNet models expect (set by `harness import`).
    public var framing: Framing
    public var metadata: [String: String]

    public init(network: Network, classNames: [String], normalization: Normalization?, framing: Framing = .stretch, metadata: [String: String] = [:]) {
        self.network = network
        self.framing = framing
        self.classNames = classNames
        self.normalization = normalization
        self.metadata = metadata
    }

    /// The input this network takes: images of this shape, normalised with these statistics.
    public var inputShape: InputShape { InputShape(network.spec) }

    public func write(to path: String) throws {
        var meta = metadata
        meta["format"] = "harness"
        meta["engine_version"] = EngineInfo.engineVersion
        meta["spec"] = try Self.json(network.spec)
        meta["class_names"] = try Self.json(classNames)
        if let normalization { meta["normalization"] = try Self.json(normalization) }
        meta["framing"] = framing == .stretch ? nil : framing.description
        let tensors = network.state.map { p in
            (p.name, SafetensorsFile.Tensor(dtype: "F32", shape: p.shape, bytes: Data(bytes: p.valuePointer, count: p.count * 4)))
        }
        try SafetensorsFile(tensors: tensors, metadata: meta).write(to: path)
    }

    public static func read(from path: String) throws -> SavedModel {
        try parse(try SafetensorsFile.contents(of: path), path: path)
    }

    /// A model from a file's bytes; `path` names it in errors.
    public static func parse(_ data: Data, path: String) throws -> SavedModel {
        let file = try SafetensorsFile.parse(data, path: path)
        let meta = file.metadata
        guard let specJSON = meta["spec"] else {
            throw EngineError.badModelFile(path: path, reason: "no network spec in its metadata: not a harness model. "
                                           + "help: turn a PyTorch state dict into one with `harness import`")
        }
        let decoder = JSONDecoder()
        let spec: NetworkSpec
        do { spec = try decoder.decode(NetworkSpec.self, from: Data(specJSON.utf8)) } catch {
            throw EngineError.badModelFile(path: path, reason: "the saved network spec is unreadable: \(error)")
        }
        let network = try Network(spec: spec, seed: 0)
        try network.copyWeights(from: file, path: path)
        let framing: Framing
        do { framing = try meta["framing"].map(Framing.init(parsing:)) ?? .stretch } catch {
            throw EngineError.badModelFile(path: path, reason: "its framing is unreadable: \(error)")
        }
        return SavedModel(network: network,
                          classNames: meta["class_names"].flatMap { try? decoder.decode([String].self, from: Data($0.utf8)) } ?? [],
                          normalization: meta["normalization"].flatMap { try? decoder.decode(Normalization.self, from: Data($0.utf8)) },
                          framing: framing, metadata: meta)
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

extension Network {
    /// Copies every parameter and buffer from the file's tensor of the same name (after
    /// `rename`). Each missing tensor or wrong shape is named together, so one run says
    /// everything that differs.
    func copyWeights(from file: SafetensorsFile, path: String, rename: (String) -> String = { $0 }) throws {
        var problems: [String] = []
        for p in state {
            let name = rename(p.name)
            guard let t = file[name] else { problems.append("\(name) is missing (needed for \(p.name), shape \(p.shape))"); continue }
            guard t.shape == p.shape else {
                problems.append("\(name) has shape \(t.shape), the spec needs \(p.shape) for \(p.name)")
                continue
            }
            guard let values = t.floats() else { problems.append("\(name) is \(t.dtype), not a floating-point tensor"); continue }
            values.withUnsafeBufferPointer { p.valuePointer.update(from: $0.baseAddress!, count: p.count) }
            p.markChanged()
        }
        if !problems.isEmpty {
            throw EngineError.badModelFile(path: path, reason: "does not fit the network spec: " + problems.joined(separator: "; "))
        }
    }
}
