// The harness binary end to end, as a user runs it.
import Foundation
import XCTest

/// Runs the built harness binary, as a user would.
struct HarnessCLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The built `harness`, beside the test bundle.
    static var binary: URL {
        var dir = Bundle(for: CLITests.self).bundleURL
        while dir.lastPathComponent.hasSuffix(".xctest") { dir.deleteLastPathComponent() }
        return dir.appendingPathComponent("harness")
    }

    static func run(_ args: [String], environment: [String: String] = [:], directory: String? = nil) throws -> Result {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        // stderr goes to a file, so reading stdout to its end can never stall on a full stderr pipe.
        let errPath = NSTemporaryDirectory() + "harness-stderr-" + UUID().uuidString
        FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle(forWritingAtPath: errPath)
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let e = FileManager.default.contents(atPath: errPath) ?? Data()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}

/// A CSV document's records by column name (quoted fields may hold commas and doubled quotes).
func csvRecords(_ text: String) -> [[String: String]] {
    var records: [[String]] = [], record: [String] = [], field = "", quoted = false
    var chars = Array(text).makeIterator()
    while let c = chars.next() {
        if quoted {
            if c == "\"" {
                if let next = chars.next() {
                    if next == "\"" { field.append("\"") } else { quoted = false; if next == "," { record.append(field); field = "" } else if next == "\n" { record.append(field); records.append(record); record = []; field = "" } else { field.append(next) } }
                } else { quoted = false }
            } else { field.append(c) }
        } else if c == "\"" { quoted = true }
        else if c == "," { record.append(field); field = "" }
        else if c == "\n" { record.append(field); records.append(record); record = []; field = "" }
        else { field.append(c) }
    }
    if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
    guard let header = records.first else { return [] }
    return records.dropFirst().map { Dictionary(zip(header, $0), uniquingKeysWith: { a, _ in a }) }
}

extension XCTestCase {
    /// Comparisons here check behaviour, not budgets: they run at the epochs they give
    /// (--min-steps 0) unless they pass --min-steps themselves, as 300 steps a training run would
    /// triple the suite's time. CompareTests.testTheDefaultBudgetGivesEveryTrainedStrategy300Steps
    /// and TrainingBudgetTests check the budget.
    func harness(_ args: [String], environment: [String: String] = [:], directory: String? = nil) throws -> HarnessCLI.Result {
        let budgeted = ["compare", "transfer-curve"].contains(args.first ?? "") && !args.contains("--min-steps") && !args.contains("--help")
        return try HarnessCLI.run(args + (budgeted ? ["--min-steps", "0"] : []), environment: environment, directory: directory)
    }

    /// As a user types it: no test-suite default added.
    func harnessAsTyped(_ args: [String], environment: [String: String] = [:], directory: String? = nil) throws -> HarnessCLI.Result {
        try HarnessCLI.run(args, environment: environment, directory: directory)
    }

    /// Runs Debian's python3 (python3-torch is a test dependency: scripts/bootstrap.sh --bench).
    /// `pythonPath` adds the PyPI packages bootstrap unpacks (.build/python-packages).
    func python(_ args: [String], pythonPath: Bool = false) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = args
        if pythonPath { p.environment = ["PYTHONPATH": TransferBetweenDataTests.repository + "/.build/python-packages"] }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func temporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "harness-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    /// A failure is one "Error: …" line on stderr naming the problem, with a non-zero exit (after
    /// any "note: " lines, such as the one a busy machine gets about its threads).
    func assertOneLineError(_ r: HarnessCLI.Result, mentions fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(r.status, 0, file: file, line: line)
        let first = r.stderr.split(separator: "\n").first { !$0.hasPrefix("note: ") }.map(String.init) ?? ""
        XCTAssertTrue(first.hasPrefix("Error: "), "stderr: \(r.stderr)", file: file, line: line)
        XCTAssertTrue(first.contains(fragment), "'\(fragment)' not in: \(first)", file: file, line: line)
    }
}

