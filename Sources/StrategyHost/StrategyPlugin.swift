// A plugin opened in this process with dlopen (never closed: a strategy's code and strings must
// outlive every call into it). Only processes that run plugin code do this: the cell worker and
// the plugin scanner. The host learns about plugins through PluginInfo, sent back by the scanner.
import CStrategyAPI
import Foundation
import HarnessSupport

/// A loaded plugin.
public final class StrategyPlugin: @unchecked Sendable {
    public let info: PluginInfo
    let descriptor: UnsafePointer<harness_strategy>

    /// The plugin's own reason for refusing its parameters (ABI 2, when it gives one).
    var configureError: String? {
        guard info.abiVersion >= 2, let f = descriptor.pointee.configure_error, let text = f() else { return nil }
        return String(cString: text)
    }

    public var path: String { info.path }
    public var name: String { info.name }
    public var version: String { info.version }
    public var parameters: [StrategyParameterInfo] { info.parameters }

    /// Opens `path` and validates its descriptor; every failure is a `PluginError` naming the file.
    /// A bare file name means the file in the current directory, not a library search.
    public init(path given: String) throws {
        let path = URL(fileURLWithPath: given).path
        let hash = try PluginInfo.contentHash(of: path)
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw PluginError.notLoadable(path: path, reason: dlerror().map { String(cString: $0) } ?? "unknown reason")
        }
        guard let (abi, symbol) = StrategyABI.loadable.lazy.compactMap({ v in dlsym(handle, StrategyABI.entrySymbol(v)).map { (v, $0) } }).first else {
            // An entry symbol of another version means a plugin built against another header.
            if let other = (0...20).first(where: { !StrategyABI.loadable.contains($0) && dlsym(handle, StrategyABI.entrySymbol($0)) != nil }) {
                throw PluginError.abiMismatch(path: path, expected: StrategyABI.version, found: other)
            }
            throw PluginError.missingEntry(path: path)
        }
        let entry = unsafeBitCast(symbol, to: harness_strategy_entry_fn.self)
        guard let d = entry() else { throw PluginError.badDescriptor(path: path, reason: "the entry function returned NULL") }
        func bad(_ reason: String) -> PluginError { .badDescriptor(path: path, reason: reason) }
        guard Int(d.pointee.abi_version) == abi else {
            if !StrategyABI.loadable.contains(Int(d.pointee.abi_version)) {
                throw PluginError.abiMismatch(path: path, expected: StrategyABI.version, found: Int(d.pointee.abi_version))
            }
            throw bad("it exports \(StrategyABI.entrySymbol(abi)) but its descriptor says abi_version \(d.pointee.abi_version)")
        }
        // The descriptor sizes each version has had: version 1 before and after parameter_ranges
        // was appended, version 2 with configure_error.
        let v1 = MemoryLayout<harness_strategy>.offset(of: \harness_strategy.parameter_ranges)!
        let v11 = MemoryLayout<harness_strategy>.offset(of: \harness_strategy.configure_error)!
        let size = Int(d.pointee.struct_size)
        let known = abi == 1 ? [v1, v11] : [MemoryLayout<harness_strategy>.size]
        guard known.contains(size) else {
            throw bad("struct_size is \(d.pointee.struct_size), expected \(known.map(String.init).joined(separator: " or ")) for ABI \(abi) (built against another harness_strategy.h?)")
        }
        let ranges = size == v1 ? nil : d.pointee.parameter_ranges
        guard let name = d.pointee.name.map({ String(cString: $0) }), !name.isEmpty else { throw bad("no name") }
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw bad("name '\(name)' may use only letters, digits, - and _")
        }
        guard d.pointee.run != nil else { throw bad("\(name): no run function") }
        guard (d.pointee.configure == nil) != (d.pointee.configure_values == nil) else {
            throw bad("\(name): set exactly one of configure and configure_values")
        }
        guard d.pointee.parameter_count == 0 || d.pointee.parameters != nil else { throw bad("\(name): parameters is NULL") }
        var params: [StrategyParameterInfo] = []
        for i in 0..<Int(d.pointee.parameter_count) {
            let p = d.pointee.parameters[i]
            guard let pname = p.name.map({ String(cString: $0) }), !pname.isEmpty else { throw bad("\(name): parameter \(i) has no name") }
            guard let kind = ParameterKind(p.type) else { throw bad("\(name): parameter \(pname) has unknown type \(p.type.rawValue)") }
            let def = p.default_value.map { String(cString: $0) } ?? ""
            guard let value = try? ParameterValue.parse(def, as: kind) else {
                throw bad("\(name): default '\(def)' of parameter \(pname) is not a valid \(kind.rawValue)")
            }
            var range: ParameterRange?
            if let text = ranges?[i].map({ String(cString: $0) }) {
                guard let r = ParameterRange(text), r.fits(kind) else {
                    throw bad("\(name): range '\(text)' of parameter \(pname) is not MIN..MAX (numbers) or a|b|c (strings) for a \(kind.rawValue)")
                }
                guard r.contains(value) else { throw bad("\(name): default \(value) of parameter \(pname) lies outside its range \(text)") }
                range = r
            }
            params.append(StrategyParameterInfo(name: pname, kind: kind, defaultValue: def, help: p.help.map { String(cString: $0) } ?? "", range: range))
        }
        guard Set(params.map(\.name)).count == params.count else { throw bad("\(name): two parameters share a name") }
        info = PluginInfo(path: path, contentHash: hash, name: name, version: d.pointee.version.map { String(cString: $0) } ?? "?",
                          summary: d.pointee.summary.map { String(cString: $0) } ?? "", parameters: params, abi: abi)
        descriptor = d
    }
}
