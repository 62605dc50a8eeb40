// The values a parameter may take, as its plugin declares them next to its type and default:
// "0..7", "0..", "0.0001..1" for numbers (either end may be open) and "xavier|small|zero" for
// strings. One declaration checks a fixed value in strategies.json, bounds a search space there,
// and is shown by `harness strategies`.
import Foundation

public enum ParameterRange: Codable, Equatable, Sendable, CustomStringConvertible {
    case numeric(minimum: Double?, maximum: Double?)
    case oneOf([String])

    /// Parses a declaration; nil when the text is neither form.
    public init?(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let dots = t.range(of: "..") {
            let low = String(t[..<dots.lowerBound]), high = String(t[dots.upperBound...])
            let lo = low.isEmpty ? nil : Double(low), hi = high.isEmpty ? nil : Double(high)
            guard low.isEmpty || lo != nil, high.isEmpty || hi != nil, lo != nil || hi != nil else { return nil }
            if let lo, let hi, lo > hi { return nil }
            self = .numeric(minimum: lo, maximum: hi)
        } else {
            let options = t.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard !options.isEmpty, !options.contains(where: \.isEmpty) else { return nil }
            self = .oneOf(options)
        }
    }

    public var description: String {
        switch self {
        case let .numeric(lo, hi): return "\(lo.map(Self.number) ?? "")..\(hi.map(Self.number) ?? "")"
        case let .oneOf(options): return options.joined(separator: "|")
        }
    }

    /// In words, for messages: "between 0 and 7", "at least 0", "one of xavier, small, zero".
    public var phrase: String {
        switch self {
        case let .numeric(lo?, hi?): return "between \(Self.number(lo)) and \(Self.number(hi))"
        case let .numeric(lo?, nil): return "at least \(Self.number(lo))"
        case let .numeric(nil, hi?): return "at most \(Self.number(hi))"
        case .numeric(nil, nil): return "any number"
        case let .oneOf(options): return "one of " + options.joined(separator: ", ")
        }
    }

    /// Whether the range can hold values of this kind at all.
    package func fits(_ kind: ParameterKind) -> Bool {
        switch self {
        case .numeric: return kind == .int || kind == .double
        case .oneOf: return kind == .string
        }
    }

    public func contains(_ value: ParameterValue) -> Bool {
        switch (self, value) {
        case let (.numeric(lo, hi), .int(i)): return (lo.map { Double(i) >= $0 } ?? true) && (hi.map { Double(i) <= $0 } ?? true)
        case let (.numeric(lo, hi), .double(x)): return x.isFinite && (lo.map { x >= $0 } ?? true) && (hi.map { x <= $0 } ?? true)
        case let (.oneOf(options), .string(s)): return options.contains(s)
        default: return false
        }
    }

    package static func number(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)" }
}
