// A configuration from strategies.json bound to the plugin it names: every parameter checked
// against the plugin's declaration (name, type, and range of its C type), defaults filled in.
// Pure data, decided without running plugin code, so the host can check a comparison before it
// starts and key its results; the worker's ConfiguredStrategy then hands these values over.

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
                                            expected: Self.article(info.kind), found: "\(value)", place: place)
            }
            // HARNESS_INT is a C int: a larger value would be truncated on its way in (4294967298 -> 2).
            if case let .int(i) = converted, Int32(exactly: i) == nil {
                throw PluginError.outOfRange(configuration: configuration.name, strategy: plugin.name, parameter: name, value: "\(i)",
                                             range: "the range of a C int (\(Int32.min) to \(Int32.max))", place: place)
            }
            given[name] = converted
        }
        values = try plugin.parameters.map { info in
            (info, try given[info.name] ?? ParameterValue.parse(info.defaultValue, as: info.kind))
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

    static func article(_ kind: StrategyParameterInfo.Kind) -> String {
        switch kind {
        case .int: return "an integer"
        case .double: return "a number"
        case .bool: return "true or false"
        case .string: return "a string"
        }
    }
}
