// Loading strategy plugins: shared libraries opened with dlopen (never closed: a strategy's code
// and strings must outlive every call into it), each exporting one versioned entry symbol.
import CStrategyAPI
import Foundation

public enum StrategyABI {
    public static let version = Int(HARNESS_STRATEGY_ABI_VERSION)
    public static let entrySymbol = "harness_strategy_entry_v\(version)"
    /// The file name prefix of the plugins this package builds (libharness-strategy-NAME.so).
    public static let builtPluginPrefix = "libharness-strategy-"
}

/// A parameter a strategy declares.
public struct StrategyParameterInfo: Equatable, Sendable {
    public enum Kind: String, Sendable { case int, double, bool, string }
    public var name: String
    public var kind: Kind
    public var defaultValue: String
    public var help: String
}

/// A loaded plugin.
public final class StrategyPlugin: @unchecked Sendable {
    public let path: String
    public let name: String
    public let version: String
    public let summary: String
    public let parameters: [StrategyParameterInfo]
    let descriptor: UnsafePointer<harness_strategy>

    /// Opens `path` and validates its descriptor; every failure is a `PluginError` naming the file.
    public init(path: String) throws {
        self.path = path
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw PluginError.notLoadable(path: path, reason: dlerror().map { String(cString: $0) } ?? "unknown reason")
        }
        guard let symbol = dlsym(handle, StrategyABI.entrySymbol) else {
            // An entry symbol of another version means a plugin built against another header.
            if let other = (0...20).first(where: { $0 != StrategyABI.version && dlsym(handle, "harness_strategy_entry_v\($0)") != nil }) {
                throw PluginError.abiMismatch(path: path, expected: StrategyABI.version, found: other)
            }
            throw PluginError.missingEntry(path: path)
        }
        let entry = unsafeBitCast(symbol, to: harness_strategy_entry_fn.self)
        guard let d = entry() else { throw PluginError.badDescriptor(path: path, reason: "the entry function returned NULL") }
        func bad(_ reason: String) -> PluginError { .badDescriptor(path: path, reason: reason) }
        guard Int(d.pointee.abi_version) == StrategyABI.version else {
            throw PluginError.abiMismatch(path: path, expected: StrategyABI.version, found: Int(d.pointee.abi_version))
        }
        guard Int(d.pointee.struct_size) == MemoryLayout<harness_strategy>.size else {
            throw bad("struct_size is \(d.pointee.struct_size), expected \(MemoryLayout<harness_strategy>.size) (built against another harness_strategy.h?)")
        }
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
            let kind: StrategyParameterInfo.Kind
            switch p.type {
            case HARNESS_INT: kind = .int
            case HARNESS_DOUBLE: kind = .double
            case HARNESS_BOOL: kind = .bool
            case HARNESS_STRING: kind = .string
            default: throw bad("\(name): parameter \(pname) has unknown type \(p.type.rawValue)")
            }
            let def = p.default_value.map { String(cString: $0) } ?? ""
            params.append(StrategyParameterInfo(name: pname, kind: kind, defaultValue: def, help: p.help.map { String(cString: $0) } ?? ""))
            guard (try? ParameterValue.parse(def, as: kind)) != nil else {
                throw bad("\(name): default '\(def)' of parameter \(pname) is not a valid \(kind.rawValue)")
            }
        }
        guard Set(params.map(\.name)).count == params.count else { throw bad("\(name): two parameters share a name") }
        self.name = name
        version = d.pointee.version.map { String(cString: $0) } ?? "?"
        summary = d.pointee.summary.map { String(cString: $0) } ?? ""
        parameters = params
        descriptor = d
    }
}

/// Where plugins are looked for, in order: --plugin-path, $HARNESS_PLUGIN_PATH (colon-separated),
/// ~/.local/share/harness/plugins, then the plugins this package built (beside the executable).
public struct PluginSearchPath: Sendable {
    /// Directories whose every .so is a candidate.
    public var directories: [String]
    /// The build directory, which holds other libraries too: only libharness-strategy-*.so count.
    public var buildDirectory: String?

    public init(directories: [String], buildDirectory: String? = nil) {
        self.directories = directories
        self.buildDirectory = buildDirectory
    }

    public static func standard(explicit: [String], executableDirectory: String?) -> PluginSearchPath {
        var dirs = explicit
        if let env = ProcessInfo.processInfo.environment["HARNESS_PLUGIN_PATH"] {
            dirs += env.split(separator: ":").map(String.init).filter { !$0.isEmpty }
        }
        dirs.append(userPluginDirectory)
        return PluginSearchPath(directories: dirs, buildDirectory: executableDirectory)
    }

    public var description: String { (directories + [buildDirectory].compactMap { $0 }).joined(separator: ":") }

    public static var userPluginDirectory: String {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return (home as NSString).appendingPathComponent(".local/share/harness/plugins")
    }

    /// Candidate files, in search order.
    func candidates() -> [String] {
        func files(_ dir: String, prefix: String) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
                .filter { $0.hasSuffix(".so") && $0.hasPrefix(prefix) }
                .map { (dir as NSString).appendingPathComponent($0) }
        }
        return directories.flatMap { files($0, prefix: "") } + (buildDirectory.map { files($0, prefix: StrategyABI.builtPluginPrefix) } ?? [])
    }
}

/// Every plugin found on a search path, and what is wrong with the ones that did not load.
public struct PluginRegistry: Sendable {
    public var plugins: [String: StrategyPlugin] = [:]
    public var failures: [(path: String, error: PluginError)] = []

    public init(searchPath: PluginSearchPath) {
        var seen = Set<String>()
        for file in searchPath.candidates() {
            let real = (file as NSString).resolvingSymlinksInPath
            guard seen.insert(real).inserted else { continue }
            do {
                let plugin = try StrategyPlugin(path: file)
                if let first = plugins[plugin.name] {
                    failures.append((file, .duplicateName(name: plugin.name, first: first.path, second: file)))
                } else {
                    plugins[plugin.name] = plugin
                }
            } catch let e as PluginError {
                failures.append((file, e))
            } catch {
                failures.append((file, .notLoadable(path: file, reason: "\(error)")))
            }
        }
    }

    /// The plugin of that name; two files claiming one name is an error naming both.
    public func plugin(named name: String) throws -> StrategyPlugin {
        if let dup = failures.first(where: { if case .duplicateName(name, _, _) = $0.error { return true } else { return false } }) {
            throw dup.error
        }
        if let p = plugins[name] { return p }
        throw PluginError.unknownStrategy(name: name, known: plugins.keys.sorted())
    }
}
