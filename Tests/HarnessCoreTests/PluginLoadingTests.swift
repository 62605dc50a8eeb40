import XCTest
@testable import HarnessCore
@testable import HarnessSupport
@testable import HarnessEngine
@testable import StrategyHost

final class PluginLoadingTests: XCTestCase {
    func load(_ source: String, named name: String = "p") throws -> Result<StrategyPlugin, PluginError> {
        let so = try compilePlugin(source, named: name, in: try temporaryDirectory(self))
        do { return .success(try StrategyPlugin(path: so)) } catch let e as PluginError { return .failure(e) }
    }

    func failure(_ source: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        switch try load(source) {
        case .success: XCTFail("loaded", file: file, line: line); return ""
        case let .failure(e): return "\(e)"
        }
    }

    func testTypedConfigureReceivesEachCTypeThroughLibffi() throws {
        let plugin = try load(cPlugin()).get()
        XCTAssertEqual(plugin.name, "probe")
        XCTAssertEqual(plugin.parameters.map(\.kind), [.int, .double, .bool, .string])
        let config = StrategyConfiguration(name: "c1", strategy: "probe", parameters: [("a", .int(42)), ("b", .int(2)), ("flag", .bool(true)), ("s", .string("hello"))],
                                           source: .base, description: "", place: "test", parameterPlaces: [:])
        let task = try tinyTask()
        // The plugin writes its first four outputs; the host shows images in a seeded order and
        // puts the predictions back, so those four land at the shown images' own positions.
        let shown = PresentationOrder(trainCount: task.train.count, eval: task.eval, seed: task.seed).eval.prefix(4)
        let predictions = try ConfiguredStrategy(config, plugin: plugin).run(task)
        XCTAssertEqual(shown.map { predictions[$0] }, [42, 200, 1, 5], "a=42, b=2.0 (an int is a fine double), flag=1, strlen(hello)")
        // Defaults fill what the configuration leaves out.
        let defaults = try ConfiguredStrategy(StrategyConfiguration(name: "c2", strategy: "probe", parameters: [], source: .base,
                                                                    description: "", place: "test", parameterPlaces: [:]), plugin: plugin)
        let defaulted = try defaults.run(task)
        XCTAssertEqual(shown.map { defaulted[$0] }, [1, 50, 0, 2])
    }

