// `harness report`: an HTML page and SVG figures from a results database.
import ArgumentParser
import Foundation
import HarnessCore

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an HTML report (and its figures as SVG) of the comparisons in a results database.")

    @OptionGroup var results: StoredResults

    @OptionGroup var choice: RunChoice

    @Option(help: ArgumentHelp("Where to write report.html and the SVG figures (one sub-folder per comparison when there are several).", valueName: "dir"))
    var out: String = "results/report"

    @Option(help: "The configuration others are measured against.")
    var baseline: String = "scratch"

    func run() throws {
        let database = try results.open()
        let stored = try choice.cells(in: database)
        guard !stored.isEmpty else { throw CLIError("\(results.db) holds no cells yet") }
        let runs = RunListing.summaries(cells: stored, runs: try database.runs())
        // One comparison: its page in --out. Several: a folder each (named by id) and an index linking them.
        for run in runs where run.cellsOK + run.cellsFailed > 0 {
            let dir = runs.count == 1 ? out : out + "/" + run.id
            let page = try ComparisonReport(cells: stored.filter { $0.cell.setting.key == run.key }, baseline: baseline).write(to: dir)
            print(page)
        }
        if runs.count > 1 { print(try ComparisonReport.writeIndex(runs, to: out)) }
    }
}
