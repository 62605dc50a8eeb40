// Defaults for threads, jobs and decoders follow the cores this process may use: its affinity
// mask and a cgroup CPU quota, not the machine's count.
import XCTest
import Foundation
@testable import HarnessSupport
@testable import HarnessCompare

final class AvailableCoresTests: XCTestCase {
    func testACgroupQuotaIsReadInWholeCores() {
        XCTAssertEqual(AvailableCores.quota(cpuMax: "200000 100000\n"), 2)
        XCTAssertEqual(AvailableCores.quota(cpuMax: "150000 100000"), 2, "a core and a half can run two threads")
        XCTAssertEqual(AvailableCores.quota(cpuMax: "50000 100000"), 1)
        XCTAssertNil(AvailableCores.quota(cpuMax: "max 100000"))
        XCTAssertNil(AvailableCores.quota(cpuMax: "garbage"))
    }

    /// Under `taskset -c 0` a process may use one core whatever the machine has: this test
    /// process pins itself to CPU 0, reads, and is given every CPU back.
    func testTheAffinityMaskIsRespected() throws {
        let taskset = "/usr/bin/taskset"
        guard FileManager.default.isExecutableFile(atPath: taskset) else { throw XCTSkip("taskset (util-linux) is not installed") }
        let all = ProcessInfo.processInfo.activeProcessorCount
        XCTAssertEqual(AvailableCores.affinityCount, all, "unrestricted here")
        func pin(_ cpus: String) throws {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: taskset)
            p.arguments = ["-a", "-p", "-c", cpus, "\(ProcessInfo.processInfo.processIdentifier)"]
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0)
        }
        try pin("0")
        defer { try? pin("0-\(all - 1)") }
        XCTAssertEqual(AvailableCores.affinityCount, 1)
        XCTAssertEqual(AvailableCores.count, 1)
    }

    /// The default follows the free cores; more threads than free make the engine wait passively.
    func testAThreadPlanFollowsTheFreeCores() {
        XCTAssertEqual(ThreadPlan.decide(available: 2, busy: 0.05, requested: nil), ThreadPlan(threads: 2, passive: false, note: nil))
        let busy = ThreadPlan.decide(available: 2, busy: 1.0, requested: nil)
        XCTAssertEqual(busy.threads, 1)
        XCTAssertFalse(busy.passive)
        XCTAssertEqual(busy.note, "other processes keep 1.0 of 2 cores busy: the kernels use 1 thread (--threads N to choose)")
        XCTAssertEqual(ThreadPlan.decide(available: 2, busy: 2.0, requested: nil).threads, 1, "never fewer than one")
        XCTAssertEqual(ThreadPlan.decide(available: 8, busy: 2.6, requested: nil).threads, 5)
        let forced = ThreadPlan.decide(available: 2, busy: 1.0, requested: 2)
        XCTAssertEqual(forced.threads, 2)
        XCTAssertTrue(forced.passive)
        XCTAssertFalse(ThreadPlan.decide(available: 2, busy: 0.1, requested: 2).passive, "idle: spinning is 12% faster")
    }

    func testProcStatIsReadAsBusyCores() {
        let before = "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 50 0 25 400 25 0 0 0 0 0\ncpu1 50 0 25 400 25 0 0 0 0 0\n"
        let after = "cpu  200 0 100 850 50 0 0 0 0 0\ncpu0 150 0 50 400 25 0 0 0 0 0\ncpu1 50 0 50 450 25 0 0 0 0 0\n"
        let a = MachineLoad.cpuTimes(procStat: before)!, b = MachineLoad.cpuTimes(procStat: after)!
        XCTAssertEqual(a.cores, 2)
        // 150 busy ticks of 200: 1.5 of 2 cores.
        XCTAssertEqual(MachineLoad.busyCores(from: a, to: b), 1.5, accuracy: 1e-9)
        XCTAssertNotNil(MachineLoad.busyCores(over: 0.05), "this machine has a /proc/stat")
    }
}

final class WorkerPlacementTests: XCTestCase {
    func testWorkersGetCoresOfTheirOwnOnlyWhenTheyFit() {
        XCTAssertEqual(WorkerProcesses.placement(cpus: [0, 1, 2, 3], jobs: 2, threads: 2), [[0, 1], [2, 3]])
        XCTAssertEqual(WorkerProcesses.placement(cpus: [4, 6], jobs: 2, threads: 1), [[4], [6]], "the CPUs of the affinity mask, not 0..<n")
        XCTAssertNil(WorkerProcesses.placement(cpus: [0, 1], jobs: 2, threads: 2), "four threads on two cores: left to the scheduler")
        XCTAssertNil(WorkerProcesses.placement(cpus: nil, jobs: 1, threads: 1))
    }

    func testBindingNarrowsThisThreadsAffinity() throws {
        let cpus = try XCTUnwrap(AvailableCores.cpus)
        // In a thread of its own, so the test process keeps its mask.
        let done = expectation(description: "bound")
        Thread {
            do {
                try AvailableCores.bind(to: [cpus[0]])
                XCTAssertEqual(AvailableCores.cpus, [cpus[0]])
            } catch { XCTFail("\(error)") }
            done.fulfill()
        }.start()
        wait(for: [done], timeout: 10)
        XCTAssertEqual(AvailableCores.cpus, cpus, "other threads keep theirs")
    }
}