final class CLITests: XCTestCase {
    func testVersionSaysWhatRanAndMisspeltNamesGetASuggestion() throws {
        let version = try harness(["version"])
        XCTAssertEqual(version.status, 0, version.stderr)
        XCTAssertTrue(version.stdout.contains("oneDNN: ") && version.stdout.contains("commit: "), version.stdout)
        assertOneLineError(try harness(["compare", "--strategies", "finetun", "--db", NSTemporaryDirectory() + "/never-\(UUID().uuidString).sqlite"]),
                           mentions: "did you mean 'finetune'?")
        assertOneLineError(try harness(["networks", "resnet-18"]), mentions: "did you mean 'resnet18'?")
    }

    /// One table of exit statuses: usage errors are 64 whichever layer finds them, a negative
    /// count is a range error (not "Missing value"), and --version names the commit.
    func testExitStatusesFollowOneTableAndNegativeNumbersGetRangeErrors() throws {
        let db = NSTemporaryDirectory() + "/never-\(UUID().uuidString).sqlite"
        let typo = try harness(["compare", "--strategies", "finetun", "--db", db])
        XCTAssertEqual(typo.status, 64, "an unknown strategy name is a usage error: \(typo.stderr)")
        XCTAssertEqual(try harness(["networks", "resnet-18"]).status, 64)
        XCTAssertEqual(try harness(["train", "--dataset", "imagenet"]).status, 64)
        XCTAssertEqual(try harness(["compare", "--no-such-flag"]).status, 64)
        for (flag, message) in [("--target-per-class", "--target-per-class must be 0 (all images) or more, not -5"),
                                ("--eval-per-class", "--eval-per-class must be 0 (all images) or more, not -5"),
                                ("--seeds", "--seeds must be 1 to 1000, not -5"), ("--jobs", "--jobs must be at least 1")] {
            let r = try harness(["compare", flag, "-5", "--db", db])
            assertOneLineError(r, mentions: message)
            XCTAssertEqual(r.status, 64, r.stderr)
        }
        assertOneLineError(try harness(["train", "--lr", "-0.1"]), mentions: "--lr")
        XCTAssertFalse(FileManager.default.fileExists(atPath: db), "no database is made by a command line that is wrong")
        let data = try harness(["eval", "--model", "/nonexistent.safetensors"])
        XCTAssertEqual(data.status, 1, data.stderr)
        let help = try harness(["--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        XCTAssertTrue(help.contains("3: the comparison finished with some cells failed"), help)
        XCTAssertTrue(help.contains("64: the command line is wrong"), help)
        let version = try harness(["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertTrue(version.stdout.contains("commit: ") && version.stdout.contains("oneDNN: "), version.stdout)
        let completion = try harness(["--generate-completion-script", "bash"])
        XCTAssertEqual(completion.status, 0)
        XCTAssertTrue(completion.stdout.contains("--save-models") && completion.stdout.contains("--mlflow"), "completion knows the options")
    }

    /// Ctrl-C says what is stored and how to resume; the closing suggestion keeps the user's options.
    func testInterruptingSaysWhatIsStoredAndTheSameCommandResumes() throws {
        let dir = try temporaryDirectory()
        let arguments = ["compare", "--strategies", "finetune,freeze3", "--seeds", "3", "--target-per-class", "10", "--eval-per-class", "10",
                         "--epochs", "3", "--base-epochs", "1", "--source-per-class", "30", "--jobs", "1", "--db", dir + "/r.sqlite", "--min-steps", "0"]
        let p = Process()
        p.executableURL = HarnessCLI.binary
        p.arguments = arguments
        p.environment = ProcessInfo.processInfo.environment.merging(["HARNESS_CACHE_DIR": dir + "/cache"]) { $1 }
        FileManager.default.createFile(atPath: dir + "/err", contents: nil)
        p.standardError = FileHandle(forWritingAtPath: dir + "/err")
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline, p.isRunning, !((try? String(contentsOfFile: dir + "/err", encoding: .utf8)) ?? "").contains("[2/") {
            Thread.sleep(forTimeInterval: 0.2)
        }
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        let stderr = try String(contentsOfFile: dir + "/err", encoding: .utf8)
        XCTAssertEqual(p.terminationStatus, 130, stderr)
        let said = try XCTUnwrap(stderr.split(separator: "\n").first { $0.hasPrefix("interrupted: ") }, stderr)
        XCTAssertTrue(said.contains("of 9 cells of this comparison are stored in \(dir)/r.sqlite"), String(said))
        let stored = Int(said.dropFirst("interrupted: ".count).prefix { $0.isNumber })!
        XCTAssertGreaterThanOrEqual(stored, 2)
        XCTAssertTrue(stderr.contains("Resume with the same command:\n  " + ([HarnessCLI.binary.path] + arguments).joined(separator: " ")), stderr)

        // The same command runs only what is missing, and its suggestion keeps every option given.
        let resumed = try harness(arguments + ["--trials", "1"], environment: ["HARNESS_CACHE_DIR": dir + "/cache"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("\(9 - stored) of 9 cells to run (\(stored) already in"), resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("harness compare --strategies finetune,freeze3 --seeds 3 --target-per-class 10 --eval-per-class 10 "
                                              + "--epochs 3 --base-epochs 1 --source-per-class 30 --jobs 1 --db \(dir)/r.sqlite --min-steps 0 --trials 8"),
                      resumed.stderr)
    }

    /// A run's options in a JSON file: expanded ahead of the typed ones (which override it),
    /// recorded with the run, and an unknown key is the usage error a typed one would be.
    func testARunFileHoldsTheOptionsAndIsRecordedWithTheRun() throws {
        let dir = try temporaryDirectory()
        let file = dir + "/run.json"
        // "SVM-codes": a name differing only in case is the configuration it matches.
        try Data(#"{"strategies": ["SVM-codes"], "seeds": 1, "target_per_class": 10, "eval-per-class": 10, "base-epochs": 1, "source-per-class": 30, "no-baseline": true}"#.utf8)
            .write(to: URL(fileURLWithPath: file))
        let r = try harness(["compare", "--run-file", file, "--seeds", "2", "--db", dir + "/r.sqlite"], environment: ["HARNESS_CACHE_DIR": dir + "/cache"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("comparing 1 strategies") && r.stderr.contains("10 training images per class, 2 seeds"), r.stderr)
        XCTAssertTrue(r.stdout.contains("   1  svm-codes "), r.stdout)
        let runs = try harness(["runs", "--db", dir + "/r.sqlite", "--format", "json"])
        XCTAssertTrue(runs.stdout.contains(#""run_file" : "{\"strategies\": [\"SVM-codes\"]"#), runs.stdout)

        try Data(#"{"tagret-per-class": 5}"#.utf8).write(to: URL(fileURLWithPath: file))
        let typo = try harness(["compare", "--run-file", file, "--db", dir + "/r.sqlite"])
        assertOneLineError(typo, mentions: "Unknown option '--tagret-per-class'. Did you mean '--target-per-class'?")
        XCTAssertTrue(typo.stderr.contains("note: --run-file gave the options --tagret-per-class 5"), typo.stderr)
        XCTAssertEqual(typo.status, 64)
        try Data(#"{"seeds": null}"#.utf8).write(to: URL(fileURLWithPath: file))
        assertOneLineError(try harness(["compare", "--run-file", file]), mentions: "run.json: 'seeds': a value is a string, a number, true/false or a list")
        assertOneLineError(try harness(["train", "--run-file", file]), mentions: "--run-file goes with compare or transfer-curve")
    }

    func testHelpListsSubcommands() throws {
        let r = try harness(["--help"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("train"))
        XCTAssertTrue(r.stdout.contains("eval"))
    }

    func testBadArgumentsAreOneLineErrors() throws {
        assertOneLineError(try harness(["train", "--epochs", "0"]), mentions: "--epochs: hyperparameter epochs must be between 1 and 100000, not 0")
        assertOneLineError(try harness(["train", "--classes", "0,x"]), mentions: "--classes takes all, A, B")
        let schedule = try harness(["train", "--schedule", "sometimes"])
        assertOneLineError(schedule, mentions: "The value 'sometimes' is invalid for '--schedule <schedule>'")
        XCTAssertTrue(schedule.stderr.contains("onecycle, cosine, constant or step:EPOCHS:GAMMA"), schedule.stderr)
        assertOneLineError(try harness(["train", "--momentum", "0.5"]),
                           mentions: "--momentum: momentum 0.5 is set, but the onecycle schedule cycles momentum between 0.85 and 0.95 itself")
        assertOneLineError(try harness(["compare", "--base-lr", "0"]), mentions: "--base-lr: hyperparameter lr must be at least 1e-12, not 0.0")
        assertOneLineError(try harness(["train", "--dataset", "imagenet"]), mentions: "known data set name")
        assertOneLineError(try harness(["train", "--lr", "abc"]), mentions: "--lr")
        assertOneLineError(try harness(["train", "--classes", "3,12"]), mentions: "class 12 does not exist")
        // Counts that once trapped a worker (epochs 3e9) or would multiply past an Int.
        assertOneLineError(try harness(["train", "--epochs", "3000000000"]), mentions: "--epochs: hyperparameter epochs must be between 1 and 100000, not 3000000000")
        assertOneLineError(try harness(["compare", "--trials", "1000000000000"]), mentions: "--trials must be 1 to 10000, not 1000000000000")
        assertOneLineError(try harness(["compare", "--seeds", "99999999999"]), mentions: "--seeds must be 1 to 1000, not 99999999999")
    }

    func testEmptyAndSingleClassDataAreDataErrors() throws {
        let dir = try temporaryDirectory()
        func idx(_ name: String, _ dims: [UInt32]) throws {
            var bytes: [UInt8] = [0, 0, 8, UInt8(dims.count)]
            for d in dims { bytes += [UInt8(d >> 24), UInt8((d >> 16) & 255), UInt8((d >> 8) & 255), UInt8(d & 255)] }
            try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name))
        }
        try idx("train-images-idx3-ubyte", [0, 28, 28]); try idx("train-labels-idx1-ubyte", [0])
        try idx("t10k-images-idx3-ubyte", [0, 28, 28]); try idx("t10k-labels-idx1-ubyte", [0])
        // Once "invalid network spec: fc8: outputs must be a positive number".
        assertOneLineError(try harness(["train", "--data", dir]),
                           mentions: "train-labels-idx1-ubyte is not a valid IDX file: it holds no labels (the header says 0 items)")

        // One class: nothing to tell apart, once reported as 100% accuracy.
        let one = dir + "/one"
        let header: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 4, 0, 0, 0, 28, 0, 0, 0, 28]
        try FileManager.default.createDirectory(atPath: one, withIntermediateDirectories: true)
        for split in ["train", "t10k"] {
            try Data(header + (0..<(4 * 784)).map { UInt8($0 % 251) }).write(to: URL(fileURLWithPath: one + "/\(split)-images-idx3-ubyte"))
            try Data([0, 0, 8, 1, 0, 0, 0, 4, 0, 0, 0, 0]).write(to: URL(fileURLWithPath: one + "/\(split)-labels-idx1-ubyte"))
        }
        let single = try harness(["train", "--data", one, "--epochs", "1"])
        XCTAssertNotEqual(single.status, 0)
        XCTAssertTrue(single.stderr.contains("Error: the data has one class, so there is nothing to tell apart"), single.stderr)
        XCTAssertFalse(single.stdout.contains("accuracy"), single.stdout)
    }

    func testMissingDatasetSaysHowToInstallIt() throws {
        let r = try harness(["train", "--epochs", "1"], environment: ["HARNESS_FASHION_MNIST_DIR": "/nonexistent/fashion"])
        assertOneLineError(r, mentions: "apt-get install dataset-fashion-mnist")
        assertOneLineError(try harness(["train", "--data", "/nonexistent/dir"]), mentions: "/nonexistent/dir: no such directory")
    }

    func testBenchWithoutItsPeerSaysWhatToInstall() throws {
        assertOneLineError(try harness(["bench", "--quick", "--python", "/nonexistent/python3"]), mentions: "python3-torch")
        assertOneLineError(try harness(["bench", "--quick", "--peer-dir", "/nonexistent/bench"]), mentions: "--peer-dir")
    }

    func testCorruptIDXFileIsNamed() throws {
        let dir = try temporaryDirectory()
        let header: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 28, 0, 0, 0, 28]
        try Data(header + [UInt8](repeating: 7, count: 100)).write(to: URL(fileURLWithPath: dir + "/train-images-idx3-ubyte"))
        for name in ["train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"] {
            try Data([0, 0, 8, 1, 0, 0, 0, 10] + [UInt8](repeating: 1, count: 10)).write(to: URL(fileURLWithPath: dir + "/" + name))
        }
        assertOneLineError(try harness(["train", "--data", dir]), mentions: "train-images-idx3-ubyte is not a valid IDX file: truncated")
    }

    func testTrainSaveAndEvaluate() throws {
        let model = try temporaryDirectory() + "/m.safetensors"
        let r = try harness(["train", "--classes", "A", "--train-per-class", "30", "--test-per-class", "20",
                             "--epochs", "2", "--lr", "0.01", "--out", model, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let last = try XCTUnwrap(r.stdout.split(separator: "\n").last)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        let accuracy = try XCTUnwrap(json["test_accuracy"] as? Double)
        XCTAssertNotNil(json["seconds"] as? Double)
        XCTAssertGreaterThan(try XCTUnwrap(json["images_per_second"] as? Double), 0)
        XCTAssertEqual(json["test_images"] as? Int, 100)
        XCTAssertTrue(r.stderr.contains("epoch 2/2"), "plain progress lines when not a terminal")

        let e = try harness(["eval", "--model", model, "--classes", "A", "--test-per-class", "20", "--json"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let ejson = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(e.stdout.split(separator: "\n").last!.utf8)) as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(ejson["test_accuracy"] as? Double), accuracy, accuracy: 1e-9, "eval reproduces train's test accuracy")

        assertOneLineError(try harness(["eval", "--model", model, "--classes", "all"]), mentions: "classifies 5 classes")
        assertOneLineError(try harness(["eval", "--model", "/nonexistent.safetensors"]), mentions: "no such file")
    }
}

/// bf16 where oneDNN finds no native bf16 (forced here with ONEDNN_MAX_CPU_ISA, so the test runs on any
/// processor): refused before any work, saying why and what to do.
final class PrecisionRefusalTests: XCTestCase {
    func testBF16IsRefusedCleanlyWithoutNativeBF16() throws {
        let environment = ["ONEDNN_MAX_CPU_ISA": "AVX512_CORE", "DNNL_MAX_CPU_ISA": "AVX512_CORE"]
        for arguments in [["train", "--classes", "all", "--train-per-class", "5", "--epochs", "1", "--precision", "bf16"],
                          ["compare", "--strategies", "freeze3", "--precision", "bf16", "--db", NSTemporaryDirectory() + "/refused-\(getpid()).sqlite"]] {
            let r = try harness(arguments, environment: environment)
            XCTAssertEqual(r.status, 64, "a usage error: \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("--precision: bf16 needs native bf16 arithmetic") && r.stderr.contains("help: use --precision fp32"), r.stderr)
            XCTAssertFalse(r.stdout.contains("training"), "nothing ran")
        }
    }
}
