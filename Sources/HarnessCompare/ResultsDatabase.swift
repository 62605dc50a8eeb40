// The results database: every finished cell, written the moment it finishes, in SQLite.
//
// Durability: WAL journal with synchronous=FULL, one transaction per cell, so a comparison
// killed at any point (Ctrl-C, kill -9, power loss) loses at most the cells still running and
// never corrupts what is written. Two comparisons writing one database at once both succeed:
// SQLite serialises writers and busy_timeout makes each wait for the other.
import CSQLite
import Foundation
import HarnessSupport
import HarnessEngine

public enum DatabaseError: Error, CustomStringConvertible {
    case sqlite(path: String, operation: String, message: String)
    case newerSchema(path: String, version: Int32, supported: Int32)
    case migration(path: String, key: String, reason: String)
    /// Not a harness results database: its tables are someone else's.
    case foreignSchema(path: String, found: String)
    /// The file or its folder cannot be written (a read-only file system, say).
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .sqlite(path, operation, message): return "\(path): \(operation): \(message)"
        case let .newerSchema(path, version, supported):
            return "\(path) was written by a newer harness (database schema \(version); this one reads up to \(supported)); "
                + "it was left untouched. help: use the newer harness, or another --db"
        case let .migration(path, key, reason):
            return "\(path): cannot upgrade the stored cell \(key): \(reason); nothing was changed. help: use another --db"
        case let .foreignSchema(path, found):
            return "\(path) is not a harness results database (\(found)); it was left untouched. help: pass --db with a new file, or a database harness wrote"
        case let .unwritable(path, reason):
            return "cannot write the results database \(path): \(reason). help: pass --db with a path on a writable file system"
        }
    }
}

/// One stored cell, as the leaderboard reads it.
public struct StoredCell: Sendable {
    public var cell: Cell
    public var result: CellResult
    public var finishedAt: String
}

/// Safe to share between threads: the connection is opened in SQLite's serialized mode (FULLMUTEX).
public final class ResultsDatabase: @unchecked Sendable {
    public let path: String
    private let db: OpaquePointer

    public static let defaultPath = "results/harness.sqlite"

    /// Results kept in files when storing failed, and stored again at the next open.
    public let recovery: ResultRecovery
    /// How many kept results this open stored (and the folders they came from).
    public private(set) var recovered: (count: Int, folders: [String]) = (0, [])

