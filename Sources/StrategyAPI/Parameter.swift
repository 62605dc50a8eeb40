// A strategy's parameters, declared once as properties, as swift-argument-parser declares options:
//
//     @Parameter(range: "0..", help: "how many layers to copy and freeze") var n = 3
//     @Parameter(help: HeadStart.help) var head = HeadStart.xavier
//
// The property's name is the parameter's (camelCase in snake_case: `lrMult` is "lr_mult"), its
// initial value the default, its type the C type the host checks. The export finds them by
// reflection, in declaration order, and sets them before `validate()` and `run`; a misspelt
// parameter in the strategy's code does not compile.

/// What a parameter's value can be: the four C types of harness_type, and string enums (whose
/// cases are the values the host accepts).
public protocol ParameterValueType {
    static var kind: StrategyParameter.Kind { get }
    /// The value as the descriptor's default text.
    var parameterText: String { get }
    /// The values a parameter of this type may take when the declaration names none.
    static var impliedRange: String? { get }
    /// The host's value (already checked against the declaration), or nil if it does not fit.
    init?(parameter value: harness_value, string: String?)
}

extension ParameterValueType {
    public static var impliedRange: String? { nil }
}

extension Int: ParameterValueType {
    public static var kind: StrategyParameter.Kind { .int }
    public var parameterText: String { "\(self)" }
    public init?(parameter value: harness_value, string: String?) { self = Int(value.integer) }
}

extension Double: ParameterValueType {
    public static var kind: StrategyParameter.Kind { .double }
    public var parameterText: String { "\(self)" }
    public init?(parameter value: harness_value, string: String?) { self = value.number }
}

extension Bool: ParameterValueType {
    public static var kind: StrategyParameter.Kind { .bool }
    public var parameterText: String { "\(self)" }
    public init?(parameter value: harness_value, string: String?) { self = value.integer != 0 }
}

extension String: ParameterValueType {
    public static var kind: StrategyParameter.Kind { .string }
    public var parameterText: String { self }
    public init?(parameter value: harness_value, string: String?) {
        guard let string else { return nil }
        self = string
    }
}

extension ParameterValueType where Self: RawRepresentable & CaseIterable, RawValue == String {
    public static var kind: StrategyParameter.Kind { .string }
    public var parameterText: String { rawValue }
    public static var impliedRange: String? { allCases.map(\.rawValue).joined(separator: "|") }
    public init?(parameter value: harness_value, string: String?) {
        guard let string, let v = Self(rawValue: string) else { return nil }
        self = v
    }
}

@propertyWrapper
public struct Parameter<Value: ParameterValueType> {
    /// Shared by every copy of the strategy value, so the export can set it after `init()`.
    final class Box {
        var value: Value
        init(_ value: Value) { self.value = value }
    }
    let box: Box
    let defaultValue: Value
    let range: String?
    let help: String

    public var wrappedValue: Value { box.value }

    /// `range`: "MIN..MAX" for numbers (either end may be left out), "a|b|c" for strings; nil
    /// for any value of the type (a string enum's cases).
    public init(wrappedValue: Value, range: String? = nil, help: String) {
        box = Box(wrappedValue)
        defaultValue = wrappedValue
        self.range = range ?? Value.impliedRange
        self.help = help
    }
}

/// What the export needs of a `Parameter` without knowing its value type.
protocol DeclaredParameter {
    func declaration(named name: String) -> StrategyParameter
    func assign(_ value: harness_value, string: String?) -> Bool
}

extension Parameter: DeclaredParameter {
    func declaration(named name: String) -> StrategyParameter {
        StrategyParameter(name, Value.kind, default: defaultValue.parameterText, range: range, help: help)
    }

    func assign(_ value: harness_value, string: String?) -> Bool {
        guard let v = Value(parameter: value, string: string) else { return false }
        box.value = v
        return true
    }
}

/// The parameters a strategy value declares, in declaration order, with the wrappers that hold them.
func declaredParameters(of strategy: Any) -> [(StrategyParameter, DeclaredParameter)] {
    Mirror(reflecting: strategy).children.compactMap { child in
        guard let label = child.label, let p = child.value as? DeclaredParameter else { return nil }
        // A wrapped property `n` is stored as `_n`.
        let property = label.hasPrefix("_") ? String(label.dropFirst()) : label
        return (p.declaration(named: parameterName(property)), p)
    }
}

/// `lrMult` -> "lr_mult", `warmUp` -> "warm_up", `l2sp` -> "l2sp": strategies.json's style.
public func parameterName(_ property: String) -> String {
    var out = ""
    for c in property {
        if c.isUppercase {
            if !out.isEmpty { out.append("_") }
            out.append(contentsOf: c.lowercased())
        } else {
            out.append(c)
        }
    }
    return out
}
