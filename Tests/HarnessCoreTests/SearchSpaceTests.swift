// Search spaces in strategies.json, declared parameter ranges, and the trials drawn from them.
import XCTest
@testable import HarnessCore
@testable import HarnessEngine
@testable import StrategyHost

final class SearchSpaceTests: XCTestCase {
    func parse(_ entry: String) throws -> StrategyConfiguration {
        try StrategiesFile(text: "{ \"a\": \(entry) }", path: "s.json").configurations[0]
    }

    func parseError(_ entry: String) -> String {
        do { _ = try parse(entry); return "" } catch { return "\(error)" }
    }

    /// A plugin declaration as the scanner would report it, with ranges.
    let plugin = PluginInfo(path: "", contentHash: "0", name: "p", version: "1", summary: "", parameters: [
        StrategyParameterInfo(name: "n", kind: .int, defaultValue: "3", help: "", range: .numeric(minimum: 0, maximum: 7)),
        StrategyParameterInfo(name: "lr_mult", kind: .double, defaultValue: "0.1", help: "", range: .numeric(minimum: 0, maximum: nil)),
        StrategyParameterInfo(name: "head", kind: .string, defaultValue: "xavier", help: "", range: .oneOf(["xavier", "small", "zero"])),
    ])

    func bindError(_ entry: String) -> String {
        do { _ = try StrategyBinding(try parse(entry), plugin: plugin); return "" } catch { return "\(error)" }
    }

    func testSpacesAndTrainingSettingsParseWithTheirPlaces() throws {
        let c = try parse("""
            { "strategy": "p", "parameters": { "n": 2, "lr_mult": { "log-uniform": [0.01, 1], "default": 0.1 }, "head": { "choice": ["xavier", "zero"] } },
              "training": { "epochs": 5, "lr": { "uniform": [0.001, 0.1] } } }
            """)
        XCTAssertEqual(c.parameters.map(\.0), ["n"])
        XCTAssertEqual(c.training.map(\.0), [.epochs])
        XCTAssertEqual(c.searches.map(\.name), ["lr_mult", "head", "lr"])
        XCTAssertEqual(c.searches[0].space, .logUniform(0.01, 1))
        XCTAssertEqual(c.searches[0].defaultValue, .double(0.1))
        XCTAssertEqual(c.searches[1].space, .choice([.string("xavier"), .string("zero")]))
        XCTAssertEqual(c.searches[2].scope, .training)
        XCTAssertEqual(c.searches[0].place, "s.json:1:51")
    }

