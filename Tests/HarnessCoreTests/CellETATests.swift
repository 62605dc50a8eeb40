// The ETA of a phase of cells comes from the cells' own durations, never from a clock that also
// counted the source network's training (once "ETA 76m58s" with 20 s left).
import XCTest
@testable import HarnessCompare

final class CellETATests: XCTestCase {
    func testTheETAFollowsTheCellsMeasuredSpeedOverTheJobs() {
        var eta = CellETA(total: 10, jobs: 2)
        XCTAssertNil(eta.remainingSeconds, "nothing to estimate from yet")
        // The source network took ten minutes before this phase; the first cell took 5 s of its own.
        eta.finished(seconds: 5)
        XCTAssertEqual(eta.remainingSeconds!, 5 * 9 / 2, accuracy: 1e-9)
        eta.finished(seconds: 7)
        XCTAssertEqual(eta.remainingSeconds!, 6 * 8 / 2, accuracy: 1e-9)
        // The last cell runs alone: no sharing to divide by.
        var end = CellETA(total: 3, jobs: 2)
        end.finished(seconds: 4)
        end.finished(seconds: 6)
        XCTAssertEqual(end.remainingSeconds!, 5, accuracy: 1e-9)
        end.finished(seconds: 5)
        XCTAssertEqual(end.remainingSeconds!, 0, accuracy: 1e-9)
    }
}
