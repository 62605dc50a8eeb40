// `harness worker`: runs one cell of a comparison and prints its result as one JSON line. Started
// by `harness compare`, one process per cell, so that a crashing strategy takes down only this.
import ArgumentParser
import Foundation
import HarnessCore

struct Worker: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one comparison cell (started by harness compare).",
        shouldDisplay: false)

    @Option(help: "The cell, as JSON.")
    var cell: String

    @OptionGroup var plugins: PluginOptions

    func run() throws {
        guard let data = FileManager.default.contents(atPath: cell) else { throw CLIError("cannot read \(cell)") }
        let spec = try HarnessJSON.decoder.decode(Cell.self, from: data)
        EngineThreads.set(spec.threads)
        let result = CellRunner.run(spec, plugins: plugins.registry(), log: { note($0) })
        print(String(decoding: try HarnessJSON.encoder.encode(result), as: UTF8.self))
    }
}
