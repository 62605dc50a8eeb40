// A plan's files on a shared file system, for launchers whose cells run in other processes on
// other machines: the plan, what each submission asked for, and one result file per cell. One
// file per cell is what a shared file system does safely (SQLite over NFS does not): a task
// writes each cell's result under a temporary name and renames it, so a reader sees a whole
// result or none, and a task killed mid-way loses only its unfinished cells. Results are then
// ingested into the user's database by `collect`, as often as wanted, without duplicates (a
// cell's key is the database's primary key).
import Foundation
import HarnessSupport

public struct RunDirectory: Sendable {
    public let path: String

    /// The plan's own folder under `root`: named by its cells' keys, so running the same
    /// comparison again finds its earlier submissions and results.
    public init(root: String, plan: ComparisonPlan) {
        path = URL(fileURLWithPath: root).standardizedFileURL.path + "/" + StableHash.of(plan.cells.map(\.key).joined(separator: ","))
    }

    public init(path: String) { self.path = URL(fileURLWithPath: path).standardizedFileURL.path }

    var planFile: String { path + "/plan.json" }
    var resultsFolder: String { path + "/results" }
    public var logsFolder: String { path + "/logs" }
    func resultFile(_ key: String) -> String { resultsFolder + "/\(key).json" }
    func submissionFile(_ n: Int) -> String { path + "/submission-\(n).json" }

    /// Creates the folders and writes the plan (once: a plan's folder is named by its cells).
    public func prepare(_ plan: ComparisonPlan) throws {
        for folder in [path, resultsFolder, logsFolder] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        if !FileManager.default.fileExists(atPath: planFile) {
            try ChildProcess.writeResult(try HarnessJSON.encoder.encode(plan), to: planFile)
        }
    }

    public func plan() throws -> ComparisonPlan {
        guard let data = FileManager.default.contents(atPath: planFile) else {
            throw ComparisonError("\(path) holds no plan.json: not a comparison's run directory")
        }
        return try HarnessJSON.decoder.decode(ComparisonPlan.self, from: data)
    }

    /// Writes one cell's result (atomically). Only tasks write here, so a file is always a result
    /// a cell finished with; a cell lost with its task has no file (its failed row lives in the
    /// database alone).
    public func write(_ result: CellResult) throws {
        try ChildProcess.writeResult(try HarnessJSON.encoder.encode(result), to: resultFile(result.key))
    }

    /// One cell's result, if its task has written it.
    public func result(for key: String) -> CellResult? {
        FileManager.default.contents(atPath: resultFile(key)).flatMap { try? HarnessJSON.decoder.decode(CellResult.self, from: $0) }
    }

    /// The results written so far, by cell key (a half-written file is never seen: see `write`).
    public func results() -> [String: CellResult] {
        var found: [String: CellResult] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: resultsFolder)) ?? [] where name.hasSuffix(".json") {
            if let result = self.result(for: String(name.dropLast(".json".count))) { found[result.key] = result }
        }
        return found
    }

    /// Every submission made for this plan, in order.
    public func submissions() -> [SlurmSubmission] {
        var all: [SlurmSubmission] = []
        while let data = FileManager.default.contents(atPath: submissionFile(all.count)),
              let s = try? HarnessJSON.decoder.decode(SlurmSubmission.self, from: data) {
            all.append(s)
        }
        return all
    }

    public func record(_ submission: SlurmSubmission) throws {
        try ChildProcess.writeResult(try HarnessJSON.encoder.encode(submission), to: submissionFile(submission.number))
    }

    /// Stores into `database` every result of a submitted cell that it does not hold yet (or
    /// holds as lost with its task), and returns the cells stored now.
    @discardableResult
    public func collect(into database: ResultsDatabase) throws -> [(Cell, CellResult)] {
        let results = self.results()
        let stored = try database.finishedKeys(includeFailed: true).subtracting(try database.lostKeys())
        var new: [(Cell, CellResult)] = []
        var seen = Set<String>()
        for cell in submissions().flatMap({ $0.tasks.joined() }) where !stored.contains(cell.key) && seen.insert(cell.key).inserted {
            if let result = results[cell.key] {
                try database.store(cell, result)
                new.append((cell, result))
            }
        }
        return new
    }
}
