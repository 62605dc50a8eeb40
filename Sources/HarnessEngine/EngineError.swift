// Every way building, running or loading a network can fail, each naming what is wrong.

public enum EngineError: Error, Equatable, CustomStringConvertible {
    case shapeMismatch(parameter: String, expected: [Int], found: [Int])
    case invalidSpec(String)
    case unknownLayer(String, known: [String])
    case badModelFile(path: String, reason: String)
    case nonFinite(String)
    /// An engine call with an argument it cannot take (a plugin's call, say): which argument and why.
    case badArgument(call: String, reason: String)
    /// A network that must mirror another's layers does not.
    case layersDiffer(String)
    /// A precision this processor cannot compute in natively.
    case unsupportedPrecision(String)

    public var description: String {
        switch self {
        case let .shapeMismatch(p, e, f):
            return "parameter \(p) has shape \(f), expected \(e)"
        case let .invalidSpec(why):
            return "invalid network spec: \(why)"
        case let .unknownLayer(name, known):
            return "unknown layer '\(name)' (known layers: \(known.joined(separator: ", ")))"
        case let .badModelFile(path, reason):
            return "\(path): \(reason)"
        case let .nonFinite(what):
            return what
        case let .badArgument(call, reason):
            return "\(call): \(reason)"
        case let .layersDiffer(why), let .unsupportedPrecision(why):
            return why
        }
    }
}
