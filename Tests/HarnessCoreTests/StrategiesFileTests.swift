import XCTest
@testable import HarnessCore
@testable import StrategyHost

final class StrategiesFileTests: XCTestCase {
    func parseError(_ text: String) -> String {
        do { _ = try StrategiesFile(text: text, path: "s.json"); return "" } catch { return "\(error)" }
    }

    func testTheRepositorysFileParsesAndEveryEntryBindsToABuiltPlugin() throws {
        let file = try StrategiesFile(path: Repository.root + "/strategies.json")
        let names = file.configurations.map(\.name)
        for required in ["freeze3", "finetune", "svm-codes", "conservation", "random3", "scratch", "anb3", "anb3+"] {
            XCTAssertTrue(names.contains(required), "strategies.json lacks \(required)")
        }
        XCTAssertEqual(try file.configuration(named: "bnb3").source, .self)
        let registry = scannedRegistry()
        XCTAssertEqual(registry.failures.count, 0, "\(registry.failures)")
        for c in file.configurations { XCTAssertNoThrow(try ConfiguredStrategy(c, plugin: try registry.loaded(c.strategy)), c.name) }
        XCTAssertThrowsError(try file.configuration(named: "freeze9")) {
            XCTAssertTrue("\($0)".hasPrefix("unknown strategy 'freeze9' (did you mean 'freeze3'?) (known: scratch, freeze3,"), "\($0)")
        }
        XCTAssertEqual(try file.configuration(named: "Finetune").name, "finetune", "case alone does not make another name")
        XCTAssertThrowsError(try file.configuration(named: "finetun")) { XCTAssertTrue("\($0)".contains("(did you mean 'finetune'?)"), "\($0)") }
        XCTAssertThrowsError(try file.configuration(named: "zzzzzzzz")) { XCTAssertFalse("\($0)".contains("did you mean"), "nothing close: \($0)") }
    }

    func testKeepsOrderValuesAndPlaces() throws {
        let file = try StrategiesFile(text: """
            {
              "b": { "strategy": "freeze-n", "parameters": { "n": 2, "x": 0.5, "on": true, "s": "fc7" } },
              "a": { "strategy": "scratch", "source": "self", "description": "d" }
            }
            """, path: "s.json")
        XCTAssertEqual(file.configurations.map(\.name), ["b", "a"])
        XCTAssertEqual(file.configurations[0].parameters.map(\.1), [.int(2), .double(0.5), .bool(true), .string("fc7")])
        XCTAssertEqual(file.configurations[0].place, "s.json:2:3")
        XCTAssertEqual(file.configurations[0].parameterPlaces["x"], "s.json:2:58")
        XCTAssertEqual(file.configurations[1].source, .self)
    }

    func testSyntaxErrorsGiveLineAndColumn() {
        XCTAssertEqual(parseError("{\n  \"a\": { \"strategy\": \"x\" }\n  \"b\": {}\n}"), "s.json:3:3: invalid JSON: object value separator ',' expected")
        XCTAssertEqual(parseError("{ \"a\": { \"strategy\": \"x\" }"), "s.json:1:27: invalid JSON: unexpected end of file (unclosed { or [?)")
        XCTAssertEqual(parseError("{ \"a\": { \"strategy\": \"x\" } }\n}"), "s.json:2:1: unexpected text after the JSON object")
    }

    func testADuplicateKeyIsAnErrorNotASilentOverride() {
        XCTAssertEqual(parseError("{\n  \"freeze3\": { \"strategy\": \"freeze-n\" },\n  \"freeze3\": { \"strategy\": \"scratch\" }\n}"),
                       "s.json:3:3: \"freeze3\" appears twice in one object (first at s.json:2:3); JSON keeps only one of them. help: rename or remove one")
        XCTAssertEqual(parseError("{ \"a\": { \"strategy\": \"x\", \"parameters\": { \"n\": 1, \"m\": [\"n\", {\"n\": 2}], \"n\": 3 } } }"),
                       "s.json:1:73: \"n\" appears twice in one object (first at s.json:1:43); JSON keeps only one of them. help: rename or remove one")
        // The same key in different objects, or as a string value, is fine.
        XCTAssertEqual(parseError("{ \"a\": { \"strategy\": \"a\" }, \"b\": { \"strategy\": \"a\", \"description\": \"say \\\"strategy\\\"\" } }"), "")
    }

