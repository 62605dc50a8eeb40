import XCTest
@testable import HarnessCore
@testable import HarnessMetrics

final class MetricsTests: XCTestCase {
    func testConfusionAccuracyAndMacroF1() {
        let m = ClassificationMetrics(predictions: [0, 0, 1, 1, 2, 0], labels: [0, 1, 1, 1, 2, 2], classCount: 3)
        XCTAssertEqual(m.accuracy, 4.0 / 6.0, accuracy: 1e-12)
        XCTAssertEqual(m.confusion, [[1, 0, 0], [1, 2, 0], [1, 0, 1]])
        XCTAssertEqual(m.perClassAccuracy, [1, 2.0 / 3.0, 0.5])
        // F1: class 0 p=1/3 r=1 -> 0.5; class 1 p=1 r=2/3 -> 0.8; class 2 p=1 r=1/2 -> 2/3
        XCTAssertEqual(m.macroF1, (0.5 + 0.8 + 2.0 / 3.0) / 3, accuracy: 1e-12)
    }

    func testSummaryUsesStudentT() {
        let s = Summary([0.90, 0.92, 0.94])
        XCTAssertEqual(s.mean, 0.92, accuracy: 1e-12)
        XCTAssertEqual(s.standardDeviation, 0.02, accuracy: 1e-12)
        XCTAssertEqual(s.confidence95!, 4.303 * 0.02 / 3.0.squareRoot(), accuracy: 1e-12)
        XCTAssertNil(Summary([0.5]).confidence95)
    }
}
