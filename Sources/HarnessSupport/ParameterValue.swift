// A strategy parameter's or hyperparameter's value, as strategies.json gives it and the plugin
// receives it; stored with every result (Codable).

/// The C types a parameter can have (harness_type in harness_strategy.h): the one list the host
/// uses to check, convert and store parameter values.
public enum ParameterKind: String, Codable, Sendable {
    case int, double, bool, string

    /// "an integer", "a number", for messages.
    public var article: String {
        switch self {
        case .int: return "an integer"
        case .double: return "a number"
        case .bool: return "true or false"
        case .string: return "a string"
        }
    }
}

public enum ParameterValue: Equatable, Sendable, CustomStringConvertible {
    case int(Int), double(Double), bool(Bool), string(String)

    public var description: String {
        switch self {
        case let .int(v): return "\(v)"
        case let .double(v): return "\(v)"
        case let .bool(v): return "\(v)"
        case let .string(v): return "\"\(v)\""
        }
    }

    public var kind: ParameterKind {
        switch self {
        case .int: return .int
        case .double: return .double
        case .bool: return .bool
        case .string: return .string
        }
    }

    /// As a number (ints and doubles), for search spaces and plots.
    public var number: Double? {
        switch self {
        case let .int(i): return Double(i)
        case let .double(x): return x
        default: return nil
        }
    }

    /// A default value written as text in a descriptor.
    package static func parse(_ text: String, as kind: ParameterKind) throws -> ParameterValue {
        struct Invalid: Error {}
        switch kind {
        case .int: guard let v = Int(text) else { throw Invalid() }; return .int(v)
        case .double: guard let v = Double(text) else { throw Invalid() }; return .double(v)
        case .bool:
            switch text.lowercased() { case "true", "1": return .bool(true); case "false", "0": return .bool(false); default: throw Invalid() }
        case .string: return .string(text)
        }
    }
}

extension ParameterValue: Codable {
    private enum Keys: String, CodingKey { case kind, value }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        switch try c.decode(ParameterKind.self, forKey: .kind) {
        case .int: self = .int(try c.decode(Int.self, forKey: .value))
        case .double: self = .double(try c.decode(Double.self, forKey: .value))
        case .bool: self = .bool(try c.decode(Bool.self, forKey: .value))
        case .string: self = .string(try c.decode(String.self, forKey: .value))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(kind, forKey: .kind)
        switch self {
        case let .int(v): try c.encode(v, forKey: .value)
        case let .double(v): try c.encode(v, forKey: .value)
        case let .bool(v): try c.encode(v, forKey: .value)
        case let .string(v): try c.encode(v, forKey: .value)
        }
    }
}
