// Where plugins are looked for, in order: --plugin-path, $HARNESS_PLUGIN_PATH (colon-separated),
// ~/.local/share/harness/plugins, then the plugins this package built (beside the executable).
import Foundation

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
        func files(_ given: String, prefix: String) -> [String] {
            let dir = URL(fileURLWithPath: given).path
            return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
                .filter { $0.hasSuffix(".so") && $0.hasPrefix(prefix) }
                .map { (dir as NSString).appendingPathComponent($0) }
        }
        return directories.flatMap { files($0, prefix: "") } + (buildDirectory.map { files($0, prefix: StrategyABI.builtPluginPrefix) } ?? [])
    }
}
