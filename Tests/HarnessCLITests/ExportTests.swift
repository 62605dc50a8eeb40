// Exports a pipeline can read (issue 28, item 1): a database holding two comparisons gives one
// JSON document, JSON Lines, one CSV with the comparison on every row, and the long per-cell
// CSV, and Python's json and csv modules and pandas read each of them as a user would.
import Foundation
import XCTest

final class ExportTests: XCTestCase {
    /// Two comparisons in one database (the README's "two comparisons can share a database"):
    /// the same strategies at 20 and 10 target images per class, so two settings.
    func twoComparisons(_ strategies: String, extra: [String] = [], seeds: Int, in dir: String) throws -> String {
        let db = dir + "/shared.sqlite"
        for perClass in ["20", "10"] {
            var options = CompareTests.small(seeds: seeds)
            options[options.firstIndex(of: "--target-per-class")! + 1] = perClass
            let r = try harness(["compare", "--strategies", strategies, "--db", db] + extra + options, environment: ["HARNESS_CACHE_DIR": dir + "/cache"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        return db
    }

    func testEveryFormatLoadsInPythonAndPandasFromADatabaseOfTwoComparisons() throws {
        let dir = try temporaryDirectory()
        let db = try twoComparisons("svm-codes,freeze3", seeds: 2, in: dir)
        var files: [String: String] = [:]
        for format in ["json", "jsonl", "csv", "trials"] {
            let r = try harness(["leaderboard", "--db", db, "--format", format])
            XCTAssertEqual(r.status, 0, r.stderr)
            files[format] = dir + "/board.\(format)"
            try r.stdout.write(toFile: files[format]!, atomically: true, encoding: .utf8)
        }
        let read = try python([TransferBetweenDataTests.repository + "/Tests/Fixtures/read_exports.py", "--json", files["json"]!,
                               "--jsonl", files["jsonl"]!, "--csv", files["csv"]!, "--trials", files["trials"]!])
        XCTAssertEqual(read.status, 0, read.output)
        let line = try XCTUnwrap(read.output.split(separator: "\n").last)
        let found = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], read.output)
        // 2 comparisons x 3 rows (svm-codes, freeze3 and the scratch baseline), 2 seeds each.
        XCTAssertEqual(found["comparisons"] as? Int, 2)
        XCTAssertEqual((found["ids"] as? [String])?.count, 2)
        XCTAssertEqual(found["rows"] as? Int, 6)
        XCTAssertEqual(found["trial_cells"] as? Int, 12)
        XCTAssertEqual(found["jsonl_rows"] as? Int, 6)
        XCTAssertEqual(found["jsonl_ids"] as? [String], found["ids"] as? [String])
        XCTAssertEqual(found["csv_rows"] as? Int, 6)
        XCTAssertEqual(found["csv_ids"] as? [String], found["ids"] as? [String])
        XCTAssertEqual(found["trials_rows"] as? Int, 12)
        XCTAssertEqual(found["pandas_groups"] as? Int, 2)
        XCTAssertEqual(found["pandas_jsonl_rows"] as? Int, 6)
        XCTAssertEqual(found["pandas_trials_mean_by_seed"] as? Int, 12)

        // The table and Markdown stay one leaderboard per comparison, each with its caption and provenance.
        let table = try harness(["leaderboard", "--db", db])
        XCTAssertEqual(table.stdout.components(separatedBy: "Accuracy: mean test top-1").count - 1, 2, table.stdout)
        XCTAssertEqual(table.stdout.components(separatedBy: "oneDNN ").count - 1, 2, table.stdout)

        // Provenance in the JSON: the command that ran each comparison, the harness and the processor.
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try String(contentsOfFile: files["json"]!, encoding: .utf8).utf8)) as? [String: Any])
        let comparisons = try XCTUnwrap(document["comparisons"] as? [[String: Any]])
        for c in comparisons {
            let run = try XCTUnwrap((c["runs"] as? [[String: Any]])?.last)
            XCTAssertTrue((run["command"] as? String ?? "").contains("compare --strategies svm-codes,freeze3"), "\(run)")
            XCTAssertFalse((run["onednn"] as? String ?? "").isEmpty)
            XCTAssertFalse((run["processor"] as? String ?? "").isEmpty)
        }
    }

    func testRunsListsTheComparisonsAndRunPicksOne() throws {
        let dir = try temporaryDirectory()
        let db = try twoComparisons("svm-codes", extra: ["--no-baseline"], seeds: 1, in: dir)
        let listing = try harness(["runs", "--db", db, "--format", "json"])
        XCTAssertEqual(listing.status, 0, listing.stderr)
        let runs = try XCTUnwrap((JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [String: Any])?["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.count, 2)
        let ids = runs.compactMap { $0["id"] as? String }
        XCTAssertEqual(Set(ids).count, 2)
        XCTAssertEqual(runs.map { $0["cells_ok"] as? Int }, [1, 1])
        XCTAssertEqual(runs.map { $0["strategies"] as? [String] }, [["svm-codes"], ["svm-codes"]])
        let table = try harness(["runs", "--db", db])
        XCTAssertTrue(ids.allSatisfy { table.stdout.contains($0) } && table.stdout.contains("--target-per-class 10"), table.stdout)

        // --run with a unique start of an id shows that comparison alone.
        let one = try harness(["leaderboard", "--db", db, "--run", String(ids[1].prefix(6)), "--format", "json"])
        XCTAssertEqual(one.status, 0, one.stderr)
        let picked = try XCTUnwrap((JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as? [String: Any])?["comparisons"] as? [[String: Any]])
        XCTAssertEqual(picked.compactMap { $0["id"] as? String }, [ids[1]])
        assertOneLineError(try harness(["leaderboard", "--db", db, "--run", "zzzz"]), mentions: "harness runs lists them")
        assertOneLineError(try harness(["leaderboard", "--db", db, "--run", ""]), mentions: "matches 2 comparisons")

        // A report over both: a folder per comparison and an index linking them.
        let report = try harness(["report", "--db", db, "--out", dir + "/report"])
        XCTAssertEqual(report.status, 0, report.stderr)
        let index = try String(contentsOfFile: dir + "/report/index.html", encoding: .utf8)
        for id in ids {
            XCTAssertTrue(index.contains("<a href=\"\(id)/report.html\">"), index)
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/report/\(id)/report.html"))
        }
    }
}