    func testMalformedSpacesSayWhereAndHowToWriteOne() {
        XCTAssertTrue(parseError(#"{ "strategy": "p", "parameters": { "c": { "log-normal": [1, 2] } } }"#)
            .hasPrefix(#"s.json:1:50: 'a': parameter 'c': unknown search space "log-normal". help: write {"log-uniform": [LOW, HIGH]}"#))
        XCTAssertEqual(parseError(#"{ "strategy": "p", "parameters": { "c": { "log-uniform": [0, 2] } } }"#),
                       #"s.json:1:50: 'a': parameter 'c': "log-uniform" needs LOW > 0 (it draws the logarithm uniformly), not 0.0"#)
        XCTAssertTrue(parseError(#"{ "strategy": "p", "parameters": { "c": { "uniform": [2, 1] } } }"#)
            .contains(#""uniform" takes two finite numbers [LOW, HIGH] with LOW < HIGH"#))
        // Bounds whose draws or grid points would overflow once trapped the host (exit 132).
        XCTAssertEqual(parseError(#"{ "strategy": "p", "parameters": { "c": { "int-uniform": [0, 9223372036854775807] } } }"#),
                       #"s.json:1:50: 'a': parameter 'c': "int-uniform" bounds must lie within ±2147483647 (a C int), not [0, 9223372036854775807]"#)
        XCTAssertTrue(parseError(#"{ "strategy": "p", "parameters": { "c": { "uniform": [-1e308, 1e308] } } }"#)
            .contains(#""uniform" takes two finite numbers [LOW, HIGH] with LOW < HIGH"#))
        XCTAssertEqual(parseError(#"{ "strategy": "p", "parameters": { "c": { "choice": [] } } }"#),
                       #"s.json:1:50: 'a': parameter 'c': "choice" needs at least one value"#)
        XCTAssertEqual(parseError(#"{ "strategy": "p", "training": { "learning_rate": 0.5 } }"#),
                       #"s.json:1:41: 'a': unknown training setting "learning_rate" (known: lr, epochs, batch_size, weight_decay, momentum, l1, schedule, batch_norm, augment, min_steps, precision)"#)
        XCTAssertEqual(parseError(#"{ "strategy": "p", "training": { "lr": { "uniform": [-1, 1] } } }"#),
                       "s.json:1:41: 'a': training setting 'lr' must be at least 1e-12, not -1.0")
        XCTAssertEqual(parseError(#"{ "strategy": "p", "training": { "epochs": 2.5 } }"#),
                       "s.json:1:41: 'a': training setting 'epochs' must be an integer, not 2.5")
    }

    func testTheDeclaredRangeChecksValuesAndSpaces() {
        XCTAssertEqual(bindError(#"{ "strategy": "p", "parameters": { "n": 9 } }"#),
                       "s.json:1:43: 'a': parameter 'n' of p must be between 0 and 7 (as the plugin declares it), not 9")
        XCTAssertEqual(bindError(#"{ "strategy": "p", "parameters": { "n": { "int-uniform": [1, 8] } } }"#),
                       "s.json:1:43: 'a': parameter 'n' of p must be between 0 and 7 (as the plugin declares it), not 8")
        XCTAssertEqual(bindError(#"{ "strategy": "p", "parameters": { "head": { "choice": ["xavier", "ones"] } } }"#),
                       "s.json:1:43: 'a': parameter 'head' of p must be one of xavier, small, zero (as the plugin declares it), not \"ones\"")
        let wrongKind = bindError(#"{ "strategy": "p", "parameters": { "n": { "uniform": [1, 5] } } }"#)
        XCTAssertTrue(wrongKind.contains("1.0 (from uniform[1, 5])") && wrongKind.contains("an integer"), wrongKind)
        let unknown = bindError(#"{ "strategy": "p", "parameters": { "m": { "uniform": [1, 5] } } }"#)
        XCTAssertTrue(unknown.contains("has no parameter 'm' (its parameters: n, lr_mult, head)"), unknown)
        XCTAssertEqual(bindError(#"{ "strategy": "p", "parameters": { "n": { "int-uniform": [0, 7] }, "lr_mult": { "log-uniform": [0.01, 1] } } }"#), "")
    }

    func testTrialZeroIsTheUntunedConfigurationAndDrawsAreReproducibleAndInRange() throws {
        let c = try parse("""
            { "strategy": "p", "parameters": { "n": { "int-uniform": [1, 7] }, "lr_mult": { "log-uniform": [0.01, 1], "default": 0.2 } },
              "training": { "lr": { "log-uniform": [0.001, 0.1] } } }
            """)
        let binding = try StrategyBinding(c, plugin: plugin)
        let defaults = Hyperparameters.defaults
        let trials = try binding.trials(8, defaults: defaults)
        XCTAssertEqual(trials.count, 8)
        XCTAssertEqual(trials.map(\.index), Array(0..<8))
        XCTAssertEqual(trials[0].binding.valuesByName["n"], .int(3), "the plugin's default")
        XCTAssertEqual(trials[0].binding.valuesByName["lr_mult"], .double(0.2), "the space's default")
        XCTAssertEqual(trials[0].training, defaults, "the comparison's settings")
        for t in trials.dropFirst() {
            guard case let .int(n) = t.binding.valuesByName["n"]!, case let .double(m) = t.binding.valuesByName["lr_mult"]! else { return XCTFail() }
            XCTAssertTrue((1...7).contains(n) && (0.01...1).contains(m) && (0.001...0.1).contains(t.training.learningRate), "\(t.signature)")
            XCTAssertEqual(t.training.epochs, 10)
        }
        XCTAssertEqual(Set(trials.map(\.signature)).count, 8, "distinct trials")
        // The same draws every time, and a longer search extends a shorter one.
        XCTAssertEqual(try binding.trials(8, defaults: defaults).map(\.signature), trials.map(\.signature))
        XCTAssertEqual(try binding.trials(4, defaults: defaults).map(\.signature), Array(trials.prefix(4).map(\.signature)))
        // log-uniform spreads over decades: some draws below 0.1 and some above.
        let mults = trials.dropFirst().compactMap { $0.binding.valuesByName["lr_mult"]?.number }
        XCTAssertTrue(mults.contains { $0 < 0.1 } && mults.contains { $0 > 0.1 }, "\(mults)")
    }

    func testEveryHyperparameterCanBeFixedPerConfigurationAndAMeaninglessMixIsRefusedWithItsPlace() throws {
        let c = try parse(#"{ "strategy": "p", "training": { "batch_size": 16, "schedule": "cosine", "momentum": 0.5, "l1": 0.0001 } }"#)
        let t = try StrategyBinding(c, plugin: plugin).trials(1, defaults: .defaults)[0].training
        XCTAssertEqual([t.batchSize, t.schedule, t.momentum, t.l1] as [AnyHashable], [16, LearningRateSchedule.cosine, 0.5, 0.0001] as [AnyHashable])
        // momentum under the default onecycle schedule would be ignored: refused, naming the entry.
        let ignored = try parse(#"{ "strategy": "p", "training": { "momentum": 0.5 } }"#)
        XCTAssertThrowsError(try StrategyBinding(ignored, plugin: plugin).trials(1, defaults: .defaults)) { error in
            XCTAssertEqual("\(error)", "s.json:1:3: 'a': momentum 0.5 is set, but the onecycle schedule cycles momentum between 0.85 and 0.95 itself. "
                           + "help: choose schedule constant, cosine or step:EPOCHS:GAMMA to set momentum")
        }
    }

    func testAGridCrossesEveryChoiceAndSmallSpacesRunOutOfTrials() throws {
        let c = try parse(#"{ "strategy": "p", "parameters": { "head": { "choice": ["xavier", "small", "zero"] }, "n": { "choice": [1, 2] } } }"#)
        let binding = try StrategyBinding(c, plugin: plugin)
        let defaults = Hyperparameters.testing(epochs: 1, batch: 64)
        let grid = try binding.trials(20, defaults: defaults, method: .grid)
        XCTAssertEqual(grid.count, 7, "the untuned configuration and the 6 grid points")
        XCTAssertEqual(Set(grid.dropFirst().map { "\($0.binding.valuesByName["head"]!)\($0.binding.valuesByName["n"]!)" }).count, 6)
        XCTAssertEqual(try binding.trials(20, defaults: defaults).count, 7, "random search stops when every distinct value is drawn")
        // Nothing to search: one trial however many are asked for.
        XCTAssertEqual(try StrategyBinding(try parse(#"{ "strategy": "p" }"#), plugin: plugin).trials(8, defaults: defaults).count, 1)
    }

    func testAPluginDeclaresRangesOnceAndOlderPluginsStillLoad() throws {
        let dir = try temporaryDirectory(self)
        let ranged = try StrategyPlugin(path: compilePlugin(cPlugin(ranges: #""0..10", NULL, NULL, "hi|ho""#), named: "ranged", in: dir))
        XCTAssertEqual(ranged.parameters.map(\.range), [.numeric(minimum: 0, maximum: 10), nil, nil, .oneOf(["hi", "ho"])])
        // Built before parameter_ranges existed: its struct ends just before the field.
        let old = try StrategyPlugin(path: compilePlugin(cPlugin(entry: "harness_strategy_entry_v1", abi: "1", structSize: "offsetof(harness_strategy, parameter_ranges)"), named: "old", in: dir))
        XCTAssertEqual(old.parameters.map(\.range), [nil, nil, nil, nil])
        // (Each under its own name: dlopen hands back an already-open path's first library.)
        func failure(_ ranges: String, _ name: String) -> String {
            do { _ = try StrategyPlugin(path: compilePlugin(cPlugin(ranges: ranges), named: name, in: dir)); return "" } catch { return "\(error)" }
        }
        let outside = failure(#""2..", NULL, NULL, NULL"#, "outside")
        XCTAssertTrue(outside.contains("default 1 of parameter a lies outside its range 2.."), outside)
        let malformed = failure(#""ten", NULL, NULL, NULL"#, "malformed")
        XCTAssertTrue(malformed.contains("range 'ten' of parameter a is not MIN..MAX (numbers) or a|b|c (strings)"), malformed)
    }
}
