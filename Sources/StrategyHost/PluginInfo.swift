// What a plugin file declares, read without running it in this process: the plugin scanner
// opens the file in a child process and sends this back. Everything the host decides before a
// cell runs (listing, validating a configuration, keying a result) uses this, never the library.
import CStrategyAPI
import Foundation
import HarnessSupport

public enum StrategyABI {
    public static let version = Int(HARNESS_STRATEGY_ABI_VERSION)
    public static let entrySymbol = "harness_strategy_entry_v\(version)"
    /// The versions the host loads, newest first: version-1 plugins load and run unchanged.
    public static let loadable = [version, 1]
    public static func entrySymbol(_ version: Int) -> String { "harness_strategy_entry_v\(version)" }
    /// The file name prefix of the plugins this package builds (libharness-strategy-NAME.so).
    public static let builtPluginPrefix = "libharness-strategy-"
}

extension ParameterKind {
    /// The C type a plugin declares (harness_type in harness_strategy.h).
    init?(_ type: harness_type) {
        switch type {
        case HARNESS_INT: self = .int
        case HARNESS_DOUBLE: self = .double
        case HARNESS_BOOL: self = .bool
        case HARNESS_STRING: self = .string
        default: return nil
        }
    }
}

/// A parameter a strategy declares: one declaration serves listing, checking a configuration,
/// configuring the plugin and bounding a search.
public struct StrategyParameterInfo: Codable, Equatable, Sendable {
    public typealias Kind = ParameterKind
    public var name: String
    public var kind: Kind
    public var defaultValue: String
    public var help: String
    /// The values it may take (nil: any value of its type).
    public var range: ParameterRange?

    public init(name: String, kind: Kind, defaultValue: String, help: String, range: ParameterRange? = nil) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.help = help
        self.range = range
    }
}

public struct PluginInfo: Codable, Equatable, Sendable {
    public var path: String
    /// Hash of the file's bytes: a rebuilt plugin is a different plugin, even under the same
    /// name and version, so its results are never mixed with the old build's.
    public var contentHash: String
    public var name: String
    public var version: String
    public var summary: String
    public var parameters: [StrategyParameterInfo]
    /// The strategy ABI version the plugin was built for (nil in scans from before version 2: 1).
    public var abi: Int?

    public var abiVersion: Int { abi ?? 1 }

    /// The hash of a file's bytes (FNV-1a, as every other cache key here).
    public static func contentHash(of path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PluginError.notLoadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file")
        }
        return StableHash.of(contents: data)
    }
}
