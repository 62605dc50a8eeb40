// `harness report`: an HTML page and SVG figures from a results database.
import ArgumentParser
import Foundation
import HarnessCore

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an HTML report (and its figures as SVG) of the comparisons in a results database.")

    @OptionGroup var results: StoredResults

    @Option(help: ArgumentHelp("Where to write report.html and the SVG figures (one sub-folder per comparison when there are several).", valueName: "dir"))
    var out: String = "results/report"

    @Option(help: "The configuration others are measured against.")
    var baseline: String = "scratch"

    func run() throws {
        let stored = try results.open().cells()
        guard !stored.isEmpty else { throw CLIError("\(results.db) holds no cells yet") }
        let settings = Dictionary(grouping: stored, by: { $0.cell.setting.key })
        for key in settings.keys.sorted() {
            let dir = settings.count == 1 ? out : out + "/" + key
            let page = try ComparisonReport(cells: settings[key]!, baseline: baseline).write(to: dir)
            print(page)
        }
    }
}