    /// `busyTimeout`: how long a write waits for another process's lock before it fails (and its
    /// result is kept in a recovery file instead).
    public init(path: String, busyTimeout: Double = 30) throws {
        self.path = path
        recovery = ResultRecovery(databasePath: path)
        let dir = (path as NSString).deletingLastPathComponent
        do {
            if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        } catch {
            throw DatabaseError.unwritable(path: path, reason: "cannot create its folder \(dir): \((error as NSError).localizedDescription)")
        }
        // access() reports a read-only file system even to root, before SQLite says only
        // "unable to open database file".
        let exists = FileManager.default.fileExists(atPath: path)
        if access(exists ? path : (dir.isEmpty ? "." : dir), W_OK) != 0 {
            throw DatabaseError.unwritable(path: path, reason: exists ? "the file is not writable (\(String(cString: strerror(errno))))"
                                           : "its folder \(dir.isEmpty ? "." : dir) is not writable (\(String(cString: strerror(errno))))")
        }
        var handle: OpaquePointer?
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nil) == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(handle)
            throw DatabaseError.sqlite(path: path, operation: "open", message: message)
        }
        db = handle
        sqlite3_busy_timeout(db, Int32(min(max(busyTimeout, 0), 3600) * 1000))
        // A newer harness's database, or someone else's, is refused before anything here changes it.
        let version = try userVersion()
        guard version <= StoredRowMigration.schemaVersion else {
            throw DatabaseError.newerSchema(path: path, version: version, supported: StoredRowMigration.schemaVersion)
        }
        try checkSchemaIsOurs()
        try execute("PRAGMA journal_mode=WAL")
        try execute("PRAGMA synchronous=FULL")
        try execute(Self.createCells)
        try execute("CREATE INDEX IF NOT EXISTS cells_setting ON cells(setting)")
        try execute(Self.createRuns)
        if version < StoredRowMigration.schemaVersion { try migrate() }
        try storeRecovered()
    }

    /// The cells table as this harness writes it.
    static let createCells = """
            CREATE TABLE IF NOT EXISTS cells (
                key TEXT PRIMARY KEY,
                setting TEXT NOT NULL,          -- ComparisonSetting.key: the cells of one leaderboard
                configuration TEXT NOT NULL,
                strategy TEXT NOT NULL,
                plugin_file TEXT NOT NULL,
                plugin_version TEXT NOT NULL,
                parameters TEXT NOT NULL,
                source TEXT NOT NULL,
                dataset TEXT NOT NULL,
                split TEXT NOT NULL,
                seed INTEGER NOT NULL,
                status TEXT NOT NULL,           -- ok | failed
                error TEXT,
                accuracy REAL,
                macro_f1 REAL,
                seconds REAL NOT NULL,
                trainable_parameters INTEGER NOT NULL,
                engine_version TEXT NOT NULL,
                cell_json TEXT NOT NULL,        -- the full configuration (Cell)
                result_json TEXT NOT NULL,      -- metrics, per-class accuracy, confusion, training curve
                finished_at TEXT NOT NULL
            )
            """

    /// Every start of a comparison: which setting, when, and its provenance (Provenance).
    static let createRuns = """
            CREATE TABLE IF NOT EXISTS runs (
                setting TEXT NOT NULL,          -- ComparisonSetting.key, as in cells
                started_at TEXT NOT NULL,
                provenance_json TEXT NOT NULL   -- Provenance: command, harness, commit, oneDNN, processor
            )
            """

    /// Its columns, read from the statement itself (a table made in memory), so the check of a
    /// database's schema cannot drift from what is created.
    static let columns: Set<String> = {
        var memory: OpaquePointer?
        guard sqlite3_open(":memory:", &memory) == SQLITE_OK, let memory, sqlite3_exec(memory, createCells, nil, nil, nil) == SQLITE_OK else {
            preconditionFailure("the cells table's own CREATE statement failed in memory")
        }
        defer { sqlite3_close(memory) }
        return tableColumns(memory)
    }()

    /// The column names of the cells table of `db`.
    static func tableColumns(_ db: OpaquePointer) -> Set<String> {
        var columns = Set<String>()
        var info: OpaquePointer?
        guard sqlite3_prepare_v2(db, "PRAGMA table_info(cells)", -1, &info, nil) == SQLITE_OK else { return columns }
        defer { sqlite3_finalize(info) }
        while sqlite3_step(info) == SQLITE_ROW { columns.insert(String(cString: sqlite3_column_text(info, 1))) }
        return columns
    }

    /// An empty database, or one whose cells table has every column this harness writes.
    private func checkSchemaIsOurs() throws {
        var tables: [String] = []
        let list = try prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        while sqlite3_step(list) == SQLITE_ROW { tables.append(String(cString: sqlite3_column_text(list, 0))) }
        sqlite3_finalize(list)
        guard !tables.isEmpty else { return }
        guard tables.contains("cells") else {
            throw DatabaseError.foreignSchema(path: path, found: "it holds tables \(tables.joined(separator: ", ")) and no cells table")
        }
        let columns = Self.tableColumns(db)
        let missing = Self.columns.subtracting(columns), extra = columns.subtracting(Self.columns)
        guard missing.isEmpty, extra.isEmpty else {
            throw DatabaseError.foreignSchema(path: path, found: "its cells table "
                + [missing.isEmpty ? nil : "lacks \(missing.sorted().joined(separator: ", "))", extra.isEmpty ? nil : "has \(extra.sorted().joined(separator: ", "))"]
                    .compactMap { $0 }.joined(separator: " and "))
        }
    }

    /// Stores the results an earlier run kept in recovery files, then removes the files.
    private func storeRecovered() throws {
        let pending = recovery.pending()
        guard !pending.isEmpty else { return }
        for (file, entry) in pending {
            try store(entry.cell, entry.result)
            try? FileManager.default.removeItem(atPath: file)
        }
        recovered = (pending.count, Array(Set(pending.map { ($0.file as NSString).deletingLastPathComponent })).sorted())
        // rmdir removes a folder only when empty: a file that could not be read stays where it is.
        for folder in recovered.folders { rmdir(folder) }
    }

    private func userVersion() throws -> Int32 {
        let stmt = try prepare("PRAGMA user_version")
        defer { sqlite3_finalize(stmt) }
        guard sqlite3_step(stmt) == SQLITE_ROW else { throw fail("user_version") }
        return sqlite3_column_int(stmt, 0)
    }

    /// Upgrades every row of an older schema (`StoredRowMigration`) in one transaction: all
    /// rows or none. A second process opening the database at once waits, then finds it done.
    private func migrate() throws {
        try execute("BEGIN IMMEDIATE")
        do {
            if try userVersion() < StoredRowMigration.schemaVersion {
                let select = try prepare("SELECT key, setting, cell_json, result_json FROM cells")
                var rows: [(String, String, String, String)] = []
                while sqlite3_step(select) == SQLITE_ROW {
                    func text(_ i: Int32) -> String { String(cString: sqlite3_column_text(select, i)) }
                    rows.append((text(0), text(1), text(2), text(3)))
                }
                sqlite3_finalize(select)
                for (key, setting, cellJSON, resultJSON) in rows {
                    let upgraded: StoredRowMigration.Upgraded?
                    do { upgraded = try StoredRowMigration.upgrade(key: key, setting: setting, cellJSON: cellJSON, resultJSON: resultJSON) } catch {
                        throw DatabaseError.migration(path: path, key: key, reason: "\(error)")
                    }
                    guard let u = upgraded else { continue }
                    let update = try prepare("UPDATE cells SET key = ?, setting = ?, cell_json = ?, result_json = ? WHERE key = ?")
                    defer { sqlite3_finalize(update) }
                    for (i, t) in [u.key, u.settingKey ?? setting, u.cellJSON, u.resultJSON, key].enumerated() {
                        sqlite3_bind_text(update, Int32(i + 1), t, -1, harness_sqlite_transient())
                    }
                    guard sqlite3_step(update) == SQLITE_DONE else { throw fail("upgrade cell \(key)") }
                }
                try execute("PRAGMA user_version = \(StoredRowMigration.schemaVersion)")
            }
            try execute("COMMIT")
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    deinit { sqlite3_close(db) }

    private func fail(_ operation: String) -> DatabaseError {
        .sqlite(path: path, operation: operation, message: String(cString: sqlite3_errmsg(db)))
    }

    public func execute(_ sql: String) throws {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { throw fail(String(sql.prefix(40))) }
    }

    private func prepare(_ sql: String) throws -> OpaquePointer {
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK, let stmt else { throw fail("prepare") }
        return stmt
    }

    /// Stores a finished cell (replacing an earlier result of the same cell) in one transaction.
    public func store(_ cell: Cell, _ result: CellResult) throws {
        let encoder = HarnessJSON.encoder
        let stmt = try prepare("""
            INSERT OR REPLACE INTO cells (key, setting, configuration, strategy, plugin_file, plugin_version, parameters, source,
                dataset, split, seed, status, error, accuracy, macro_f1, seconds, trainable_parameters, engine_version,
                cell_json, result_json, finished_at)
            VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,strftime('%Y-%m-%dT%H:%M:%fZ','now'))
            """)
        defer { sqlite3_finalize(stmt) }
        let texts: [(Int32, String?)] = [
            (1, cell.key), (2, cell.setting.key), (3, cell.configuration), (4, cell.strategy), (5, cell.pluginPath),
            (6, cell.pluginVersion), (7, cell.parameterSummary), (8, cell.source.rawValue), (9, cell.setting.datasetName),
            (10, cell.setting.splitName), (12, result.status.rawValue), (13, result.error), (18, EngineInfo.engineVersion),
            (19, String(decoding: try encoder.encode(cell), as: UTF8.self)),
            (20, String(decoding: try encoder.encode(result), as: UTF8.self)),
        ]
        for (i, t) in texts {
            if let t { sqlite3_bind_text(stmt, i, t, -1, harness_sqlite_transient()) } else { sqlite3_bind_null(stmt, i) }
        }
        sqlite3_bind_int64(stmt, 11, Int64(bitPattern: cell.seed))
        if let m = result.metrics {
            sqlite3_bind_double(stmt, 14, m.accuracy)
            sqlite3_bind_double(stmt, 15, m.macroF1)
        } else {
            sqlite3_bind_null(stmt, 14)
            sqlite3_bind_null(stmt, 15)
        }
        sqlite3_bind_double(stmt, 16, result.seconds)
        sqlite3_bind_int64(stmt, 17, Int64(result.trainableParameters))
        // busy_timeout already waited; a lock held longer still gets a few more tries.
        var status = sqlite3_step(stmt)
        for _ in 0..<3 where status == SQLITE_BUSY || status == SQLITE_LOCKED {
            sqlite3_reset(stmt)
            usleep(200_000)
            status = sqlite3_step(stmt)
        }
        guard status == SQLITE_DONE else { throw fail("store cell \(cell.configuration) seed \(cell.seed)") }
    }

    /// Stores the result, or, when the database will not take it, keeps it in a recovery file
    /// that the next open of this database stores. Returns nil when stored, else what happened.
    public func storeOrKeep(_ cell: Cell, _ result: CellResult) -> (error: Error, keptIn: String?)? {
        do {
            try store(cell, result)
            return nil
        } catch {
            return (error, recovery.keep(cell, result))
        }
    }

    /// Keys of the cells already finished (and, unless `includeFailed`, finished well).
    public func finishedKeys(includeFailed: Bool = true) throws -> Set<String> {
        let stmt = try prepare(includeFailed ? "SELECT key FROM cells" : "SELECT key FROM cells WHERE status = 'ok'")
        defer { sqlite3_finalize(stmt) }
        var keys = Set<String>()
        while sqlite3_step(stmt) == SQLITE_ROW { keys.insert(String(cString: sqlite3_column_text(stmt, 0))) }
        return keys
    }

    /// Keys of the cells stored as lost: their cluster task was killed before they finished, so
    /// running the comparison again runs them again.
    public func lostKeys() throws -> Set<String> {
        let stmt = try prepare("SELECT key FROM cells WHERE status = 'failed' AND json_extract(result_json, '$.lost') = 1")
        defer { sqlite3_finalize(stmt) }
        var keys = Set<String>()
        while sqlite3_step(stmt) == SQLITE_ROW { keys.insert(String(cString: sqlite3_column_text(stmt, 0))) }
        return keys
    }

    /// Stored cells, optionally of one setting, in the order they finished.
    public func cells(setting: String? = nil) throws -> [StoredCell] {
        let stmt = try prepare("SELECT cell_json, result_json, finished_at FROM cells" + (setting != nil ? " WHERE setting = ?" : "") + " ORDER BY finished_at")
        defer { sqlite3_finalize(stmt) }
        if let setting { sqlite3_bind_text(stmt, 1, setting, -1, harness_sqlite_transient()) }
        var out: [StoredCell] = []
        let decoder = HarnessJSON.decoder
        while sqlite3_step(stmt) == SQLITE_ROW {
            func text(_ i: Int32) -> String { String(cString: sqlite3_column_text(stmt, i)) }
            guard let cell = try? decoder.decode(Cell.self, from: Data(text(0).utf8)),
                  let result = try? decoder.decode(CellResult.self, from: Data(text(1).utf8)) else { continue }
            out.append(StoredCell(cell: cell, result: result, finishedAt: text(2)))
        }
        return out
    }

    /// Records that a comparison of `setting` starts, with where its numbers come from.
    public func recordRun(setting: String, _ provenance: Provenance) throws {
        let stmt = try prepare("INSERT INTO runs (setting, started_at, provenance_json) VALUES (?, ?, ?)")
        defer { sqlite3_finalize(stmt) }
        let json = String(decoding: try HarnessJSON.encoder.encode(provenance), as: UTF8.self)
        for (i, t) in [setting, provenance.startedAt, json].enumerated() { sqlite3_bind_text(stmt, Int32(i + 1), t, -1, harness_sqlite_transient()) }
        guard sqlite3_step(stmt) == SQLITE_DONE else { throw fail("record the run of \(setting.prefix(12))") }
    }

    /// Every recorded start, by setting key, oldest first (none in databases from before runs were recorded).
    public func runs() throws -> [String: [Provenance]] {
        let stmt = try prepare("SELECT setting, provenance_json FROM runs ORDER BY started_at")
        defer { sqlite3_finalize(stmt) }
        var out: [String: [Provenance]] = [:]
        while sqlite3_step(stmt) == SQLITE_ROW {
            guard let p = try? HarnessJSON.decoder.decode(Provenance.self, from: Data(String(cString: sqlite3_column_text(stmt, 1)).utf8)) else { continue }
            out[String(cString: sqlite3_column_text(stmt, 0)), default: []].append(p)
        }
        return out
    }

    /// "ok" when SQLite's own consistency check passes.
    public func integrityCheck() throws -> String {
        let stmt = try prepare("PRAGMA integrity_check")
        defer { sqlite3_finalize(stmt) }
        guard sqlite3_step(stmt) == SQLITE_ROW else { throw fail("integrity_check") }
        return String(cString: sqlite3_column_text(stmt, 0))
    }
}
