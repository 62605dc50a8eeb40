// The one value for training hyperparameters: its table of defaults, its check, its canonical
// JSON (which keys are made from), and the subscript search spaces write through.
import XCTest
@testable import HarnessCore
@testable import HarnessSupport
@testable import HarnessEngine

final class HyperparametersTests: XCTestCase {
    func testTheDefaultsAreOneTableAndTheSourceNetworkHasItsOwn() {
        let d = Hyperparameters.defaults
        XCTAssertEqual([d.learningRate, Double(d.epochs), Double(d.batchSize), d.weightDecay, d.momentum, d.l1], [0.05, 10, 64, 5e-4, 0.9, 0])
        XCTAssertEqual(d.schedule, .oneCycle)
        XCTAssertEqual(d.batchNorm, .batch)
        XCTAssertEqual(Hyperparameters.sourceDefaults.changed, [.epochs])
        XCTAssertEqual(Hyperparameters.sourceDefaults.epochs, 3)
        XCTAssertEqual(d.canonicalJSON, "{}", "defaults are left out")
        XCTAssertEqual(d.changesSummary, "defaults")
    }

    func testCanonicalJSONLeavesOutDefaultsAndRoundTrips() throws {
        var h = Hyperparameters.defaults
        h.learningRate = 0.0123
        h.schedule = .step(every: 3, gamma: 0.1)
        h.batchNorm = .adabn
        XCTAssertEqual(h.canonicalJSON, #"{"batch_norm":"adabn","lr":0.0123,"schedule":"step:3:0.1"}"#)
        let back = try JSONDecoder().decode(Hyperparameters.self, from: Data(h.canonicalJSON.utf8))
        XCTAssertEqual(back, h)
        XCTAssertEqual(h.changesSummary, "lr=0.0123, schedule=step:3:0.1, batch_norm=adabn")
    }

    func testAnUnknownNameOrABadValueInJSONIsAnErrorNeverIgnored() {
        XCTAssertThrowsError(try JSONDecoder().decode(Hyperparameters.self, from: Data(#"{"learning_rate":0.1}"#.utf8))) { error in
            XCTAssertTrue("\(error)".contains("unknown hyperparameter 'learning_rate' (known: lr, epochs, batch_size, weight_decay, momentum, l1, schedule, batch_norm, augment, min_steps, precision)"),
                          "\(error)")
        }
        XCTAssertThrowsError(try JSONDecoder().decode(Hyperparameters.self, from: Data(#"{"schedule":"sometimes"}"#.utf8)))
        XCTAssertThrowsError(try JSONDecoder().decode(Hyperparameters.self, from: Data(#"{"epochs":2.5}"#.utf8)))
    }

    func testValidationNamesTheHyperparameterAndItsRange() {
        func firstLine(_ h: Hyperparameters) -> String? {
            do { _ = try h.validated(); return nil } catch { return "\(error)".split(separator: "\n").first.map(String.init) }
        }
        XCTAssertNil(firstLine(.defaults))
        XCTAssertEqual(firstLine(.defaults.with(.epochs, .int(0))), "hyperparameter epochs must be between 1 and 100000, not 0")
        XCTAssertEqual(firstLine(.defaults.with(.epochs, .int(3_000_000_000))), "hyperparameter epochs must be between 1 and 100000, not 3000000000")
        XCTAssertEqual(firstLine(.defaults.with(.lr, .double(-1))), "hyperparameter lr must be at least 1e-12, not -1.0")
        XCTAssertEqual(firstLine(.defaults.with(.batchSize, .int(0))), "hyperparameter batch_size must be between 1 and 65536, not 0")
        XCTAssertEqual(firstLine(.defaults.with(.weightDecay, .double(.nan))), "hyperparameter weight_decay must be at least 0, not nan")
        // Under onecycle, momentum is cycled: a momentum set there would be ignored, so it is refused.
        XCTAssertEqual(firstLine(.defaults.with(.momentum, .double(0.5))),
                       "momentum 0.5 is set, but the onecycle schedule cycles momentum between 0.85 and 0.95 itself. "
                       + "help: choose schedule constant, cosine or step:EPOCHS:GAMMA to set momentum")
        XCTAssertNil(firstLine(.defaults.with(.momentum, .double(0.5)).with(.schedule, .string("constant"))))
    }

    func testTheSubscriptReadsAndWritesEveryName() {
        var h = Hyperparameters.defaults
        let values: [Hyperparameter: ParameterValue] = [
            .lr: .double(0.2), .epochs: .int(4), .batchSize: .int(8), .weightDecay: .double(0), .momentum: .double(0.8),
            .l1: .double(1e-5), .schedule: .string("cosine"), .batchNorm: .string("frozen"), .augment: .string("crop+flip"),
            .minSteps: .int(500), .precision: .string("bf16"),
        ]
        for (name, value) in values { h[name] = value }
        for (name, value) in values { XCTAssertEqual(h[name], value, name.rawValue) }
        XCTAssertEqual(Set(h.changed), Set(Hyperparameter.allCases))
        h[.lr] = .int(1)
        XCTAssertEqual(h.learningRate, 1, "an integer is a fine rate")
        XCTAssertTrue(Hyperparameter.lr.accepts(.int(1)))
        XCTAssertFalse(Hyperparameter.epochs.accepts(.double(2)))
        XCTAssertTrue(Hyperparameter.schedule.accepts(.string("step:2:0.5")))
        XCTAssertFalse(Hyperparameter.schedule.accepts(.string("step:0:0.5")))
    }
}
