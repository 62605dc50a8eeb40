// Reading squeue's answer: an array task counts as queued when listed on its own ("12_3") or
// inside a pending range that Slurm has not split out yet ("12_[3-7%2]", "12_[1,4-5]").
import XCTest
@testable import HarnessCore
@testable import HarnessCompare

final class SlurmQueueTests: XCTestCase {
    func testArrayTasksInPendingRangesCountAsQueued() {
        let queued = ["12_1": "RUNNING", "12_[3-7%2]": "PENDING", "13_[0,4-5]": "PENDING"]
        XCTAssertTrue(SlurmLauncher.isQueued("12_1", in: queued))
        XCTAssertFalse(SlurmLauncher.isQueued("12_2", in: queued), "finished or lost")
        for task in ["12_3", "12_5", "12_7", "13_0", "13_5"] { XCTAssertTrue(SlurmLauncher.isQueued(task, in: queued), task) }
        for task in ["12_8", "13_1", "13_3", "1_3", "123_3"] { XCTAssertFalse(SlurmLauncher.isQueued(task, in: queued), task) }
    }
}
