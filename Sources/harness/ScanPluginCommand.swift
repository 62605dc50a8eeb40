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

    @Option(help: "Where to write the report (JSON).")
    var result: String

    @Option(name: .customLong("try"), help: "Parameter sets (JSON) to try on the plugin's configure.")
    var sets: String?

    @Option(help: "The process id of the command that started the scan: the scanner ends when it does.")
    var parent: Int32?

    @Option(help: "Seconds after which the scanner ends itself (a plugin that hangs on load).")
    var deadline: Double?

    func run() throws {
        guard ChildProcess.guardChild(parent: parent, deadline: deadline) else { throw ExitCode(1) }
        let tried = try sets.map { file -> [ParameterSet] in
            guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read \(file)") }
            return try HarnessJSON.decoder.decode([ParameterSet].self, from: data)
        } ?? []
        let report = PluginScanner.scanInProcess(path, trying: tried)
        try ChildProcess.writeResult(try HarnessJSON.encoder.encode(report), to: result)
    }
}
