// A binding handed to a loaded plugin: its configure function called, through libffi for a typed
// C configure(int n, double lr_mult), or with converted values. Only processes that run plugin
// code (the cell worker, the scanner) make one.
import CFFI
import CStrategyAPI
import Foundation
import HarnessSupport

public final class ConfiguredStrategy: @unchecked Sendable {
    public let binding: StrategyBinding
    public let plugin: StrategyPlugin
    let state: UnsafeMutableRawPointer

    public var configuration: StrategyConfiguration { binding.configuration }
    public var values: [(StrategyParameterInfo, ParameterValue)] { binding.values }
    public var parameterSummary: String { binding.parameterSummary }

    /// Binds the configuration to the loaded plugin and calls its configure.
    public convenience init(_ configuration: StrategyConfiguration, plugin: StrategyPlugin) throws {
        try self.init(try StrategyBinding(configuration, plugin: plugin.info), plugin: plugin)
    }

    public init(_ binding: StrategyBinding, plugin: StrategyPlugin) throws {
        self.binding = binding
        self.plugin = plugin
        let d = plugin.descriptor.pointee
        let values = binding.values.map(\.1)
        let made = d.configure_values != nil ? Self.configureWithValues(d, values) : Self.configureTyped(d, values)
        guard let made else {
            throw PluginError.configureRefused(configuration: binding.configuration.name, strategy: plugin.name,
                                               values: binding.parameterSummary, reason: plugin.configureError)
        }
        state = made
    }

    deinit { plugin.descriptor.pointee.release?(state) }

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
            case let .int(i): slot.storeBytes(of: Int32(i), as: Int32.self)  // range-checked by StrategyBinding
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