    func testEachLoadFailureHasItsOwnMessage() throws {
        XCTAssertTrue(try failure(cPlugin(entry: "some_other_function")).contains("exports no harness_strategy_entry_v2 symbol"))
        XCTAssertTrue(try failure(cPlugin(entry: "harness_strategy_entry_v3")).contains("built for strategy ABI version 3, this harness speaks version 2"))
        XCTAssertTrue(try failure(cPlugin(entry: "harness_strategy_entry_v1")).contains("exports harness_strategy_entry_v1 but its descriptor says abi_version 2"))
        XCTAssertTrue(try failure(cPlugin(abi: "7")).contains("ABI version 7"))
        XCTAssertTrue(try failure(cPlugin(structSize: "12")).contains("struct_size is 12"))
        XCTAssertTrue(try failure(cPlugin(run: "NULL")).contains("no run function"))
        XCTAssertTrue(try failure(cPlugin(configure: ".configure = NULL")).contains("exactly one of configure and configure_values"))
        XCTAssertTrue(try failure(cPlugin(name: "bad name!")).contains("may use only letters"))
        XCTAssertTrue(try failure(cPlugin(parameters: #"{ "n", HARNESS_INT, "three", "" }"#, parameterCount: 1)).contains("default 'three' of parameter n is not a valid int"))

        let dir = try temporaryDirectory(self)
        try "not a library".write(toFile: dir + "/junk.so", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try StrategyPlugin(path: dir + "/junk.so")) {
            XCTAssertTrue("\($0)".hasPrefix("\(dir)/junk.so: cannot be loaded:"), "\($0)")
        }
    }

    /// A scan that ran out of time (a busy machine, a slow disk) says so, and is not remembered
    /// as broken: the next scan tries again. A crash is deterministic and is remembered.
    func testATimedOutScanIsNotRememberedButACrashIs() throws {
        let dir = try temporaryDirectory(self)
        let slow = try compilePlugin("#include <unistd.h>\n__attribute__((constructor)) static void slow(void) { sleep(4); }\n" + cPlugin(name: "slow"),
                                     named: "slow", in: dir)
        let crash = try compilePlugin("#include <stdlib.h>\n__attribute__((constructor)) static void crash(void) { abort(); }\n" + cPlugin(name: "crash"),
                                      named: "crash", in: dir)
        var scanner = PluginScanner(executable: Repository.harness, cacheFile: dir + "/scans.json")
        scanner.timeout = 1
        let first = scanner.scan([slow, crash])
        guard case let .failed(e)? = first[slow] else { return XCTFail("the slow plugin timed out: \(String(describing: first[slow]))") }
        XCTAssertTrue("\(e)".contains("timed out after 1s"), "\(e)")
        let remembered = try String(contentsOfFile: dir + "/scans.json", encoding: .utf8)
        XCTAssertTrue(remembered.contains("crash.so"), remembered)
        XCTAssertFalse(remembered.contains("slow.so"), remembered)
        scanner.timeout = 30
        guard case let .loaded(info)? = scanner.scan([slow])[slow] else { return XCTFail("given time, the slow plugin loads") }
        XCTAssertEqual(info.name, "slow")
        XCTAssertEqual(try scanner.clearCache(), 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/scans.json"))
    }

    func testRefusedParametersAndWrongTypesNameTheirPlace() throws {
        let plugin = try load(cPlugin()).get()
        func configure(_ params: [(String, ParameterValue)]) -> String {
            let c = StrategyConfiguration(name: "mine", strategy: "probe", parameters: params, source: .base, description: "",
                                          place: "s.json:2:3", parameterPlaces: ["a": "s.json:2:30", "zzz": "s.json:2:40"])
            do { _ = try ConfiguredStrategy(c, plugin: plugin); return "" } catch { return "\(error)" }
        }
        XCTAssertEqual(configure([("a", .int(-1))]), "'mine': strategy probe refused its parameters (a=-1, b=0.5, flag=false, s=\"hi\")")
        XCTAssertEqual(configure([("a", .string("x"))]), "s.json:2:30: 'mine': parameter 'a' of probe must be an integer, not \"x\"")
        XCTAssertEqual(configure([("zzz", .int(1))]), "s.json:2:40: 'mine': strategy probe has no parameter 'zzz' (its parameters: a, b, flag, s)")
    }

    func testAnIntegerBeyondACIntIsRefusedNotTruncated() throws {
        let plugin = try load(cPlugin()).get()
        let c = StrategyConfiguration(name: "big", strategy: "probe", parameters: [("a", .int(4_294_967_298))], source: .base, description: "",
                                      place: "s.json:2:3", parameterPlaces: ["a": "s.json:2:30"])
        // Through libffi as a C int, 4294967298 would arrive as 2.
        XCTAssertThrowsError(try StrategyBinding(c, plugin: plugin.info)) {
            XCTAssertEqual("\($0)", "s.json:2:30: 'big': parameter 'a' of probe must be within the range of a C int (-2147483648 to 2147483647), not 4294967298")
        }
        let edge = StrategyConfiguration(name: "edge", strategy: "probe", parameters: [("a", .int(Int(Int32.max)))], source: .base, description: "", place: "")
        XCTAssertEqual(try StrategyBinding(edge, plugin: plugin.info).valuesByName["a"], .int(Int(Int32.max)))
    }

    func testNonFiniteOutputsFailInsteadOfPredictingClassZero() throws {
        // A plugin that predicts with the source network as it is: a NaN weight in it (a broken
        // model file, say) must not pass as "class 0 for every image".
        let plugin = try load(cPlugin(runBody: "(void)st; return e->predict(h, t->source, &t->eval, out);")).get()
        let task = try tinyTask(classes: 3)
        var weights = try task.source.parameters(of: "fc2")[0].values
        weights[1] = .nan
        try task.source.parameters(of: "fc2")[0].values = weights
        let c = StrategyConfiguration(name: "nan", strategy: "probe", parameters: [], source: .base, description: "", place: "")
        XCTAssertThrowsError(try ConfiguredStrategy(c, plugin: plugin).run(task)) {
            XCTAssertEqual("\($0)", "strategy nan failed: the network's outputs are NaN or infinite for 8 of 8 images: its weights have diverged")
        }
        XCTAssertNil(Initializer("constant:nan"), "non-finite initialisers are refused")
        XCTAssertNil(Initializer("gaussian:inf"))
    }

    func testAFailingRunReportsTheStrategysReason() throws {
        let plugin = try load(cPlugin(runBody: #"e->set_error(h, "out of ideas"); return 1;"#)).get()
        let c = StrategyConfiguration(name: "sad", strategy: "probe", parameters: [], source: .base, description: "", place: "", parameterPlaces: [:])
        XCTAssertThrowsError(try ConfiguredStrategy(c, plugin: plugin).run(try tinyTask())) {
            XCTAssertEqual("\($0)", "strategy sad failed: out of ideas")
        }
        let liar = try load(cPlugin(runBody: "for (int64_t i = 0; i < t->eval.count; i++) out[i] = 99; (void)st; return 0;"), named: "q").get()
        XCTAssertThrowsError(try ConfiguredStrategy(c, plugin: liar).run(try tinyTask(classes: 3))) {
            XCTAssertTrue("\($0)".contains("prediction 99 for image ") && "\($0)".contains(" is not a class in 0..<3"), "\($0)")
        }
    }

    func testRegistrySearchesInOrderAndRefusesDuplicates() throws {
        let first = try temporaryDirectory(self), second = try temporaryDirectory(self)
        _ = try compilePlugin(cPlugin(), named: "probe-a", in: first)
        _ = try compilePlugin(cPlugin(), named: "probe-b", in: second)
        _ = try compilePlugin(cPlugin(name: "other"), named: "other", in: second)
        let registry = scannedRegistry([first, second], built: false)
        XCTAssertEqual(registry.plugins.keys.sorted(), ["other", "probe"])
        XCTAssertEqual(registry.plugins["probe"]?.path, first + "/probe-a.so", "earlier directories win")
        XCTAssertThrowsError(try registry.plugin(named: "probe")) {
            XCTAssertEqual("\($0)", "two plugins are both named 'probe': \(first)/probe-a.so and \(second)/probe-b.so. help: remove one, or rename it")
        }
        XCTAssertThrowsError(try registry.plugin(named: "nope")) { XCTAssertEqual("\($0)", "unknown strategy plugin 'nope' (known: other, probe)") }
    }
}
