// `harness scan-plugin`: opens one plugin file in this throwaway process and reports what it
// declares (and, given parameter sets, whether its configure accepts them). Started by every
// command that lists or uses plugins, so a library that crashes on load takes down only this.
import ArgumentParser
import Foundation
import HarnessCore

struct ScanPlugin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan-plugin",
        abstract: "Open one strategy plugin and report its descriptor (started by harness itself).",
        shouldDisplay: false)

    @Argument(help: "The plugin file (.so).")
    var path: String

    @Option(name: .customLong("try"), help: "Parameter sets (JSON) to try on the plugin's configure.")
    var sets: String?

    @OptionGroup var child: ChildOptions

    func run() throws {
        try child.guardSelf()
        let tried = try sets.map { try child.read([ParameterSet].self, from: $0) } ?? []
        try child.write(PluginScanner.scanInProcess(path, trying: tried))
    }
}
