// A network spec read from a file, strictly: every key is checked against what its layer's kind
// takes, an unknown kind lists the kinds, a missing key or a value of the wrong type is named,
// and every error says `file:line:column` and the layer. Swift's Decodable ignores unknown keys,
// which once let a misspelt "strides" run at stride 1 and a max-pool "padding" be dropped
// without a word; nothing in a spec is ignored.
import Foundation
import HarnessSupport

extension LayerSpec.Kind {
    /// The keys a layer of this kind must and may have, besides name and kind (which every layer
    /// has) and input and block (which every layer may have).
    public var keys: (required: [String], optional: [String]) {
        switch self {
        case .convolution: return (["outputs", "kernel"], ["stride", "padding", "tf_same", "groups", "bias"])
        case .maxPool, .avgPool: return (["kernel"], ["stride", "padding"])
        case .fullyConnected: return (["outputs"], ["bias"])
        case .dropout: return (["rate"], [])
        case .batchNorm: return ([], ["outputs", "eps"])
        case .add: return (["shortcut"], [])
        case .multiply: return (["gate"], [])
        case .relu, .relu6, .sigmoid, .silu, .hardswish, .globalAvgPool: return ([], [])
        }
    }

    /// Every key a layer of this kind may have, in the order a spec writes them.
    public var allowedKeys: [String] { ["name", "kind"] + keys.required + keys.optional + ["input", "block"] }
}

extension NetworkSpec {
    public static let topLevelKeys = ["channels", "height", "width", "layers"]

    /// Parses a spec file's bytes; `path` names it in errors.
    public static func parse(_ data: Data, path: String) throws -> NetworkSpec {
        let positions = JSONPositions(data)
        func fail(_ at: String, _ why: String) -> EngineError {
            .invalidSpec("\(path)\(positions.place(at).map { ":" + $0 } ?? ""): \(why)")
        }
        let help = "help: harness networks NAME --json prints a spec to start from"
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw EngineError.invalidSpec("\(path): not a network spec: a spec is one JSON object with \(topLevelKeys.joined(separator: ", ")). \(help)")
        }
        for key in root.keys.sorted() where !topLevelKeys.contains(key) {
            throw fail(key, "unknown key '\(key)' (a spec has \(topLevelKeys.joined(separator: ", ")))")
        }
        for key in topLevelKeys where root[key] == nil { throw EngineError.invalidSpec("\(path): the spec has no '\(key)'. \(help)") }
        guard let layers = root["layers"] as? [Any] else { throw fail("layers", "'layers' must be a list of layer objects") }
        for (i, item) in layers.enumerated() {
            let at = "layers[\(i)]"
            guard let layer = item as? [String: Any] else { throw fail(at, "layer \(i + 1) must be an object with a name and a kind") }
            let name = layer["name"] as? String
            let title = "layer \(i + 1)" + (name.map { " (\($0))" } ?? "")
            guard let name, !name.isEmpty else { throw fail(at, "\(title) needs a \"name\" (a non-empty string)") }
            guard let kindText = layer["kind"] as? String else {
                throw fail(at, "\(title) needs a \"kind\": one of \(LayerSpec.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let kind = LayerSpec.Kind(rawValue: kindText) else {
                throw fail(at + ".kind", "\(title): unknown kind '\(kindText)' (kinds: \(LayerSpec.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            for key in layer.keys.sorted() where !kind.allowedKeys.contains(key) {
                throw fail(at + "." + key, "\(title): a \(kind.rawValue) layer takes no '\(key)' (it takes \(kind.allowedKeys.joined(separator: ", ")))")
            }
            for key in kind.keys.required where layer[key] == nil {
                throw fail(at, "\(title): a \(kind.rawValue) layer needs '\(key)' (it takes \(kind.allowedKeys.joined(separator: ", ")))")
            }
        }
        do {
            return try JSONDecoder().decode(NetworkSpec.self, from: data)
        } catch let DecodingError.typeMismatch(type, context), let DecodingError.valueNotFound(type, context) {
            let at = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined().trimmingPrefix(".")
            let what = type == Bool.self ? "true or false" : type == String.self ? "a string" : type == Float.self || type == Double.self ? "a number" : "a whole number"
            throw fail(String(at), "'\(context.codingPath.last?.stringValue ?? "value")' must be \(what)")
        } catch let DecodingError.dataCorrupted(context) {
            let at = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined().trimmingPrefix(".")
            throw fail(String(at), context.debugDescription)
        }
    }
}
