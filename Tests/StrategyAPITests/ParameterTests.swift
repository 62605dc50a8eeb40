// The plugin SDK's parameters: declared once as properties, found by reflection in declaration
// order, and set from the host's values before the strategy's own check.
import XCTest
@testable import StrategyAPI

private struct Probe: Strategy {
    static let name = "probe", version = "1.0", summary = "a strategy for testing the SDK"
    @Parameter(range: "0..", help: "how many") var n = 3
    @Parameter(range: "0..", help: "a rate multiplier") var lrMult = 0.1
    @Parameter(help: "a switch") var warmUp = true
    @Parameter(help: "a layer") var layer = "penultimate"
    @Parameter(help: HeadStart.help) var head = HeadStart.xavier
    /// Not a parameter: plain properties are left alone.
    var note = "x"

    func validate() throws {
        if n == 13 { throw StrategyError("n=13 is unlucky") }
    }

    func run(_ task: StrategyTask, engine: Engine) throws -> [Int32] { [] }
}

final class ParameterTests: XCTestCase {
    func testPropertyNamesBecomeParameterNamesInStrategiesJSONsStyle() {
        XCTAssertEqual(["n", "lrMult", "warmUp", "l2sp", "lpEpochs", "c"].map(parameterName), ["n", "lr_mult", "warm_up", "l2sp", "lp_epochs", "c"])
    }

    func testTheDeclarationsAreFoundInOrderWithTheirKindsDefaultsAndRanges() {
        XCTAssertEqual(Probe.parameters, [
            StrategyParameter("n", .int, default: "3", range: "0..", help: "how many"),
            StrategyParameter("lr_mult", .double, default: "0.1", range: "0..", help: "a rate multiplier"),
            StrategyParameter("warm_up", .bool, default: "true", help: "a switch"),
            StrategyParameter("layer", .string, default: "penultimate", help: "a layer"),
            StrategyParameter("head", .string, default: "xavier", range: "xavier|small|zero", help: HeadStart.help),
        ])
    }

    func testConfiguringSetsEveryValueAndRunsTheStrategysOwnCheck() throws {
        func configure(n: Int64) throws -> Probe {
            try "last2".withCString { layer in
                try "zero".withCString { head in
                    var values = [harness_value](repeating: harness_value(), count: 5)
                    values[0].type = HARNESS_INT; values[0].integer = n
                    values[1].type = HARNESS_DOUBLE; values[1].number = 0.5
                    values[2].type = HARNESS_BOOL; values[2].integer = 0
                    values[3].type = HARNESS_STRING; values[3].string = layer
                    values[4].type = HARNESS_STRING; values[4].string = head
                    return try configured(Probe.self, values: values, count: 5) as! Probe
                }
            }
        }
        let p = try configure(n: 7)
        XCTAssertEqual(p.n, 7)
        XCTAssertEqual(p.lrMult, 0.5)
        XCTAssertEqual(p.warmUp, false)
        XCTAssertEqual(p.layer, "last2")
        XCTAssertEqual(p.head, .zero)
        XCTAssertEqual(Probe().n, 3, "a fresh value keeps the defaults: each configuration has its own storage")
        XCTAssertThrowsError(try configure(n: 13)) { XCTAssertEqual("\($0)", "n=13 is unlucky") }
        XCTAssertThrowsError(try configured(Probe.self, values: nil, count: 2)) {
            XCTAssertEqual("\($0)", "the host sent 2 values for 5 parameters")
        }
    }
}
