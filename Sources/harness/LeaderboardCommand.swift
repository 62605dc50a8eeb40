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

struct Telemetry: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show how each layer's weights moved during one stored training run.",
        discussion: "Example: harness telemetry --strategy finetune --seed 1 --out results/telemetry")

    @Option(help: ArgumentHelp("The results database.", valueName: "file"))
    var db: String = ResultsDatabase.defaultPath

    @Option(help: ArgumentHelp("The configuration whose run to show (e.g. finetune, or \"AnB+ n=3\").", valueName: "name"))
    var strategy: String

    @Option(help: "Which seed's run (default: the first stored).")
    var seed: UInt64?

    @Option(help: ArgumentHelp("Where to write telemetry.svg.", valueName: "dir"))
    var out: String = "results/telemetry"

    func run() throws {
        guard FileManager.default.fileExists(atPath: db) else { throw CLIError("\(db): no results database here. help: pass --db FILE") }
        let stored = try ResultsDatabase(path: db).cells().filter { $0.cell.configuration == strategy && (seed == nil || $0.cell.seed == seed) }
        guard let run = stored.first(where: { $0.result.curve.contains { $0.layers != nil } }) else {
            let known = Set(try ResultsDatabase(path: db).cells().map(\.cell.configuration)).sorted()
            throw CLIError(stored.isEmpty ? "no stored run of '\(strategy)'\(seed.map { " at seed \($0)" } ?? "") (stored: \(known.joined(separator: ", ")))"
                           : "the stored runs of '\(strategy)' trained no network, or predate telemetry")
        }
        let epochs = run.result.curve.filter { $0.layers != nil }
        let layers = epochs.first!.layers!.map(\.layer)
        print("\(strategy), seed \(run.cell.seed): distance of each layer's weights from where training started (||W - W0||)")
        print("epoch " + layers.map { $0.padding(toLength: 9, withPad: " ", startingAt: 0) }.joined(separator: " "))
        for (i, e) in epochs.enumerated() {
            print(String(format: "%5d ", i + 1) + e.layers!.map { String(format: "%9.4f", $0.distanceFromStart) }.joined(separator: " "))
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let path = out + "/telemetry.svg"
        try TelemetryFigure.svg(title: "\(strategy), seed \(run.cell.seed): how each layer moved", epochs: epochs)
            .write(toFile: path, atomically: true, encoding: .utf8)
        note("wrote \(path)")
    }
}
