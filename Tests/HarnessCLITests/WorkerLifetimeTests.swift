// A worker never outlives its comparison: it dies with the coordinator (even one killed with -9),
// holds itself to its deadline, and the scratch folder a killed coordinator leaves is removed by
// the next comparison.
import Foundation
import XCTest

final class WorkerLifetimeTests: XCTestCase {
    /// Process ids whose command line contains every fragment.
    func processes(matching fragments: [String]) -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }.filter { pid in
            guard let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let line = String(decoding: raw.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return fragments.allSatisfy { line.contains($0) }
        }
    }

    /// Gone, or a zombie nobody has reaped yet: either way it runs no more code.
    func isDead(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
    }

    func testAHungWorkerDiesWithItsCoordinatorAndHoldsItselfToItsDeadline() throws {
        let dir = try temporaryDirectory(), plugins = dir + "/plugins"
        let environment = ["HARNESS_CACHE_DIR": dir + "/cache"]
        try CPluginBuilder.build(CPluginBuilder.source("spin", body: "for (volatile unsigned long i = 0;; i++) {}"), file: "spin", in: plugins)
        let config = dir + "/strategies.json"
        try #"{ "spin": { "strategy": "spin" }, "svm-codes": { "strategy": "svm-codes" } }"#.write(toFile: config, atomically: true, encoding: .utf8)
        let common = ["--no-baseline", "--plugin-path", plugins, "--config", config, "--db", dir + "/r.sqlite"] + CompareTests.small(seeds: 1)

        let coordinator = Process()
        coordinator.executableURL = HarnessCLI.binary
        coordinator.arguments = ["compare", "--strategies", "spin", "--timeout", "600"] + common
        coordinator.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        coordinator.standardOutput = FileHandle.nullDevice
        coordinator.standardError = FileHandle.nullDevice
        try coordinator.run()
        let parent = coordinator.processIdentifier
        var worker: Int32?
        let deadline = Date().addingTimeInterval(300)
        while worker == nil, Date() < deadline, coordinator.isRunning {
            worker = processes(matching: ["worker", "--parent \(parent) "]).first
            if worker == nil { usleep(100_000) }
        }
        let pid = try XCTUnwrap(worker, "the worker started")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("harness-cells-\(parent)").path
        let cell = dir + "/cell.json"
        try FileManager.default.copyItem(atPath: scratch + "/cell-0.json", toPath: cell)

        kill(parent, SIGKILL)
        coordinator.waitUntilExit()
        let gone = Date().addingTimeInterval(10)
        while !isDead(pid), Date() < gone { usleep(100_000) }
        XCTAssertTrue(isDead(pid), "the spinning worker died with its coordinator")
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch), "a coordinator killed with -9 leaves its scratch folder")

        // The next comparison removes it.
        let next = try harness(["compare", "--strategies", "svm-codes"] + common, environment: environment)
        XCTAssertEqual(next.status, 0, next.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch), "stale scratch removed at the next start")

        // A worker alone (no coordinator watching) ends itself at its deadline.
        let started = Date()
        let alone = try harness(["worker", "--cell", cell, "--result", dir + "/result.json", "--deadline", "1"])
        XCTAssertEqual(alone.status, SIGALRM, "ended by its own alarm: \(alone.stderr)")
        XCTAssertLessThan(Date().timeIntervalSince(started), 30)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/result.json"))
    }

    /// C that forks a child and double-forks a daemon (setsid, so it leaves the process group),
    /// both sleeping forever, and writes their pids to $PIDS_DIR/child.pid and daemon.pid.
    static let forker = """
        static void spawn_escapees(void) {
            const char *dir = getenv("PIDS_DIR");
            char path[4096];
            pid_t child = fork();
            if (child == 0) { for (;;) pause(); }
            pid_t first = fork();
            if (first == 0) {
                setsid();
                pid_t daemon = fork();
                if (daemon == 0) { for (;;) pause(); }
                snprintf(path, sizeof path, "%s/daemon.pid", dir);
                FILE *f = fopen(path, "w"); fprintf(f, "%d", (int)daemon); fclose(f);
                _exit(0);
            }
            waitpid(first, NULL, 0);
            snprintf(path, sizeof path, "%s/child.pid", dir);
            FILE *f = fopen(path, "w"); fprintf(f, "%d", (int)child); fclose(f);
        }
        """

    /// The pids the forker wrote, once both are there.
    func escapees(in dir: String, within seconds: Double = 300, while alive: () -> Bool = { true }) -> [Int32] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, alive() {
            let pids = ["child", "daemon"].compactMap { try? String(contentsOfFile: "\(dir)/\($0).pid", encoding: .utf8) }.compactMap { Int32($0) }
            if pids.count == 2 { return pids }
            usleep(100_000)
        }
        return []
    }

    func assertAllDie(_ pids: [Int32], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let gone = Date().addingTimeInterval(10)
        while pids.contains(where: { !isDead($0) }), Date() < gone { usleep(100_000) }
        for pid in pids where !isDead(pid) {
            XCTFail("\(what): process \(pid) is still alive", file: file, line: line)
            kill(pid, SIGKILL)
        }
    }

    func testAPluginsForkedChildAndDaemonDieAtTheTimeoutAndWithTheCoordinator() throws {
        let dir = try temporaryDirectory(), plugins = dir + "/plugins", pids = dir + "/pids"
        try FileManager.default.createDirectory(atPath: pids, withIntermediateDirectories: true)
        let environment = ["HARNESS_CACHE_DIR": dir + "/cache", "PIDS_DIR": pids]
        try CPluginBuilder.build(CPluginBuilder.source("forker", preamble: "#include <sys/wait.h>\n" + Self.forker,
                                                       body: "spawn_escapees(); for (;;) pause();"), file: "forker", in: plugins)
        let config = dir + "/strategies.json"
        try #"{ "forker": { "strategy": "forker" } }"#.write(toFile: config, atomically: true, encoding: .utf8)
        let common = ["--strategies", "forker", "--no-baseline", "--plugin-path", plugins, "--config", config] + CompareTests.small(seeds: 1)

        // At the timeout: the cell fails, and nothing the plugin started outlives it.
        let started = Date()
        let timed = try harness(["compare", "--timeout", "5", "--db", dir + "/a.sqlite"] + common, environment: environment)
        XCTAssertLessThan(Date().timeIntervalSince(started), 120, "the comparison does not wait for the plugin's children")
        XCTAssertTrue(timed.stdout.contains("timed out") || timed.stderr.contains("timed out"), timed.stdout + timed.stderr)
        let first = escapees(in: pids, within: 1)
        XCTAssertEqual(first.count, 2, "the plugin forked its child and daemon")
        assertAllDie(first, "after the timeout")

        // At the coordinator's death (kill -9): the worker takes them along.
        for name in ["child", "daemon"] { try? FileManager.default.removeItem(atPath: "\(pids)/\(name).pid") }
        let coordinator = Process()
        coordinator.executableURL = HarnessCLI.binary
        coordinator.arguments = ["compare", "--timeout", "600", "--db", dir + "/b.sqlite"] + common
        coordinator.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        coordinator.standardOutput = FileHandle.nullDevice
        coordinator.standardError = FileHandle.nullDevice
        try coordinator.run()
        let second = escapees(in: pids) { coordinator.isRunning }
        XCTAssertEqual(second.count, 2, "the plugin forked its child and daemon")
        kill(coordinator.processIdentifier, SIGKILL)
        coordinator.waitUntilExit()
        assertAllDie(second, "after kill -9 of the coordinator")
    }

    func testAPluginWhoseConstructorStartsADaemonDoesNotStallTheScanAndLeavesNothingBehind() throws {
        let dir = try temporaryDirectory(), plugins = dir + "/plugins", pids = dir + "/pids"
        try FileManager.default.createDirectory(atPath: pids, withIntermediateDirectories: true)
        let environment = ["HARNESS_CACHE_DIR": dir + "/cache", "PIDS_DIR": pids]
        try CPluginBuilder.build(CPluginBuilder.source("daemonic", preamble: "#include <sys/wait.h>\n" + Self.forker
                                                        + "\n__attribute__((constructor)) static void on_load(void) { spawn_escapees(); }",
                                                       body: "return 1;"), file: "daemonic", in: plugins)
        let started = Date()
        let listed = try harness(["strategies", "--plugin-path", plugins], environment: environment)
        XCTAssertEqual(listed.status, 0, listed.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 25, "the scan does not wait for the daemon (its timeout is 30 s)")
        XCTAssertTrue(listed.stdout.contains("daemonic"), listed.stdout)
        let spawned = escapees(in: pids, within: 1)
        XCTAssertEqual(spawned.count, 2, "the constructor forked its child and daemon")
        assertAllDie(spawned, "after the scan")
    }

    /// A plugin that printed hundreds of megabytes once filled the scratch folder, and the cells
    /// of other strategies then failed. Output now comes back through a pipe, kept head and tail.
    func testAPluginThatFloodsItsOutputKeepsABoundedLogAndSpoilsNoOtherCell() throws {
        let dir = try temporaryDirectory(), plugins = dir + "/plugins"
        let environment = ["HARNESS_CACHE_DIR": dir + "/cache"]
        let flood = """
            static char line[1024];
            for (int i = 0; i < 1023; i++) line[i] = 'x';
            line[1023] = 0;
            printf("first line of the flood\\n");
            for (int i = 0; i < 200000; i++) puts(line);
            printf("last line of the flood\\n");
            fflush(stdout);
            """ + CPluginBuilder.trainAndPredict()
        try CPluginBuilder.build(CPluginBuilder.source("flood", body: flood), file: "flood", in: plugins)
        let config = dir + "/strategies.json"
        try #"{ "flood": { "strategy": "flood" }, "svm-codes": { "strategy": "svm-codes" } }"#.write(toFile: config, atomically: true, encoding: .utf8)
        let db = dir + "/r.sqlite"
        let run = try harness(["compare", "--strategies", "flood,svm-codes", "--no-baseline", "--plugin-path", plugins, "--config", config,
                               "--db", db] + CompareTests.small(seeds: 1), environment: environment)
        XCTAssertEqual(run.status, 0, run.stderr)
        let query = try python(["-c", """
            import json, sqlite3
            for strategy, status, result in sqlite3.connect('\(db)').execute('SELECT strategy, status, result_json FROM cells ORDER BY strategy'):
                log = json.loads(result).get('log') or ''
                print(strategy, status, len(log), 'first line of the flood' in log, 'last line of the flood' in log, 'bytes of output cut' in log)
            """])
        XCTAssertEqual(query.status, 0, query.output)
        let rows = query.output.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        XCTAssertEqual(rows.count, 2, query.output)
        XCTAssertEqual(rows.first?.prefix(2), ["flood", "ok"], query.output)
        XCTAssertLessThanOrEqual(Int(rows.first?[2] ?? "") ?? .max, 16_384 + 64, "the 200 MB of output is kept to its head and tail: \(query.output)")
        XCTAssertEqual(rows.first?.suffix(3), ["True", "True", "True"], query.output)
        XCTAssertEqual(rows.last?.prefix(2), ["svm-codes", "ok"], query.output)
    }
}
