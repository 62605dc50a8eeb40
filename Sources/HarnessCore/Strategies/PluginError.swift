// Every way finding, loading and configuring a strategy can fail, each naming the file or the
// place in strategies.json, and what to do.

public enum PluginError: Error, Equatable, CustomStringConvertible {
    case notLoadable(path: String, reason: String)
    case missingEntry(path: String)
    case abiMismatch(path: String, expected: Int, found: Int)
    case badDescriptor(path: String, reason: String)
    case duplicateName(name: String, first: String, second: String)
    case unknownStrategy(name: String, known: [String])
    case unknownConfiguration(name: String, known: [String])
    case badConfigFile(path: String, line: Int, column: Int, reason: String)
    case unknownParameter(configuration: String, strategy: String, parameter: String, place: String, known: [String])
    case wrongType(configuration: String, strategy: String, parameter: String, expected: String, found: String, place: String)
    case configureRefused(configuration: String, strategy: String, values: String)

    public var description: String {
        switch self {
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
        case let .duplicateName(name, first, second):
            return "two plugins are both named '\(name)': \(first) and \(second). help: remove one, or rename it"
        case let .unknownStrategy(name, known):
            return "unknown strategy plugin '\(name)' (known: \(known.joined(separator: ", ")))"
        case let .unknownConfiguration(name, known):
            return "unknown strategy '\(name)' (known: \(known.joined(separator: ", ")))"
        case let .badConfigFile(path, line, column, reason):
            return "\(path):\(line):\(column): \(reason)"
        case let .unknownParameter(configuration, strategy, parameter, place, known):
            return "\(place): '\(configuration)': strategy \(strategy) has no parameter '\(parameter)' (its parameters: \(known.isEmpty ? "none" : known.joined(separator: ", ")))"
        case let .wrongType(configuration, strategy, parameter, expected, found, place):
            return "\(place): '\(configuration)': parameter '\(parameter)' of \(strategy) must be \(expected), not \(found)"
        case let .configureRefused(configuration, strategy, values):
            return "'\(configuration)': strategy \(strategy) refused its parameters (\(values))"
        }
    }
}
