// What a strategy declares about its parameters, and the one parameter several strategies share.

public struct StrategyParameter: Sendable {
    public enum Kind: Sendable { case int, double, bool, string }
    public var name: String
    public var kind: Kind
    public var defaultValue: String
    /// "MIN..MAX" for numbers (either end may be left out), "a|b|c" for strings; nil: any value.
    public var range: String?
    public var help: String

    public init(_ name: String, _ kind: Kind, default defaultValue: String, range: String? = nil, help: String) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.range = range
        self.help = help
    }

    /// How the new classifier starts, for strategies that put a fresh one on copied features.
    public static let head = StrategyParameter(
        "head", .string, default: "xavier", range: HeadStart.allCases.map(\.rawValue).joined(separator: "|"),
        help: "how the new classifier starts: xavier (as every fresh layer), small (gaussian, sigma 0.001) or zero")
}

/// How a new classifier on copied features starts. Xavier weights on features of large norm give
/// large logits and a first epoch far from chance; small or zero weights start at chance.

public enum HeadStart: String, CaseIterable, Sendable {
    case xavier, small, zero

    /// The engine's initializer for it.
    var initializer: String {
        switch self {
        case .xavier: return "xavier"
        case .small: return "gaussian:0.001"
        case .zero: return "constant:0"
        }
    }
}

/// The parameters a strategy was configured with, by name.
