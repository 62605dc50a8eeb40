// The results database is never altered or lost to: someone else's database is refused before
// anything changes it, a folder that cannot be written is named, and a result the database will
// not take (locked past the wait, a full disk) is kept in a recovery file that the next open
// stores.
import CSQLite
import XCTest
@testable import HarnessCompare

final class ResultsDatabaseTests: XCTestCase {
    /// A second connection to the same file.
    func connection(_ path: String) throws -> OpaquePointer {
        var db: OpaquePointer?
        XCTAssertEqual(sqlite3_open(path, &db), SQLITE_OK)
        return try XCTUnwrap(db)
    }

    func execute(_ db: OpaquePointer, _ sql: String) {
        XCTAssertEqual(sqlite3_exec(db, sql, nil, nil, nil), SQLITE_OK, String(cString: sqlite3_errmsg(db)))
    }

    func journalMode(_ path: String) throws -> String {
        let db = try connection(path)
        defer { sqlite3_close(db) }
        var stmt: OpaquePointer?
        sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nil)
        defer { sqlite3_finalize(stmt) }
        XCTAssertEqual(sqlite3_step(stmt), SQLITE_ROW)
        return String(cString: sqlite3_column_text(stmt, 0))
    }

    func testSomeoneElsesDatabaseIsRefusedUntouched() throws {
        let dir = try temporaryDirectory(self)
        // Once switched to WAL, then refused only when the first cell was stored (its work lost).
        let other = dir + "/runs.sqlite"
        let db = try connection(other)
        execute(db, "CREATE TABLE runs (run_id INTEGER NOT NULL)")
        sqlite3_close(db)
        XCTAssertThrowsError(try ResultsDatabase(path: other)) {
            XCTAssertEqual("\($0)", "\(other) is not a harness results database (it holds tables runs and no cells table); it was left untouched. "
                           + "help: pass --db with a new file, or a database harness wrote")
        }
        XCTAssertEqual(try journalMode(other), "delete")

        let shaped = dir + "/cells.sqlite"
        let db2 = try connection(shaped)
        execute(db2, "CREATE TABLE cells (key TEXT PRIMARY KEY, run_id INTEGER NOT NULL)")
        sqlite3_close(db2)
        XCTAssertThrowsError(try ResultsDatabase(path: shaped)) {
            XCTAssertTrue("\($0)".contains("its cells table lacks accuracy, cell_json,"), "\($0)")
            XCTAssertTrue("\($0)".contains("and has run_id"), "\($0)")
        }
        XCTAssertEqual(try journalMode(shaped), "delete")

        // A folder that cannot be made is named (here: a file is in the way).
        try Data().write(to: URL(fileURLWithPath: dir + "/file"))
        XCTAssertThrowsError(try ResultsDatabase(path: dir + "/file/r.sqlite")) {
            XCTAssertTrue("\($0)".hasPrefix("cannot write the results database \(dir)/file/r.sqlite: cannot create its folder \(dir)/file"), "\($0)")
        }
    }

    func testAResultTheDatabaseWillNotTakeIsKeptAndStoredAtTheNextOpen() throws {
        let dir = try temporaryDirectory(self)
        let path = dir + "/r.sqlite"
        let database = try ResultsDatabase(path: path, busyTimeout: 0.1)
        let first = storedCell("scratch", seed: 1, accuracy: 0.5), second = storedCell("scratch", seed: 2, accuracy: 0.75)
        XCTAssertNil(database.storeOrKeep(first.cell, first.result))

        // Another process holds the write lock for longer than the wait (and the retries).
        let locker = try connection(path)
        execute(locker, "BEGIN EXCLUSIVE")
        let failure = try XCTUnwrap(database.storeOrKeep(second.cell, second.result), "the locked database refuses the write")
        XCTAssertTrue("\(failure.error)".contains("database is locked"), "\(failure.error)")
        let kept = try XCTUnwrap(failure.keptIn)
        XCTAssertEqual(kept, URL(fileURLWithPath: path).standardizedFileURL.path + ".recovery/\(second.cell.key).json")
        XCTAssertTrue(FileManager.default.fileExists(atPath: kept))
        execute(locker, "ROLLBACK")
        sqlite3_close(locker)

        // The next open stores it and removes the file.
        let reopened = try ResultsDatabase(path: path)
        XCTAssertEqual(reopened.recovered.count, 1)
        XCTAssertEqual(try reopened.finishedKeys(), [first.cell.key, second.cell.key])
        XCTAssertEqual(try reopened.cells().first { $0.cell.key == second.cell.key }?.result.metrics?.accuracy, 0.75)
        XCTAssertFalse(FileManager.default.fileExists(atPath: kept))
        XCTAssertEqual(try ResultsDatabase(path: path).recovered.count, 0, "stored once")
    }
}
