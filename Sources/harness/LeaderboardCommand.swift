// `harness leaderboard`: redraw the leaderboards of a results database without running anything.
import ArgumentParser
import Foundation
import HarnessCore

struct LeaderboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leaderboard",
        abstract: "Print the leaderboards stored in a results database.")

    @Option(help: ArgumentHelp("The results database.", valueName: "file"))
    var db: String = ResultsDatabase.defaultPath

    @Option(help: ArgumentHelp("Format: \(LeaderboardFormat.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "format"))
    var format: String = "table"

    @Option(help: "Only comparisons on this data set.")
    var dataset: String?

    @Option(help: "Only comparisons on this split (random(seed 1), dissimilar, explicit).")
    var split: String?

    @Option(help: ArgumentHelp("Only these configurations (comma-separated).", valueName: "names"))
    var strategies: String?

    @Option(help: "The configuration others are measured against.")
    var baseline: String = "scratch"

    @Flag(help: "Only run SQLite's integrity check on the database and print its verdict.")
    var check = false

    func validate() throws {
        guard LeaderboardFormat(rawValue: format) != nil else {
            throw ValidationError("--format takes \(LeaderboardFormat.allCases.map(\.rawValue).joined(separator: ", ")), not '\(format)'")
        }
    }

    func run() throws {
        guard FileManager.default.fileExists(atPath: db) else { throw CLIError("\(db): no results database here. help: run harness compare, or pass --db FILE") }
        let database = try ResultsDatabase(path: db)
        if check {
            let verdict = try database.integrityCheck()
            print("\(db): integrity \(verdict), \(try database.cells().count) cells")
            if verdict != "ok" { throw ExitCode.failure }
            return
        }
        let wanted = strategies.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
        var stored = try database.cells()
        if let dataset { stored = stored.filter { $0.cell.setting.datasetName == dataset } }
        if let split { stored = stored.filter { $0.cell.setting.splitName == split } }
        if let wanted { stored = stored.filter { wanted.contains($0.cell.configuration) || $0.cell.configuration == baseline } }
        guard !stored.isEmpty else { throw CLIError("no stored cells match") }
        let settings = Dictionary(grouping: stored, by: { $0.cell.setting.key })
        for (i, key) in settings.keys.sorted().enumerated() {
            if i > 0 { print("") }
            print(Leaderboard(cells: settings[key]!, baseline: baseline).render(LeaderboardFormat(rawValue: format)!))
        }
    }
}

struct Cache: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List or clear the cached source networks.",
        subcommands: [List.self, Clear.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List cached networks (the default).")
        func run() {
            let cache = NetworkCache()
            let entries = cache.entries()
            print("\(entries.count) cached network\(entries.count == 1 ? "" : "s") in \(cache.directory)")
            for e in entries { print("  \((e.path as NSString).lastPathComponent)  \(e.bytes / 1024) KiB  \(e.summary)") }
        }
    }

    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete every cached network.")
        func run() throws {
            let cache = NetworkCache()
            print("removed \(try cache.clear()) cached networks from \(cache.directory)")
        }
    }
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an HTML report (and its figures as SVG) of the comparisons in a results database.")

    @Option(help: ArgumentHelp("The results database.", valueName: "file"))
    var db: String = ResultsDatabase.defaultPath

    @Option(help: ArgumentHelp("Where to write report.html and the SVG figures (one sub-folder per comparison when there are several).", valueName: "dir"))
    var out: String = "results/report"

    @Option(help: "The configuration others are measured against.")
    var baseline: String = "scratch"

    func run() throws {
        guard FileManager.default.fileExists(atPath: db) else { throw CLIError("\(db): no results database here. help: run harness compare, or pass --db FILE") }
        let stored = try ResultsDatabase(path: db).cells()
        guard !stored.isEmpty else { throw CLIError("\(db) holds no cells yet") }
        let settings = Dictionary(grouping: stored, by: { $0.cell.setting.key })
        for key in settings.keys.sorted() {
            let dir = settings.count == 1 ? out : out + "/" + key
            let page = try ComparisonReport(cells: settings[key]!, baseline: baseline).write(to: dir)
            print(page)
        }
    }
}
