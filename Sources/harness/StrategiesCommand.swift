// `harness strategies`: what strategies exist, where they come from, and what is broken.
import ArgumentParser
import Foundation
import HarnessCore

struct Strategies: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List strategy plugins and the configurations in strategies.json.",
        discussion: """
            Plugins are shared libraries exporting \(StrategyABI.entrySymbol) (or harness_strategy_entry_v1: ABI 1 plugins still load; see harness_strategy.h; \
            `harness sdk --cflags` for building one in C). Drop a .so into a plugin directory and it \
            is used without rebuilding harness.
            """,
        subcommands: [List.self, Doctor.self],
        defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List plugins, configurations and load failures (the default).")

        @OptionGroup var plugins: PluginOptions

        enum Format: String, ExpressibleByArgument, CaseIterable { case text, markdown }

        @Option(help: "text, or markdown: the tables docs/strategies.md embeds (no paths or hashes).")
        var format: Format = .text

        func run() throws {
            let registry = try plugins.registry()
            if format == .markdown {
                let file = try plugins.strategiesFile()
                let bound = registry.bindEach(file.configurations, checkingWith: try plugins.scanner())
                print(StrategyCatalog.markdown(plugins: Array(registry.plugins.values), configurations: Array(zip(file.configurations, bound))))
                return
            }
            print("Strategy plugins (search path: \(plugins.searchPath.description)):")
            for plugin in registry.plugins.values.sorted(by: { $0.name < $1.name }) {
                print("  \(plugin.name) \(plugin.version)  \(plugin.summary)")
                print("      file: \(plugin.path) (content hash \(plugin.contentHash))")
                for p in plugin.parameters {
                    print("      \(p.name): \(p.kind.rawValue) = \(p.defaultValue)\(p.range.map { " in \($0)" } ?? "")  \(p.help)")
                }
            }
            if registry.plugins.isEmpty { print("  (none found)") }
            if !registry.failures.isEmpty {
                print("\nPlugins that failed to load (comparisons go on without them):")
                for f in registry.failures { print("  \(f.error)") }
            }
            let file = try plugins.strategiesFile()
            print("\nConfigurations in \(file.path):")
            let width = file.configurations.map(\.name.count).max() ?? 0
            for (c, bound) in zip(file.configurations, registry.bindEach(file.configurations, checkingWith: try plugins.scanner())) {
                let name = c.name.padding(toLength: width, withPad: " ", startingAt: 0)
                switch bound {
                case let .success(b):
                    // The values of the untuned run: fixed ones, each space's default, the plugin's defaults.
                    print("  \(name)  \(c.strategy)(\((try? b.untuned())?.parameterSummary ?? b.parameterSummary))\(c.source == .self ? " [source: self]" : "")  \(c.description)")
                    let fixed = c.training.map { "\($0.0.rawValue)=\($0.1)" }, searched = c.searches.map { "\($0.name) \($0.space)" }
                    if !fixed.isEmpty { print("  " + String(repeating: " ", count: width) + "  training: " + fixed.joined(separator: ", ")) }
                    if !searched.isEmpty { print("  " + String(repeating: " ", count: width) + "  searches (--trials): " + searched.joined(separator: ", ")) }
                case let .failure(error):
                    print("  \(name)  BROKEN: \(error)")
                }
            }
        }
    }

    struct Doctor: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Explain why a plugin file does (not) load, and whether its name clashes with another's.")

        @Argument(help: "The plugin file (.so).")
        var path: String

        @OptionGroup var plugins: PluginOptions

        func run() throws {
            let absolute = URL(fileURLWithPath: path).path
            guard FileManager.default.fileExists(atPath: absolute) else { throw CLIError("\(absolute): no such file") }
            // Opened in a child process, as everywhere: a plugin that crashes on load is diagnosed, not fatal.
            var scanner = try plugins.scanner()
            scanner.cacheFile = nil
            switch scanner.scan([absolute])[absolute]! {
            case let .failed(error):
                throw CLIError("\(error)")
            case let .loaded(p):
                print("\(absolute): loads. Strategy '\(p.name)' version \(p.version), ABI \(p.abiVersion), content hash \(p.contentHash).")
                print("  \(p.summary)")
                for q in p.parameters {
                    print("  parameter \(q.name): \(q.kind.rawValue), default \(q.defaultValue)\(q.range.map { ", \($0.phrase)" } ?? ""). \(q.help)")
                }
                let clashes = try plugins.registry().clashes(with: p)
                if !clashes.isEmpty {
                    print("  warning: the search path has other plugins named '\(p.name)': \(clashes.joined(separator: ", ")). "
                          + "A comparison refuses the name until only one remains.")
                }
            }
        }
    }
}

struct SDK: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sdk",
        abstract: "Compiler flags for building a strategy plugin in C against harness_strategy.h.",
        discussion: "Example: cc -shared -fPIC $(harness sdk --cflags) my_strategy.c -o my-strategy.so")

    @Flag(help: "Print the -I flag for harness_strategy.h.")
    var cflags = false

    @Flag(help: "Print the path of harness_strategy.h.")
    var header = false

    func run() throws {
        guard let root = Installation.sourceRoot else {
            throw CLIError("cannot find the harness sources beside this binary, which hold harness_strategy.h")
        }
        let include = root + "/Sources/CStrategyAPI/include"
        guard FileManager.default.fileExists(atPath: include + "/harness_strategy.h") else {
            throw CLIError("\(include)/harness_strategy.h is missing")
        }
        if header { print(include + "/harness_strategy.h") } else { print("-I\(include)") }
    }
}
