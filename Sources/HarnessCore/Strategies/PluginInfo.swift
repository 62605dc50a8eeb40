// What a plugin file declares, read without running it in this process: the plugin scanner
// opens the file in a child process and sends this back. Everything the host decides before a
// cell runs (listing, validating a configuration, keying a result) uses this, never the library.
import CStrategyAPI
import Foundation

public enum StrategyABI {
    public static let version = Int(HARNESS_STRATEGY_ABI_VERSION)
    public static let entrySymbol = "harness_strategy_entry_v\(version)"
    /// The file name prefix of the plugins this package builds (libharness-strategy-NAME.so).
    public static let builtPluginPrefix = "libharness-strategy-"
}

/// A parameter a strategy declares.
public struct StrategyParameterInfo: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable { case int, double, bool, string }
    public var name: String
    public var kind: Kind
    public var defaultValue: String
    public var help: String
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

    /// The hash of a file's bytes (FNV-1a, as every other cache key here).
    public static func contentHash(of path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PluginError.notLoadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file")
        }
        return StableHash.of(contents: data)
    }
}
