// Cells run in worker processes of the harness itself, a few at a time, so that a strategy that
// crashes, hangs or runs out of memory becomes a failed row, not a dead comparison. Both
// launchers use it: LocalLauncher on this machine, SlurmLauncher inside each array task.
import Foundation
import HarnessSupport

public final class WorkerProcesses: Sendable {
    /// The harness binary; each worker is `harness worker --cell FILE --result FILE …`.
    let executable: String
    let jobs: Int
    /// Seconds before a cell's worker is killed. The worker also holds itself to it, so a hung
    /// plugin stops even if this process is gone.
    let timeout: Double
    /// No cell starts after this moment (--budget); cells already running finish.
    let deadline: Date?
    /// The CPUs each of the `jobs` worker slots is bound to (`placement`), or nil: the
    /// scheduler places the workers.
    let placement: [[Int]]?

    public init(executable: String, jobs: Int, timeout: Double, deadline: Date? = nil, placement: [[Int]]? = nil) {
        self.executable = executable
        self.jobs = max(1, jobs)
        self.timeout = timeout
        self.deadline = deadline
        self.placement = placement
    }

    /// The CPUs of each of `jobs` slots of `threads` threads, or nil when they do not fit.
    public static func placement(cpus: [Int]?, jobs: Int, threads: Int) -> [[Int]]? {
        guard let cpus, threads >= 1, jobs * threads <= cpus.count else { return nil }
        return (0..<jobs).map { Array(cpus[($0 * threads)..<(($0 + 1) * threads)]) }
    }

    public func run(_ cells: [Cell], started: @escaping @Sendable (Cell) -> Void, finished: @escaping @Sendable (Cell, CellResult) -> Void) {
        ChildProcess.removeStaleScratch()
        let slots = DispatchSemaphore(value: jobs)
        let group = DispatchGroup()
        let reporting = DispatchQueue(label: "harness.cells.report")
        let scratch = ChildProcess.scratchDirectory("cells", unique: false)
        try? FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        // Which slot (and so which CPUs) each running worker holds; touched on `reporting` only.
        let free = SlotList(count: jobs)

        for (index, cell) in cells.enumerated() {
            slots.wait()
            if let deadline, Date() >= deadline {
                slots.signal()
                break
            }
            group.enter()
            let slot = reporting.sync { started(cell); return free.take() }
            launch(cell, in: scratch, name: "cell-\(index)", cpus: placement?[slot]) { result in
                reporting.async {
                    free.give(slot)
                    finished(cell, result)
                    slots.signal()
                    group.leave()
                }
            }
        }
        group.wait()
    }

    /// Starts one worker and calls `done` exactly once with its result.
    private func launch(_ cell: Cell, in scratch: URL, name: String, cpus: [Int]?, done: @escaping @Sendable (CellResult) -> Void) {
        let cellFile = scratch.appendingPathComponent(name + ".json")
        do {
            try HarnessJSON.encoder.encode(cell).write(to: cellFile)
        } catch {
            return done(.failure(cell.key, "cannot write the cell for its worker: \(error)", seconds: 0))
        }
        let resultFile = scratch.appendingPathComponent(name + ".result.json")
        let arguments = ["worker", "--cell", cellFile.path, "--result", resultFile.path] + ChildProcess.guardArguments(timeout: timeout)
            + (cpus.map { ["--cpus", $0.map(String.init).joined(separator: ",")] } ?? [])
        ChildProcess.start(executable, arguments, resultFile: resultFile, timeout: timeout + 5) { [timeout] outcome in
            try? FileManager.default.removeItem(at: cellFile)
            if let data = outcome.result, var result = try? HarnessJSON.decoder.decode(CellResult.self, from: data) {
                result.key = cell.key
                result.log = outcome.log.isEmpty ? nil : outcome.log
                return done(result)
            }
            done(.failure(cell.key, outcome.failure(timeout: timeout), seconds: outcome.seconds, log: outcome.log))
        }
    }
}

/// The free worker slots (their indices), taken and given back on one queue.
private final class SlotList: @unchecked Sendable {
    private var free: [Int]
    init(count: Int) { free = Array((0..<count).reversed()) }
    func take() -> Int { free.popLast()! }
    func give(_ slot: Int) { free.append(slot) }
}
