// Every way finding, loading and configuring a strategy can fail, each naming the file or the
// place in strategies.json, and what to do. Codable: the plugin scanner sends these back from
// its child process, and the scan cache keeps them.
import HarnessSupport

public enum PluginError: Error, Equatable, Codable, Sendable, CustomStringConvertible {
    case notLoadable(path: String, reason: String)
    case missingEntry(path: String)
    case abiMismatch(path: String, expected: Int, found: Int)
    case badDescriptor(path: String, reason: String)
    /// The file took its scanner down (a load-time constructor that aborts, say) or hung it.
    case crashedWhileLoading(path: String, reason: String)
    case duplicateName(name: String, first: String, second: String)
    case unknownStrategy(name: String, known: [String], brokenFiles: Int)
    /// A comparison names a strategy whose plugin file is on the search path but did not load.
    case failedToLoad(name: String, cause: String)
    case unknownConfiguration(name: String, known: [String])
    case badConfigFile(path: String, line: Int, column: Int, reason: String)
    case unknownParameter(configuration: String, strategy: String, parameter: String, place: String, known: [String])
    case wrongType(configuration: String, strategy: String, parameter: String, expected: String, found: String, place: String)
    case outOfRange(configuration: String, strategy: String, parameter: String, value: String, range: String, place: String)
    /// `reason`: the plugin's own words (ABI 2's configure_error), when it gave them.
    case configureRefused(configuration: String, strategy: String, values: String, reason: String?)
    /// The hyperparameters a configuration (or one of its trials) trains with do not fit together.
    case badHyperparameters(configuration: String, place: String, reason: String)

    public var description: String {
        switch self {
        case let .badHyperparameters(configuration, place, reason):
            return "\(place): '\(configuration)': \(reason)"
        case let .notLoadable(path, reason):
            return "\(path): cannot be loaded: \(reason)"
        case let .missingEntry(path):
            return "\(path): not a harness strategy: it exports no \(StrategyABI.entrySymbol) symbol. "
                + "help: export `const harness_strategy *\(StrategyABI.entrySymbol)(void)` (see harness_strategy.h)"
        case let .abiMismatch(path, expected, found):
            return "\(path): built for strategy ABI version \(found), this harness speaks version \(expected). "
                + "help: rebuild the plugin against this harness's harness_strategy.h (harness sdk --cflags)"
        case let .badDescriptor(path, reason):
            return "\(path): bad strategy descriptor: \(reason)"
        case let .crashedWhileLoading(path, reason):
            return "\(path): loading it \(reason.hasPrefix("timed out") ? reason : "crashed the plugin scanner (\(reason))"). "
                + "help: the library's load-time code (constructors, static initialisers) fails; fix or remove the file"
        case let .duplicateName(name, first, second):
            return "two plugins are both named '\(name)': \(first) and \(second). help: remove one, or rename it"
        case let .unknownStrategy(name, known, broken):
            return "unknown strategy plugin '\(name)'\(Suggestion.phrase(for: name, among: known)) (known: \(known.joined(separator: ", ")))"
                + (broken > 0 ? "; \(broken) plugin file\(broken == 1 ? "" : "s") failed to load, see `harness strategies`" : "")
        case let .failedToLoad(name, cause):
            return "strategy plugin '\(name)' failed to load: \(cause). help: see `harness strategies`"
        case let .unknownConfiguration(name, known):
            return "unknown strategy '\(name)'\(Suggestion.phrase(for: name, among: known)) (known: \(known.joined(separator: ", "))). help: harness strategies lists them"
        case let .badConfigFile(path, line, column, reason):
            return "\(path):\(line):\(column): \(reason)"
        case let .unknownParameter(configuration, strategy, parameter, place, known):
            return "\(place): '\(configuration)': strategy \(strategy) has no parameter '\(parameter)' (its parameters: \(known.isEmpty ? "none" : known.joined(separator: ", ")))"
        case let .wrongType(configuration, strategy, parameter, expected, found, place):
            return "\(place): '\(configuration)': parameter '\(parameter)' of \(strategy) must be \(expected), not \(found)"
        case let .outOfRange(configuration, strategy, parameter, value, range, place):
            return "\(place): '\(configuration)': parameter '\(parameter)' of \(strategy) must be \(range), not \(value)"
        case let .configureRefused(configuration, strategy, values, reason):
            return "'\(configuration)': strategy \(strategy) refused its parameters (\(values))" + (reason.map { ": \($0)" } ?? "")
        }
    }

    /// The same failure of the same bytes found at another path (the scan cache is by content).
    func at(_ path: String) -> PluginError {
        switch self {
        case let .notLoadable(_, r): return .notLoadable(path: path, reason: r)
        case .missingEntry: return .missingEntry(path: path)
        case let .abiMismatch(_, e, f): return .abiMismatch(path: path, expected: e, found: f)
        case let .badDescriptor(_, r): return .badDescriptor(path: path, reason: r)
        case let .crashedWhileLoading(_, r): return .crashedWhileLoading(path: path, reason: r)
        default: return self
        }
    }

    /// The file a load failure is about, if it is one.
    var path: String? {
        switch self {
        case let .notLoadable(p, _), let .missingEntry(p), let .abiMismatch(p, _, _), let .badDescriptor(p, _), let .crashedWhileLoading(p, _):
            return p
        default:
            return nil
        }
    }
}
