// The comparisons a results database holds (issue 28, item 2): `harness runs` lists them, and
// `leaderboard --run ID` and `report --run ID` pick one by its id or a unique start of it.
import Foundation
import HarnessSupport

public struct RunSummary: Sendable {
    public var id: String
    public var key: String
    /// When it first started (its earliest recorded run, else its first stored cell).
    public var started: String
    public var lastFinished: String?
    public var source: String
    public var target: String
    public var strategies: [String]
    public var cellsOK: Int
    public var cellsFailed: Int
    public var runs: [Provenance]

    var export: ExportValue {
        .object([("id", .string(id)), ("started", .string(started)), ("last_finished", .text(lastFinished)), ("source", .string(source)),
                 ("target", .string(target)), ("strategies", .list(strategies)), ("cells_ok", .int(cellsOK)), ("cells_failed", .int(cellsFailed)),
                 ("runs", .array(runs.map(\.export)))])
    }
}

public enum RunListing {
    /// One summary per comparison, oldest first: those with stored cells, and those that started
    /// and stored nothing yet (from the runs table).
    public static func summaries(cells: [StoredCell], runs: [String: [Provenance]]) -> [RunSummary] {
        let grouped = Dictionary(grouping: cells, by: { $0.cell.setting.key })
        var out: [RunSummary] = grouped.map { key, cells in
            let setting = cells[0].cell.setting
            let columns = Dictionary(setting.exportColumns.map { ($0.0, $0.1.csv) }, uniquingKeysWith: { a, _ in a })
            var strategies: [String] = []
            for c in cells where !strategies.contains(c.cell.configuration) { strategies.append(c.cell.configuration) }
            let finished = cells.map(\.finishedAt).sorted()
            return RunSummary(id: setting.id, key: key, started: min(runs[key]?.first?.startedAt ?? finished[0], finished[0]), lastFinished: finished.last,
                              source: columns["source"] ?? "", target: columns["target"] ?? "", strategies: strategies,
                              cellsOK: cells.filter { $0.result.status == .ok }.count, cellsFailed: cells.filter { $0.result.status != .ok }.count,
                              runs: runs[key] ?? [])
        }
        for (key, started) in runs where grouped[key] == nil {
            out.append(RunSummary(id: ComparisonSetting.id(ofKey: key), key: key, started: started[0].startedAt, lastFinished: nil, source: "?", target: "?",
                                  strategies: [], cellsOK: 0, cellsFailed: 0, runs: started))
        }
        return out.sorted { ($0.started, $0.id) < ($1.started, $1.id) }
    }

    /// The cells of the comparison whose id starts with `id`.
    public static func select(_ id: String, from cells: [StoredCell]) throws -> [StoredCell] {
        // Each cell's setting hashed once (its key is a hash of the whole setting).
        let keyed = cells.map { (cell: $0, id: $0.cell.setting.id) }
        let ids = Set(keyed.map(\.id))
        let matches = ids.filter { $0.hasPrefix(id.lowercased()) }.sorted()
        guard let only = matches.first else {
            throw ComparisonError("--run \(id): no comparison with that id in this database (it holds \(ids.sorted().joined(separator: ", "))). help: harness runs lists them")
        }
        guard matches.count == 1 else {
            throw ComparisonError("--run \(id) matches \(matches.count) comparisons (\(matches.joined(separator: ", "))). help: give more of the id")
        }
        return keyed.filter { $0.id == only }.map(\.cell)
    }

    /// `harness runs` as a table: one line per comparison, then the command that last ran each.
    public static func table(_ runs: [RunSummary]) -> String {
        let rows = runs.map { r in
            [r.id, String(r.started.prefix(19)).replacingOccurrences(of: "T", with: " "), r.source, r.target,
             r.strategies.isEmpty ? "-" : r.strategies.joined(separator: ","), "\(r.cellsOK)", "\(r.cellsFailed)"]
        }
        var out = TextTable.lines(["id", "started", "source", "target", "strategies", "cells ok", "failed"], rows, leftAligned: [0, 1, 2, 3, 4])
        let commands = runs.compactMap { r in r.runs.last.map { "  \(r.id): \($0.command)  [\($0.summary)]" } }
        if !commands.isEmpty { out += ["", "Last command of each (and where its numbers come from):"] + commands }
        return out.joined(separator: "\n")
    }

    public static func json(_ runs: [RunSummary]) -> String {
        ResultsExport.serialise(["runs": runs.map(\.export.json)], pretty: true)
    }
}
