// `harness runs`: the comparisons a results database holds, with their ids for --run.
import ArgumentParser
import Foundation
import HarnessCore

struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the comparisons in a results database: id, start, source, target, strategies, cells, and the command that ran each.",
        discussion: "The ids go to leaderboard --run and report --run (a unique start of an id is enough).")

    @OptionGroup var results: StoredResults

    @Option(help: ArgumentHelp("table or json.", valueName: "format"))
    var format: String = "table"

    func validate() throws {
        guard ["table", "json"].contains(format) else { throw ValidationError("--format takes table or json, not '\(format)'") }
    }

    func run() throws {
        let database = try results.open()
        let runs = RunListing.summaries(cells: try database.cells(), runs: try database.runs())
        guard !runs.isEmpty else { throw CLIError("\(results.db) holds no comparison yet. help: harness compare --db \(results.db)") }
        print(format == "json" ? RunListing.json(runs) : RunListing.table(runs))
    }
}
