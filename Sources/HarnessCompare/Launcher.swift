// Where a plan's work runs. A launcher obtains the plan's source networks and runs cells,
// reporting each start and each result; `ComparisonRun` decides which cells, stores the results
// and reads them back. `LocalLauncher` runs here; `SlurmLauncher` runs on a cluster.
import Foundation
import HarnessSupport
import HarnessData
import HarnessEngine

public protocol Launcher {
    /// Cells that run at once (what the time estimate divides by).
    var parallelCells: Int { get }
    /// Makes sure the plan's source networks exist, then runs `cells` (none after `deadline`),
    /// calling `events.finished` once per cell that finished, in any order. Returns when every
    /// cell has finished, or when the launcher hands them to something that outlives this process.
    func run(_ cells: [Cell], of plan: ComparisonPlan, deadline: Date?, events: CellEvents) throws
}

/// What a launcher reports. The callbacks are called one at a time.
public struct CellEvents: Sendable {
    public var log: @Sendable (String) -> Void
    /// A phase begins with this many cells to run (the search's, then the refits').
    public var begin: @Sendable (Int) -> Void = { _ in }
    public var started: @Sendable (Cell) -> Void
    public var finished: @Sendable (Cell, CellResult) -> Void
    /// A source network's training, epoch by epoch (local launcher only).
    public var training: (@Sendable (TrainingProgress) -> Void)?

    public init(log: @escaping @Sendable (String) -> Void, started: @escaping @Sendable (Cell) -> Void = { _ in },
                finished: @escaping @Sendable (Cell, CellResult) -> Void, training: (@Sendable (TrainingProgress) -> Void)? = nil) {
        self.log = log
        self.started = started
        self.finished = finished
        self.training = training
    }
}

/// Source networks trained in this process, then each cell in a worker process of its own,
/// `jobs` at a time.
public struct LocalLauncher: Launcher {
    /// The harness binary; each worker is `harness worker --cell FILE --result FILE`.
    public var executable: String
    public var jobs: Int
    /// Seconds before a cell's worker is killed as hung.
    public var timeout: Double
    public var decoders: DecoderProcesses?
    /// Bind each worker's threads to CPUs of its own (--bind-cores).
    public var bindsCores: Bool

    public init(executable: String, jobs: Int, timeout: Double, decoders: DecoderProcesses? = nil, bindsCores: Bool = false) {
        self.executable = executable
        self.jobs = max(1, jobs)
        self.timeout = timeout
        self.decoders = decoders
        self.bindsCores = bindsCores
    }

    public var parallelCells: Int { jobs }

    public func run(_ cells: [Cell], of plan: ComparisonPlan, deadline: Date?, events: CellEvents) throws {
        for source in plan.sources {
            try source.obtain(decoders: decoders, log: events.log, progress: events.training)
        }
        // The source data is freed; hand its pages back to the system before workers start.
        EngineMemory.releaseFreePages()
        var placement: [[Int]]?
        if bindsCores {
            let threads = cells.first?.threads ?? 1
            placement = WorkerProcesses.placement(cpus: AvailableCores.cpus, jobs: jobs, threads: threads)
            if let placement {
                events.log("workers bound to cores: " + placement.enumerated().map { "slot \($0.offset + 1) on \($0.element.map(String.init).joined(separator: ","))" }.joined(separator: ", "))
            } else {
                events.log("--bind-cores: \(jobs) workers x \(threads) threads do not fit the \(AvailableCores.count) cores this process may use; workers are not bound")
            }
        }
        WorkerProcesses(executable: executable, jobs: jobs, timeout: timeout, deadline: deadline, placement: placement)
            .run(cells, started: events.started, finished: events.finished)
    }
}
