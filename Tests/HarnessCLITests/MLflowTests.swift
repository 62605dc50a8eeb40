// MLflow (issue 28, item 5), against a real tracking server: `mlflow server` with an SQLite
// backend on 127.0.0.1 (from the venv scripts/bootstrap.sh --bench makes), read back through
// MLflow's own Python client. Every cell is a child run of its comparison's run; exporting again
// adds nothing; a server that is down is a clear error that loses no result.
import Foundation
import XCTest

final class MLflowTests: XCTestCase {
    static let venv = TransferBetweenDataTests.repository + "/.build/mlflow"

    /// A tracking server on a free loopback port, stopped (with its workers) when the test ends.
    func startServer(in dir: String) throws -> String {
        let port = try freePort()
        let p = Process()
        // A session of its own, whose id the shell writes down: the server and its uvicorn worker are
        // that group, which the teardown ends together. Its background job runners (AI features of
        // MLflow 3) are not needed to track runs, and would start eight more Python processes.
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        p.arguments = ["/bin/bash", "-c", "echo $$ > '\(dir)/server.pgid'; MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false exec '\(Self.venv)/bin/mlflow' server --backend-store-uri 'sqlite:///\(dir)/mlflow.db' "
                       + "--artifacts-destination '\(dir)/artifacts' --host 127.0.0.1 --port \(port) --workers 1 > '\(dir)/server.log' 2>&1"]
        try p.run()
        addTeardownBlock {
            let group = (try? String(contentsOfFile: dir + "/server.pgid", encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if let group, group > 1 { kill(-group, SIGKILL) }  // a test's server, its SQLite store in a folder removed next
        }
        let uri = "http://127.0.0.1:\(port)"
        // Polled from Python (urllib, with a timeout per try): the server takes a few seconds to start.
        let wait = try python(["-c", """
            import sys, time, urllib.request
            for _ in range(180):
                try:
                    if urllib.request.urlopen('\(uri)/health', timeout=2).read() == b'OK': sys.exit(0)
                except Exception: time.sleep(0.5)
            sys.exit(1)
            """])
        guard wait.status == 0 else {
            throw XCTSkip("mlflow server did not answer on \(uri): \((try? String(contentsOfFile: dir + "/server.log", encoding: .utf8)) ?? "")")
        }
        return uri
    }

    /// A port nothing listens on (the kernel's choice for a socket bound to port 0).
    func freePort() throws -> Int {
        let r = try python(["-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
        return Int(r.output.trimmingCharacters(in: .whitespacesAndNewlines))!
    }

    struct Logged: Decodable {
        struct Run: Decodable {
            var id: String, name: String, status: String, parent: String?
            var tags: [String: String], params: [String: String], metrics: [String: Double]
            var train_loss_steps: [Int]?, artifacts: [String]?
        }
        var experiment_id: String
        var runs: [Run]
    }

    func readBack(_ uri: String, experiment: String = "harness") throws -> Logged {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.venv + "/bin/python")
        p.arguments = [TransferBetweenDataTests.repository + "/Tests/Fixtures/read_mlflow.py", uri, experiment]
        // Standard error to a file: MLflow's warnings must never fill a pipe nobody reads yet.
        let out = Pipe(), errors = NSTemporaryDirectory() + "read-mlflow-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: errors, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errors) }
        p.standardOutput = out
        p.standardError = FileHandle(forWritingAtPath: errors)
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")
        return try JSONDecoder().decode(Logged.self, from: data)
    }

    func testEveryCellIsAChildRunOfItsComparisonAndExportingAgainAddsNothing() throws {
        guard FileManager.default.fileExists(atPath: Self.venv + "/bin/mlflow") else {
            return XCTFail("MLflow is missing: scripts/bootstrap.sh --bench installs it into \(Self.venv)")
        }
        let dir = try temporaryDirectory()
        let uri = try startServer(in: dir)
        let db = dir + "/r.sqlite"
        let run = try harness(["compare", "--strategies", "finetune,svm-codes", "--seeds", "2", "--target-per-class", "20", "--eval-per-class", "20",
                               "--epochs", "2", "--base-epochs", "2", "--source-per-class", "50", "--db", db, "--mlflow", uri],
                              environment: ["HARNESS_CACHE_DIR": dir + "/cache"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("MLflow: 1 comparison in experiment 'harness' at \(uri): 6 cell runs logged, 0 already there, 1 comparison runs created"),
                      run.stderr)

        let logged = try readBack(uri)
        let parents = logged.runs.filter { $0.parent == nil }, children = logged.runs.filter { $0.parent != nil }
        XCTAssertEqual(parents.count, 1)
        let parent = try XCTUnwrap(parents.first)
        XCTAssertEqual(parent.tags["harness.role"], "comparison")
        XCTAssertEqual(parent.status, "FINISHED")
        XCTAssertEqual(parent.tags["harness.command"]?.contains("--mlflow"), true, "provenance as tags")
        XCTAssertNotNil(parent.tags["harness.onednn"])
        XCTAssertEqual(parent.params["target_per_class"], "20")
        XCTAssertEqual(parent.params["training.epochs"], "2")
        for artifact in ["report/report.html", "leaderboard.md", "results.json"] {
            XCTAssertTrue(parent.artifacts?.contains(artifact) == true, "\(artifact) in \(parent.artifacts ?? [])")
        }

        // Every cell of the long export is a child run, with its numbers.
        let cells = csvRecords(try harness(["leaderboard", "--db", db, "--format", "trials"]).stdout)
        XCTAssertEqual(cells.count, 6)
        XCTAssertEqual(children.count, cells.count)
        for cell in cells {
            let name = "\(cell["strategy"]!) seed \(cell["seed"]!)"
            let child = try XCTUnwrap(children.first { $0.name == name }, "\(name) is a child run: \(children.map(\.name))")
            XCTAssertEqual(child.parent, parent.id)
            XCTAssertEqual(child.params["strategy"], cell["strategy"])
            XCTAssertEqual(child.params["seed"], cell["seed"])
            XCTAssertEqual(child.metrics["test_accuracy"]!, Double(cell["test_accuracy"]!)!, accuracy: 1e-9)
            XCTAssertEqual(child.metrics["validation_accuracy"]!, Double(cell["validation_accuracy"]!)!, accuracy: 1e-9)
            XCTAssertNotNil(child.metrics["test_macro_f1"])
            XCTAssertNotNil(child.metrics["seconds"])
            XCTAssertEqual(child.tags["harness.selected"], cell["selected"])
            XCTAssertEqual(child.tags["harness.protocol"]?.isEmpty, false)
            if cell["strategy"] != "svm-codes" {
                XCTAssertGreaterThanOrEqual(child.train_loss_steps?.count ?? 0, 2, "the per-epoch loss as steps")
                XCTAssertNotNil(child.params["parameter.lr_mult"] ?? child.params["training.lr"])
            }
        }
        XCTAssertEqual(parent.metrics.keys.filter { $0.hasPrefix("accuracy_mean/") }.count, 3)

        // Again: nothing new, nothing doubled; a cell run an export left unfinished (no key tag yet)
        // is deleted, not counted.
        let stray = Process()
        stray.executableURL = URL(fileURLWithPath: Self.venv + "/bin/python")
        stray.arguments = ["-c", """
            from mlflow.tracking import MlflowClient
            c = MlflowClient('\(uri)')
            c.create_run('\(logged.experiment_id)', tags={'harness.role': 'cell', 'harness.comparison_id': '\(parent.tags["harness.comparison_id"]!)',
                                                   'mlflow.parentRunId': '\(parent.id)'})
            c.set_tag('\(children[0].id)', 'harness.status', 'failed')  # as if it had failed then and been rerun since
            """]
        try stray.run()
        stray.waitUntilExit()
        XCTAssertEqual(stray.terminationStatus, 0)
        XCTAssertEqual(try readBack(uri).runs.count, logged.runs.count + 1)
        let again = try harness(["export-mlflow", uri, "--db", db])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("1 cell runs logged, 5 already there, 0 comparison runs created"), again.stderr)
        XCTAssertTrue(again.stderr.contains("a cell an earlier export did not finish logging"), again.stderr)
        XCTAssertTrue(again.stderr.contains("is now ok; its run \(children[0].id) is replaced"), again.stderr)
        let after = try readBack(uri)
        XCTAssertEqual(after.runs.count, logged.runs.count)
        XCTAssertEqual(after.runs.filter { $0.tags["harness.status"] == "ok" }.count, 6)
        let quiet = try harness(["export-mlflow", uri, "--db", db])
        XCTAssertTrue(quiet.stderr.contains("0 cell runs logged, 6 already there, 0 comparison runs created"), quiet.stderr)

        // A server that is down: a clear error, the tracker's exit status, and the results untouched.
        let down = try harness(["export-mlflow", "http://127.0.0.1:\(try freePort())", "--db", db])
        XCTAssertEqual(down.status, 4, down.stderr)
        XCTAssertTrue(down.stderr.contains("cannot reach the MLflow server"), down.stderr)
        XCTAssertTrue(down.stderr.contains("nothing is lost: every result stays in \(db)"), down.stderr)
        XCTAssertEqual(csvRecords(try harness(["leaderboard", "--db", db, "--format", "trials"]).stdout).count, 6)

        // Not a server's address: a usage error before anything runs.
        let file = try harness(["compare", "--strategies", "finetune", "--db", db, "--mlflow", "sqlite:///mlflow.db"])
        XCTAssertEqual(file.status, 64, file.stderr)
        XCTAssertTrue(file.stderr.contains("--mlflow takes a tracking server's address"), file.stderr)
    }
}
