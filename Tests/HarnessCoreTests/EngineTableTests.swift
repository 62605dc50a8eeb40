// The engine table a plugin receives, called as a plugin would: new_linear (ABI 2.1) makes a
// linear classifier over feature vectors and refuses arguments it cannot take, with a reason.
import CStrategyAPI
import XCTest
@testable import HarnessCore
@testable import StrategyHost

final class EngineTableTests: XCTestCase {
    func testNewLinearMakesAClassifierOverFeatureVectorsAndRefusesBadArguments() throws {
        let session = HostSession(log: { _ in }, progress: nil, trained: nil, task: try tinyTask(), unlabelled: nil)
        let table = HostEngine.table.pointee
        XCTAssertGreaterThanOrEqual(Int(table.struct_size), MemoryLayout<harness_engine>.offset(of: \harness_engine.new_linear)! + 8,
                                    "the host's table holds the appended field")
        let made = try XCTUnwrap(table.new_linear(session.pointer, 12, 3, 1))
        let net = try session.network(made)
        XCTAssertEqual(net.units, ["fc"])
        XCTAssertEqual([net.spec.channels, net.spec.height, net.spec.width, net.classes], [12, 1, 1, 3])
        XCTAssertEqual(net.trainableParameterCount, 12 * 3 + 3)
        table.release_network(session.pointer, made)

        XCTAssertNil(table.new_linear(session.pointer, 0, 3, 1))
        XCTAssertEqual(session.lastErrorText, "new_linear: width must be 1 to 16777216 features, not 0")
        XCTAssertNil(table.new_linear(session.pointer, 12, 1, 1))
        XCTAssertEqual(session.lastErrorText, "new_linear: a classifier needs at least 2 classes, not 1")
    }
}
