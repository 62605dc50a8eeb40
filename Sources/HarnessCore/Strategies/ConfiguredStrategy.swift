// A plugin bound to one configuration's parameters: types checked against the plugin's
// declaration, defaults filled in, and the plugin's configure function called, through libffi
// for a typed C configure(int n, double lr_mult), or with converted values.
import CFFI
import CStrategyAPI
import Foundation

public final class ConfiguredStrategy: @unchecked Sendable {
    public let configuration: StrategyConfiguration
    public let plugin: StrategyPlugin
    /// Every declared parameter, in declaration order, with the value used.
    public let values: [(StrategyParameterInfo, ParameterValue)]
    let state: UnsafeMutableRawPointer

    public init(_ configuration: StrategyConfiguration, plugin: StrategyPlugin) throws {
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
            given[name] = converted
        }
        values = try plugin.parameters.map { info in
            (info, try given[info.name] ?? ParameterValue.parse(info.defaultValue, as: info.kind))
        }
        let d = plugin.descriptor.pointee
        let made = d.configure_values != nil ? Self.configureWithValues(d, values.map(\.1)) : Self.configureTyped(d, values.map(\.1))
        guard let made else {
            throw PluginError.configureRefused(configuration: configuration.name, strategy: plugin.name,
                                               values: values.map { "\($0.0.name)=\($0.1)" }.joined(separator: ", "))
        }
        state = made
    }

    deinit { plugin.descriptor.pointee.release?(state) }

    /// "n=3, trainable=false": what ran, for result rows.
    public var parameterSummary: String { values.map { "\($0.0.name)=\($0.1)" }.joined(separator: ", ") }

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

    private static func configureWithValues(_ d: harness_strategy, _ values: [ParameterValue]) -> UnsafeMutableRawPointer? {
        let strings = values.map { v -> UnsafeMutablePointer<CChar>? in if case let .string(s) = v { return strdup(s) } else { return nil } }
        defer { strings.forEach { free($0) } }
        let cValues = zip(values, strings).map { v, s -> harness_value in
            switch v {
            case let .int(i): return harness_value(type: HARNESS_INT, integer: Int64(i), number: 0, string: nil)
            case let .double(x): return harness_value(type: HARNESS_DOUBLE, integer: 0, number: x, string: nil)
            case let .bool(b): return harness_value(type: HARNESS_BOOL, integer: b ? 1 : 0, number: 0, string: nil)
            case .string: return harness_value(type: HARNESS_STRING, integer: 0, number: 0, string: UnsafePointer(s))
            }
        }
        return cValues.withUnsafeBufferPointer { d.configure_values($0.baseAddress, UInt32($0.count)) }
    }

    /// Calls `void *configure(T1, T2, …)` with each value as its C type (int, double, int, const char *).
    private static func configureTyped(_ d: harness_strategy, _ values: [ParameterValue]) -> UnsafeMutableRawPointer? {
        var types: [UnsafeMutablePointer<ffi_type>?] = values.map {
            switch $0 {
            case .int, .bool: return harness_ffi_sint()
            case .double: return harness_ffi_double()
            case .string: return harness_ffi_pointer()
            }
        }
        // One 8-byte slot per argument, holding the value in its C type.
        let slots = values.map { v -> UnsafeMutableRawPointer in
            let slot = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
            switch v {
            case let .int(i): slot.storeBytes(of: Int32(truncatingIfNeeded: i), as: Int32.self)
            case let .bool(b): slot.storeBytes(of: Int32(b ? 1 : 0), as: Int32.self)
            case let .double(x): slot.storeBytes(of: x, as: Double.self)
            case let .string(s): slot.storeBytes(of: UnsafeRawPointer(strdup(s)), as: UnsafeRawPointer?.self)
            }
            return slot
        }
        defer {
            for (v, slot) in zip(values, slots) {
                if case .string = v { free(slot.load(as: UnsafeMutableRawPointer?.self)) }
                slot.deallocate()
            }
        }
        var arguments: [UnsafeMutableRawPointer?] = slots
        var result: UnsafeMutableRawPointer? = nil
        let function = unsafeBitCast(d.configure, to: (@convention(c) () -> Void).self)
        return types.withUnsafeMutableBufferPointer { typeBuffer -> UnsafeMutableRawPointer? in
            var cif = ffi_cif()
            guard ffi_prep_cif(&cif, harness_ffi_default_abi(), UInt32(values.count), harness_ffi_pointer(), typeBuffer.baseAddress) == FFI_OK else {
                return nil
            }
            arguments.withUnsafeMutableBufferPointer { args in
                ffi_call(&cif, function, &result, args.baseAddress)
            }
            return result
        }
    }
}
