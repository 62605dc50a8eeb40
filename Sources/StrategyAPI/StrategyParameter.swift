// What a strategy declares about a parameter, as the descriptor carries it to the host, and how
// a new classifier starts, a parameter several strategies share.

/// A parameter, declared once: its type, default, the values it may take and a line of help. The
/// host checks configurations and search spaces in strategies.json against it before any run.
public struct StrategyParameter: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case int, double, bool, string }
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
}

/// How a new classifier on copied features starts. Xavier weights on features of large norm give
/// large logits and a first epoch far from chance; small or zero weights start at chance.
public enum HeadStart: String, CaseIterable, Sendable, ParameterValueType {
    case xavier, small, zero

    /// The help line of a `head` parameter: `@Parameter(help: HeadStart.help) var head = HeadStart.xavier`.
    public static let help = "how the new classifier starts: xavier (as every fresh layer), small (gaussian, sigma 0.001) or zero"

    /// The engine's initializer for it.
    var initializer: String {
        switch self {
        case .xavier: return "xavier"
        case .small: return "gaussian:0.001"
        case .zero: return "constant:0"
        }
    }
}
