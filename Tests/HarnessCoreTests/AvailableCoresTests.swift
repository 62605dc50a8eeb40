// Defaults for threads, jobs and decoders follow the cores this process may use: its affinity
// mask and a cgroup CPU quota, not the machine's count.
import XCTest
import Foundation
@testable import HarnessSupport

final class AvailableCoresTests: XCTestCase {
    func testACgroupQuotaIsReadInWholeCores() {
        XCTAssertEqual(AvailableCores.quota(cpuMax: "200000 100000\n"), 2)
        XCTAssertEqual(AvailableCores.quota(cpuMax: "150000 100000"), 2, "a core and a half can run two threads")
        XCTAssertEqual(AvailableCores.quota(cpuMax: "50000 100000"), 1)
        XCTAssertNil(AvailableCores.quota(cpuMax: "max 100000"))
        XCTAssertNil(AvailableCores.quota(cpuMax: "garbage"))
    }

    /// Under `taskset -c 0` a process may use one core whatever the machine has.
    func testTheAffinityMaskIsRespected() throws {
        let taskset = "/usr/bin/taskset"
        guard FileManager.default.isExecutableFile(atPath: taskset) else { throw XCTSkip("taskset (util-linux) is not installed") }
        XCTAssertEqual(AvailableCores.affinityCount, ProcessInfo.processInfo.activeProcessorCount, "unrestricted here")
        // A child pinned to CPU 0 reports one core through the same call: the test bundle's own
        // harness binary prints its --threads default in its help.
        var dir = Bundle(for: Self.self).bundleURL
        while dir.lastPathComponent.hasSuffix(".xctest") { dir.deleteLastPathComponent() }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: taskset)
        p.arguments = ["-c", "0", dir.appendingPathComponent("harness").path, "train", "--help"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertTrue(text.replacingOccurrences(of: "\n", with: " ").range(of: #"--threads <threads>.*\(default: 1\)"#, options: .regularExpression) != nil, text)
    }
}
