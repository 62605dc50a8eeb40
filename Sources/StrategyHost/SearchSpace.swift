// Where a hyperparameter is searched, declared in strategies.json next to the parameter (as
// DomainBed's registry keeps a default and a random range together):
//
//     "lr_mult": { "log-uniform": [0.01, 1], "default": 0.1 }
//     "n":       { "choice": [1, 2, 3, 4] }
//     "epochs":  { "int-uniform": [5, 20] }
//
// "default" is the value of the untuned run (trial 0); without it the plugin's default (or, for
// a training setting, the comparison's) is used. Draws come from a generator seeded by the
// configuration's name and the trial number, so trial t means the same values at every seed and
// in every rerun, and a comparison resumes trial by trial.
import Foundation
import HarnessSupport

public enum SearchSpace: Equatable, Sendable, CustomStringConvertible {
    case uniform(Double, Double)
    case logUniform(Double, Double)
    case intUniform(Int, Int)
    case choice([ParameterValue])

    public static let forms = ["uniform", "log-uniform", "int-uniform", "choice"]

    public var description: String {
        switch self {
        case let .uniform(a, b): return "uniform[\(ParameterRange.number(a)), \(ParameterRange.number(b))]"
        case let .logUniform(a, b): return "log-uniform[\(ParameterRange.number(a)), \(ParameterRange.number(b))]"
        case let .intUniform(a, b): return "int-uniform[\(a), \(b)]"
        case let .choice(values): return "choice{" + values.map(\.description).joined(separator: ", ") + "}"
        }
    }

    /// Whether plots should put this hyperparameter on a log axis.
    public var isLogarithmic: Bool { if case .logUniform = self { return true } else { return false } }

    /// The kind of value every draw has (a choice of mixed kinds has the first's).
    var kind: ParameterKind {
        switch self {
        case .uniform, .logUniform: return .double
        case .intUniform: return .int
        case let .choice(values): return values.first?.kind ?? .string
        }
    }

    /// Every value a draw can take, as far as a range check needs: the ends, or each choice.
    var extremes: [ParameterValue] {
        switch self {
        case let .uniform(a, b), let .logUniform(a, b): return [.double(a), .double(b)]
        case let .intUniform(a, b): return [.int(a), .int(b)]
        case let .choice(values): return values
        }
    }

    public func draw(using g: inout SeededGenerator) -> ParameterValue {
        // 53-bit uniform in [0, 1): Float's 24 bits would put visible steps into a log-uniform draw.
        let u = Double(g.next() >> 11) * 0x1p-53
        switch self {
        case let .uniform(a, b): return .double(a + (b - a) * u)
        case let .logUniform(a, b): return .double(exp(log(a) + (log(b) - log(a)) * u))
        case let .intUniform(a, b): return .int(a + Int(g.next() % UInt64(b - a + 1)))
        case let .choice(values): return values[Int(g.next() % UInt64(values.count))]
        }
    }

    /// `points` evenly spaced values (on a log scale for log-uniform), or every choice: one axis
    /// of a grid search.
    public func grid(points: Int) -> [ParameterValue] {
        let k = max(2, points)
        func spaced(_ a: Double, _ b: Double) -> [Double] { (0..<k).map { a + (b - a) * Double($0) / Double(k - 1) } }
        switch self {
        case let .uniform(a, b): return spaced(a, b).map { .double($0) }
        case let .logUniform(a, b): return spaced(log(a), log(b)).map { .double(exp($0)) }
        case let .intUniform(a, b): return Array(Set(spaced(Double(a), Double(b)).map { Int($0.rounded()) })).sorted().map { .int($0) }
        case let .choice(values): return values
        }
    }
}

/// A hyperparameter a configuration searches: a plugin parameter or a training setting.
public struct SearchedHyperparameter: Equatable, Sendable {
    public enum Scope: String, Sendable { case parameter, training }
    public var name: String
    public var scope: Scope
    public var space: SearchSpace
    /// The untuned run's value, when the configuration names one.
    public var defaultValue: ParameterValue?
    /// file:line:column, for messages.
    public var place: String
}
