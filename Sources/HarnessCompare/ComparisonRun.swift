// Running a plan: which of its cells still need to run (a finished cell is never rerun, a failed
// one only when asked), what they will cost and which fit a budget, handing them to a launcher,
// storing each result the moment it arrives, then the refit phase. Returns the plan's stored
// cells, from which leaderboards, curves and reports are drawn.
import Foundation

public struct ComparisonRun {
    public var plan: ComparisonPlan
    public var database: String
    public var launcher: Launcher
    /// Run again the cells that failed before.
    public var retryFailed = false
    /// Minutes: start no cell after this, and keep only the trials that fit the estimate.
    public var budget: Double?
    public var events: CellEvents
    /// Recorded in the database as the comparison starts (nil: not recorded).
    public var provenance: Provenance?
    /// Each cell run writes the network behind its predictions here (`Cell.modelPath(in:)`).
    public var modelFolder: String?

    public init(plan: ComparisonPlan, database: String, launcher: Launcher, events: CellEvents) {
        self.plan = plan
        self.database = database
        self.launcher = launcher
        self.events = events
    }

    /// Runs the plan's cells not yet stored, then (with refit) the selected configurations' refits.
    public func execute() throws -> [StoredCell] {
        let db = try ResultsDatabase(path: database)
        if db.recovered.count > 0 {
            events.log("stored \(db.recovered.count) result\(db.recovered.count == 1 ? "" : "s") an earlier run could not write to \(database), "
                       + "from \(db.recovered.folders.joined(separator: ", "))")
        }
        if let provenance { try db.recordRun(setting: plan.setting.key, provenance) }
        let deadline = budget.map { Date().addingTimeInterval($0 * 60) }
        var stored = try execute(plan.cells, in: db, deadline: deadline, what: "cells")
        let refits = plan.refitCells(after: stored)
        if !refits.isEmpty {
            events.log("refitting \(refits.count) selected configurations on training + validation images")
            stored += try execute(refits, in: db, deadline: deadline, what: "refit cells")
        }
        return stored
    }

    /// The cells of `cells` not yet stored (failed ones too with `retryFailed`), with a note of
    /// how many failed before.
    public func pending(_ cells: [Cell], in db: ResultsDatabase) throws -> (todo: [Cell], failedBefore: Int) {
        let succeeded = try db.finishedKeys(includeFailed: false)
        // Cells lost with a killed cluster task run again, as if never run.
        let finished = retryFailed ? succeeded : try db.finishedKeys(includeFailed: true).subtracting(try db.lostKeys())
        let failedBefore = cells.filter { finished.contains($0.key) && !succeeded.contains($0.key) }.count
        return (cells.filter { !finished.contains($0.key) }, failedBefore)
    }

    private func execute(_ cells: [Cell], in db: ResultsDatabase, deadline: Date?, what: String) throws -> [StoredCell] {
        var (todo, failedBefore) = try pending(cells, in: db)
        let jobs = launcher.parallelCells
        if let modelFolder {
            for i in todo.indices { todo[i].modelFile = todo[i].modelPath(in: modelFolder) }
            let here = Set(try db.cells(setting: plan.setting.key).filter { $0.result.modelFile?.hasPrefix(modelFolder + "/") == true }.map(\.cell.key))
            let elsewhere = cells.count - todo.count - cells.filter { here.contains($0.key) }.count
            if elsewhere > 0 {
                events.log("--save-models: \(elsewhere) \(what) finished before are not rerun, so \(modelFolder) has no model of theirs "
                           + "(the model_file column of harness leaderboard --format trials says where one was kept); a new --db trains them afresh")
            }
        }

        // Cost up front, from the speed of cells stored before; --budget keeps the trials that fit.
        let estimate = CostEstimate(history: try db.cells())
        var expected = estimate.seconds(for: todo, jobs: jobs)
        if let budget, let total = expected, total > budget * 60 {
            var kept: [Cell] = [], spent = 0.0
            for cell in todo {
                let cost = (estimate.seconds(for: cell) ?? 0) / Double(jobs)
                if spent + cost > budget * 60 && (cell.trial ?? 0) > 0 { continue }
                kept.append(cell)
                spent += cost
            }
            events.log("--budget \(String(format: "%g", budget)) min: \(kept.count) of \(todo.count) \(what) fit (about \(Self.duration(total)) for all); "
                       + "the rest, later trials first, are left out")
            todo = kept
            expected = spent
        }
        let threads = todo.first?.threads ?? 1
        events.log("\(todo.count) of \(cells.count) \(what) to run" + (cells.count > todo.count ? " (\(cells.count - todo.count) already in \(database) or left out)" : "")
                   + (todo.isEmpty ? "" : ", \(jobs) at a time with \(threads) thread\(threads == 1 ? "" : "s") each")
                   + (todo.isEmpty ? "" : expected.map { "; about \(Self.duration($0)) from the speed of \(estimate.basis) earlier cells in \(database)" }
                      ?? "; no earlier cells in \(database) to estimate the time from (the progress lines give an ETA)"))
        if failedBefore > 0 {
            events.log("\(failedBefore) of them failed before and are not rerun; rerun them with --retry-failed")
        }

        // Each result is stored as it arrives. One the database will not take (locked past the
        // wait, a full disk) is kept in a recovery file and the run goes on: no work is lost,
        // and the run ends with an error that says what was kept where.
        let unstored = LockedValue<[(cell: Cell, error: Error, keptIn: String?)]>([])
        let count = LockedValue(0)
        var storing = events
        storing.finished = { [events] cell, result in
            if let failure = db.storeOrKeep(cell, result) {
                unstored.update { $0.append((cell, failure.error, failure.keptIn)) }
                events.log("could not store \(cell.configuration) seed \(cell.seed) in \(db.path): \(failure.error); "
                           + (failure.keptIn.map { "kept in \($0)" } ?? "and no recovery folder could be written either: this result is lost"))
            }
            count.update { $0 += 1 }
            events.finished(cell, result)
        }
        events.begin(todo.count)
        try launcher.run(todo, of: plan, deadline: deadline, events: storing)
        let failures = unstored.value
        if let first = failures.first {
            let kept = failures.compactMap(\.keptIn), lost = failures.count - kept.count
            let folders = Array(Set(kept.map { ($0 as NSString).deletingLastPathComponent })).sorted()
            throw ComparisonError("\(failures.count) of \(count.value) finished results could not be written to \(db.path) (first: \(first.error)); "
                + "\(count.value - failures.count) were stored"
                + (kept.isEmpty ? "" : ", \(kept.count) are kept in \(folders.joined(separator: ", "))")
                + (lost > 0 ? ", \(lost) are lost" : "")
                + ". help: free the disk or end what locks the database, then rerun the same command: it stores the kept results first and runs only what is missing")
        }
        if let deadline, Date() >= deadline, count.value < todo.count {
            events.log("--budget reached: \(todo.count - count.value) \(what) not started")
        }
        let keys = Set(cells.map(\.key))
        return try db.cells(setting: plan.setting.key).filter { keys.contains($0.cell.key) }
    }

    /// "1m05s", "42s".
    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }
}

/// A value shared between the callbacks of concurrent work.
final class LockedValue<T>: @unchecked Sendable {
    private var stored: T
    private let lock = NSLock()
    init(_ value: T) { stored = value }
    var value: T { lock.lock(); defer { lock.unlock() }; return stored }
    func update(_ body: (inout T) -> Void) { lock.lock(); body(&stored); lock.unlock() }
}
