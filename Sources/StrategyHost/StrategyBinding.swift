// A configuration from strategies.json bound to the plugin it names: every parameter checked
// against the plugin's declaration (name, type, and range of its C type), defaults filled in.
// Pure data, decided without running plugin code, so the host can check a comparison before it
// starts and key its results; the worker's ConfiguredStrategy then hands these values over.
import HarnessSupport

public struct StrategyBinding: Sendable {
    public let configuration: StrategyConfiguration
    public let plugin: PluginInfo
    /// Every declared parameter, in declaration order, with the value used.
    public let values: [(StrategyParameterInfo, ParameterValue)]

    public init(_ configuration: StrategyConfiguration, plugin: PluginInfo) throws {
        self.configuration = configuration
        self.plugin = plugin
        let declared = Dictionary(uniqueKeysWithValues: plugin.parameters.map { ($0.name, $0) })
        var given: [String: ParameterValue] = [:]
        for (name, value) in configuration.parameters {
            let place = configuration.parameterPlaces[name] ?? configuration.place
            guard let info = declared[name] else {
                throw PluginError.unknownParameter(configuration: configuration.name, strategy: plugin.name, parameter: name,
                                                   place: place, known: plugin.parameters.map(\.name))
            }
            guard let converted = Self.convert(value, to: info.kind) else {
                throw PluginError.wrongType(configuration: configuration.name, strategy: plugin.name, parameter: name,
                                            expected: info.kind.article, found: "\(value)", place: place)
            }
            try Self.checkRange(converted, of: info, configuration: configuration.name, strategy: plugin.name, place: place)
            given[name] = converted
        }
        // A search space must fit its parameter: every value it can draw of the right type and range.
        for search in configuration.searches where search.scope == .parameter {
            guard let info = declared[search.name] else {
                throw PluginError.unknownParameter(configuration: configuration.name, strategy: plugin.name, parameter: search.name,
                                                   place: search.place, known: plugin.parameters.map(\.name))
            }
            for value in search.space.extremes + (search.defaultValue.map { [$0] } ?? []) {
                guard let converted = Self.convert(value, to: info.kind) else {
                    throw PluginError.wrongType(configuration: configuration.name, strategy: plugin.name, parameter: search.name,
                                                expected: info.kind.article, found: "\(value) (from \(search.space))", place: search.place)
                }
                try Self.checkRange(converted, of: info, configuration: configuration.name, strategy: plugin.name, place: search.place)
            }
        }
        values = try plugin.parameters.map { info in
            (info, try given[info.name] ?? ParameterValue.parse(info.defaultValue, as: info.kind))
        }
    }

    /// A value within its C type (HARNESS_INT is a C int: 4294967298 would arrive as 2) and the
    /// range the plugin declared.
    static func checkRange(_ value: ParameterValue, of info: StrategyParameterInfo, configuration: String, strategy: String, place: String) throws {
        if case let .int(i) = value, Int32(exactly: i) == nil {
            throw PluginError.outOfRange(configuration: configuration, strategy: strategy, parameter: info.name, value: "\(i)",
                                         range: "within the range of a C int (\(Int32.min) to \(Int32.max))", place: place)
        }
        if let range = info.range, !range.contains(value) {
            throw PluginError.outOfRange(configuration: configuration, strategy: strategy, parameter: info.name, value: "\(value)",
                                         range: range.phrase + " (as the plugin declares it)", place: place)
        }
    }

    /// "n=3, trainable=false": what ran, for result rows.
    public var parameterSummary: String { values.map { "\($0.0.name)=\($0.1)" }.joined(separator: ", ") }

    public var valuesByName: [String: ParameterValue] { Dictionary(uniqueKeysWithValues: values.map { ($0.0.name, $0.1) }) }

    static func convert(_ value: ParameterValue, to kind: StrategyParameterInfo.Kind) -> ParameterValue? {
        switch (value, kind) {
        case (.int, .int), (.double, .double), (.bool, .bool), (.string, .string): return value
        case let (.int(i), .double): return .double(Double(i))  // 1 is a fine double
        default: return nil
        }
    }
}
