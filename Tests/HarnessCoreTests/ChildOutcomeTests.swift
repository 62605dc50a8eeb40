// Why a child gave no result, in words a user can act on: a timeout, out of memory (the kernel's
// killer or a failed allocation) with the setting to lower, or the signal that ended it.
import XCTest
@testable import HarnessSupport

final class ChildOutcomeTests: XCTestCase {
    func outcome(signal: Int32?, timedOut: Bool = false, log: String = "") -> ChildOutcome {
        ChildOutcome(status: signal ?? 1, signal: signal, timedOut: timedOut, result: nil, log: log, seconds: 1)
    }

    func testOutOfMemoryIsNamedWithTheSettingToLower() {
        // A worker killed for memory once showed a Swift backtrace.
        XCTAssertEqual(outcome(signal: SIGKILL).failure(timeout: 60),
                       "killed by signal 9 (SIGKILL), which the host did not send: most likely the kernel's out-of-memory killer (dmesg says so) "
                       + "ended it because the machine ran out of memory. help: run fewer cells at once (--jobs 1), or lower --batch or the image size")
        XCTAssertEqual(outcome(signal: SIGABRT, log: "epoch 1\nterminate called after throwing an instance of 'std::bad_alloc'").failure(timeout: 60),
                       "ran out of memory (an allocation failed): epoch 1 | terminate called after throwing an instance of 'std::bad_alloc'. "
                       + "help: run fewer cells at once (--jobs 1), or lower --batch or the image size")
        XCTAssertTrue(outcome(signal: SIGTRAP, log: "Fatal error: Could not allocate memory.").failure(timeout: 60).hasPrefix("ran out of memory"))
        // The host's own kill at the timeout stays a timeout; other crashes keep their signal.
        XCTAssertEqual(outcome(signal: SIGKILL, timedOut: true).failure(timeout: 60), "timed out after 60s (hung?); killed")
        XCTAssertEqual(outcome(signal: SIGSEGV, log: "x").failure(timeout: 60), "crashed: signal 11 (Segmentation fault): x")
    }
}
