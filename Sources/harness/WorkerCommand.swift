// `harness worker`: runs one cell of a comparison and writes its result to a file of its own.
// Started by `harness compare`, one process per cell, so that a crashing strategy takes down only
// this. Standard output and error belong to the plugin and become the cell's log: nothing the
// plugin prints can spoil or hide the result.
import ArgumentParser
import Foundation
import HarnessCore

struct Worker: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one comparison cell (started by harness compare).",
        shouldDisplay: false)

    @Option(help: "The cell, as JSON.")
    var cell: String

    @Option(help: "CPUs this worker's threads are bound to, e.g. 0,1 (default: the scheduler places them).")
    var cpus: String?

    @OptionGroup var child: ChildOptions

    func run() throws {
        try child.guardSelf()
        if let cpus {
            let list = cpus.split(separator: ",").compactMap { Int($0) }
            guard !list.isEmpty, list.count == cpus.split(separator: ",").count else { throw ValidationError("--cpus: '\(cpus)' is not a list of CPU numbers") }
            try AvailableCores.bind(to: list)
        }
        let spec = try child.read(Cell.self, from: cell)
        EngineThreads.set(spec.threads)
        let outcome = CellRunner.run(spec, log: { note($0) })
        try child.write(outcome)
    }
}

/// What every child of the harness (a cell's worker, the plugin scanner) is started with: where
/// its result goes, and the guards that keep it from outliving its parent.
struct ChildOptions: ParsableArguments {
    @Option(help: "Where to write the result (JSON).")
    var result: String

    @Option(parsing: .unconditional, help: "The parent's process id: the child ends when it does.")
    var parent: Int32?

    @Option(parsing: .unconditional, help: "Seconds after which the child ends itself (a hung plugin).")
    var deadline: Double?

    func guardSelf() throws {
        guard ChildProcess.guardChild(parent: parent, deadline: deadline) else { throw ExitCode(1) }
    }

    /// The child's input: a JSON file its parent wrote.
    func read<T: Decodable>(_ type: T.Type, from path: String) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read \(path)") }
        return try HarnessJSON.decoder.decode(type, from: data)
    }

    func write<T: Encodable>(_ value: T) throws {
        try ChildProcess.writeResult(try HarnessJSON.encoder.encode(value), to: result)
    }
}