    func testStructureErrorsSayWhatIsExpected() {
        XCTAssertEqual(parseError("[1, 2]"), "s.json:1:1: the file must hold one JSON object of named configurations")
        XCTAssertEqual(parseError("{\n \"a\": { \"parameters\": {} }\n}"), "s.json:2:2: 'a' has no \"strategy\" field naming a plugin")
        XCTAssertEqual(parseError("{\n \"a\": { \"strategy\": \"x\", \"parameter\": {} }\n}"),
                       "s.json:2:26: 'a': unknown field \"parameter\" (fields: strategy, parameters, training, source, curve, description)")
        XCTAssertEqual(parseError("{ \"a\": { \"strategy\": \"x\", \"source\": \"other\" } }"),
                       "s.json:1:27: 'a': \"source\" must be \"base\" (transfer from the source classes) or \"self\" (the BnB control), not \"other\"")
        XCTAssertEqual(parseError("{ \"a\": { \"strategy\": \"x\", \"parameters\": { \"n\": [1] } } }"),
                       #"s.json:1:43: 'a': parameter 'n' must be a number, boolean, string or a search space like {"log-uniform": [0.001, 0.1]}"#)
        XCTAssertEqual(parseError("{ \"a\": { \"strategy\": 3 } }"), "s.json:1:10: 'a': \"strategy\" must be a string naming a plugin")
        // Training settings out of range name their place too.
        XCTAssertEqual(parseError("{\n \"a\": { \"strategy\": \"x\", \"training\": { \"augment\": \"crop:1.5\" } }\n}"),
                       "s.json:2:40: 'a': training setting 'augment' must be one of none, flip, crop, crop:MIN, crop+flip, crop:MIN+flip, not \"crop:1.5\"")
        XCTAssertEqual(parseError("{ \"a\": { \"strategy\": \"x\", \"training\": { \"min_steps\": -5 } } }"),
                       "s.json:1:41: 'a': training setting 'min_steps' must be between 0 and 10000000, not -5")
    }

    /// Positions come from one index of the file (10,000 configurations once took minutes to
    /// list, every place counting lines from the start): it finds what a scan from the start finds.
    func testThePositionIndexAgreesWithAScanFromTheStart() throws {
        let text = "{\n" + (0..<300).map { i in
            "  \"c\(i)\": { \"strategy\": \"freeze-n\", \"parameters\": { \"n\": \(i % 7), \"s\": \"a\\\"b: c\" } }"
        }.joined(separator: ",\n") + "\n}\n"
        let bytes = Array(text.utf8), index = KeyIndex(bytes)
        func scan(_ key: String, from: Int) -> Int? {
            let needle = Array("\"\(key)\":".utf8)
            return (from..<max(from, bytes.count - needle.count + 1)).first { Array(bytes[$0..<($0 + needle.count)]) == needle }
        }
        func lineColumn(_ offset: Int) -> (Int, Int) {
            let before = bytes[..<offset]
            let line = before.filter { $0 == 0x0A }.count + 1
            return (line, offset - (before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0) + 1)
        }
        for from in stride(from: 0, to: bytes.count, by: 97) {
            for key in ["n", "parameters", "c150", "strategy", "s", "missing"] {
                XCTAssertEqual(index.firstKey(key, atOrAfter: from), scan(key, from: from), "\(key) from \(from)")
            }
            let (l, c) = LineStarts(bytes).lineColumn(of: from), (el, ec) = lineColumn(from)
            XCTAssertEqual([l, c], [el, ec], "offset \(from)")
        }
        XCTAssertNil(index.firstKey("a\\\"b", atOrAfter: 0), "a string value is no key")
        let file = try StrategiesFile(text: text, path: "big.json")
        XCTAssertEqual(file.configurations.count, 300)
        XCTAssertEqual(file.configurations.first { $0.name == "c299" }?.place, "big.json:301:3")
    }
}
