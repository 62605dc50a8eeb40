// `harness leaderboard`: redraw the leaderboards of a results database without running anything.
import ArgumentParser
import Foundation
import HarnessCore

extension Leaderboard.IntervalKind: ExpressibleByArgument {}

/// `--db`, for the commands that read a results database written earlier.
struct StoredResults: ParsableArguments {
    @Option(help: ArgumentHelp("The results database.", valueName: "file"))
    var db: String = ResultsDatabase.defaultPath

    /// The database, which must exist already: these commands never create one.
    func open() throws -> ResultsDatabase {
        guard FileManager.default.fileExists(atPath: db) else {
            throw CLIError("\(db): no results database here. help: run harness compare, or pass --db FILE")
        }
        return try ResultsDatabase(path: db)
    }
}

/// `--run`, for the commands that show stored comparisons.
struct RunChoice: ParsableArguments {
    @Option(help: ArgumentHelp("Only the comparison with this id, or a unique start of it (harness runs lists them).", valueName: "id"))
    var run: String?

    /// The stored cells, of the chosen comparison when --run is given.
    func cells(in database: ResultsDatabase) throws -> [StoredCell] {
        let all = try database.cells()
        guard let run else { return all }
        do { return try RunListing.select(run, from: all) } catch let e as ComparisonError { throw ValidationError(e.description) }
    }
}

struct LeaderboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leaderboard",
        abstract: "Print the leaderboards stored in a results database.")

    @OptionGroup var results: StoredResults

    @OptionGroup var choice: RunChoice

    @Option(help: ArgumentHelp("Format: \(LeaderboardFormat.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "format"))
    var format: String = "table"

    @Option(help: "Only comparisons on this data set (its name as harness runs shows it, e.g. fashion-mnist).")
    var dataset: String?

    @Option(help: "Only comparisons on this split (random(seed 1), dissimilar, explicit).")
    var split: String?

    @Option(help: ArgumentHelp("Only these configurations (comma-separated).", valueName: "names"))
    var strategies: String?

    @Option(help: "The configuration others are measured against.")
    var baseline: String = "scratch"

    @Option(help: ArgumentHelp("The accuracy interval shown: t (Student's t over seeds) or bootstrap (the percentile bootstrap over seeds; from about 10 seeds).",
                               valueName: "kind"))
    var interval: Leaderboard.IntervalKind = .t

    @Flag(help: "Only run SQLite's integrity check on the database and print its verdict.")
    var check = false

    func validate() throws {
        guard LeaderboardFormat(rawValue: format) != nil else {
            throw ValidationError("--format takes \(LeaderboardFormat.allCases.map(\.rawValue).joined(separator: ", ")), not '\(format)'")
        }
    }

    func run() throws {
        let database = try results.open()
        if check {
            let verdict = try database.integrityCheck()
            print("\(results.db): integrity \(verdict), \(try database.cells().count) cells")
            if verdict != "ok" { throw ExitCode.failure }
            return
        }
        let wanted = strategies.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
        var stored = try choice.cells(in: database)
        if let dataset { stored = stored.filter { $0.cell.setting.datasetName == dataset } }
        if let split { stored = stored.filter { $0.cell.setting.splitName == split } }
        if let wanted { stored = stored.filter { wanted.contains($0.cell.configuration) || $0.cell.configuration == baseline } }
        guard !stored.isEmpty else { throw CLIError("no stored cells match") }
        // One document for every comparison the database holds (csv, json, jsonl and trials
        // name each row's comparison), oldest first.
        var export = ResultsExport(cells: stored, baseline: baseline, interval: interval)
        export.provenance = try database.runs()
        print(export.render(LeaderboardFormat(rawValue: format)!))
    }
}
