// Where strategies come from: the plugin search path and the strategies.json file.
import ArgumentParser
import Foundation
import HarnessCore

struct PluginOptions: ParsableArguments {
    @Option(name: .customLong("plugin-path"), help: ArgumentHelp(
        "A directory of strategy plugins (.so), searched first; repeatable. Then $HARNESS_PLUGIN_PATH, ~/.local/share/harness/plugins, and the plugins built with harness.",
        valueName: "dir"))
    var pluginPaths: [String] = []

    @Option(help: ArgumentHelp("The strategies file (default: ./strategies.json, else the one beside the harness sources).", valueName: "file"))
    var config: String?

    var searchPath: PluginSearchPath {
        .standard(explicit: pluginPaths, executableDirectory: Installation.executableDirectory)
    }

    /// Opens plugin files in child processes (`harness scan-plugin`), never in this one.
    func scanner() throws -> PluginScanner {
        guard let executable = Installation.executablePath else { throw CLIError("cannot locate the harness binary to scan plugins") }
        return PluginScanner(executable: executable)
    }

    func registry() throws -> PluginRegistry { PluginRegistry(searchPath: searchPath, scanner: try scanner()) }

    /// The named configurations of strategies.json, bound to their plugins and checked.
    /// Shell completion of a comma-separated list of configuration names: the names in the
    /// strategies.json a default run would read, after what is typed up to the last comma.
    static let strategyCompletion = CompletionKind.custom { _, _, prefix in
        let head = prefix.lastIndex(of: ",").map { String(prefix[...$0]) } ?? ""
        let names = (try? defaultStrategiesFile().map { try StrategiesFile(path: $0).configurations.map(\.name) }) ?? nil
        return (names ?? []).map { head + $0 }
    }

    func bindings(_ names: [String]) throws -> [StrategyBinding] {
        let file = try strategiesFile()
        return try registry().bind(try names.map { try file.configuration(named: $0) }, checkingWith: try scanner())
    }

    func strategiesFile() throws -> StrategiesFile {
        if let config { return try StrategiesFile(path: config) }
        guard let found = Self.defaultStrategiesFile() else {
            throw CLIError("no strategies.json in the current directory or beside the harness sources. help: pass --config FILE")
        }
        return try StrategiesFile(path: found)
    }

    /// ./strategies.json, else the one beside the harness sources.
    static func defaultStrategiesFile() -> String? {
        ["strategies.json", Installation.sourceRoot.map { $0 + "/strategies.json" }].compactMap { $0 }
            .first { FileManager.default.fileExists(atPath: $0) }
    }
}

/// Where this harness binary lives, and the source tree it was built from (if any).
enum Installation {
    static var executablePath: String? { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") }

    /// Child processes that decode image folders, one per core.
    static var decoders: DecoderProcesses? { executablePath.map { DecoderProcesses(executable: $0) } }

    static var executableDirectory: String? { executablePath.map { ($0 as NSString).deletingLastPathComponent } }

    /// .build/<config>/harness lives two levels below the package root.
    static var sourceRoot: String? {
        guard let exe = executableDirectory else { return nil }
        var dir = exe
        for _ in 0..<4 {
            dir = (dir as NSString).deletingLastPathComponent
            if FileManager.default.fileExists(atPath: dir + "/Package.swift") { return dir }
        }
        return nil
    }
}
