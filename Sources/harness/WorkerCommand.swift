// `harness worker`: runs one cell of a comparison and writes its result to a file of its own.
// Started by `harness compare`, one process per cell, so that a crashing strategy takes down only
// this. Standard output and error belong to the plugin and become the cell's log: nothing the
// plugin prints can spoil or hide the result.
import ArgumentParser
import CSystem
import Foundation
import HarnessCore

struct Worker: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one comparison cell (started by harness compare).",
        shouldDisplay: false)

    @Option(help: "The cell, as JSON.")
    var cell: String

    @Option(help: "Where to write the result (JSON).")
    var result: String

    @Option(help: "The coordinator's process id: the worker ends when it does.")
    var parent: Int32?

    @Option(help: "Seconds after which the worker ends itself (a hung plugin).")
    var deadline: Double?

    func run() throws {
        if let parent {
            // Die with the coordinator, even one killed with -9; it may already be gone.
            _ = harness_die_with_parent(SIGKILL)
            if getppid() != parent { throw ExitCode(1) }
        }
        // The default action of SIGALRM ends the process whatever the plugin is doing.
        if let deadline { alarm(UInt32(min(max(deadline.rounded(.up), 1), Double(UInt32.max)))) }
        guard let data = FileManager.default.contents(atPath: cell) else { throw CLIError("cannot read \(cell)") }
        let spec = try HarnessJSON.decoder.decode(Cell.self, from: data)
        EngineThreads.set(spec.threads)
        let outcome = CellRunner.run(spec, log: { note($0) })
        try ChildProcess.writeResult(try HarnessJSON.encoder.encode(outcome), to: result)
    }
}
