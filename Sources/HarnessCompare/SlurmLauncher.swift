// Runs a plan on a Slurm cluster. The source networks train in a first job, into the network
// cache on the shared file system; the cells go out as one job array that depends on it
// (afterok, with --kill-on-invalid-dep=yes: a failed source job cancels the cells instead of
// leaving them pending forever), several cells per task since scheduling costs about a second
// per batch of tasks. The coordinator waits and stores each result as it appears; with
// --no-wait, a collect job ingests them into the database when the array ends.
// Each task runs its cells one by one, each in a worker process as locally, and writes each
// result to a file of its own (RunDirectory). Running the comparison again (or `harness status`)
// sees what is done, queued, running or failed, waits for what is in flight and resubmits only
// the cells that are missing or were lost with a killed task.
import Foundation
import HarnessData

public struct SlurmLauncher: Launcher {
    /// The harness binary, on a file system every node sees.
    public var executable: String
    /// Where run directories go (shared by every node).
    public var runRoot: String
    /// The database the collect job ingests into.
    public var database: String
    public var cellsPerTask: Int
    /// CPUs each array task asks for (and each cell's threads).
    public var cpusPerTask: Int
    /// Threads (and CPUs) of the source-network job: the same as a local run trains with, so the
    /// network is bit-identical to one trained here.
    public var sourceThreads: Int
    /// Seconds before a cell's worker is killed as hung.
    public var timeout: Double
    /// Passed to every sbatch: partition, time, memory, account ("--partition=gpu --time=2:00:00").
    public var slurmArguments: [String]
    /// Wait for the cells and report each as it finishes; false: submit and return.
    public var wait: Bool
    /// For the time estimate: how many tasks the cluster runs at once.
    public var parallelCells: Int
    public var pollSeconds = 2.0

    public init(executable: String, runRoot: String, database: String, cellsPerTask: Int, cpusPerTask: Int, sourceThreads: Int, timeout: Double,
                slurmArguments: [String], wait: Bool, parallelCells: Int) {
        self.executable = executable
        self.runRoot = runRoot
        self.database = database
        self.cellsPerTask = max(1, cellsPerTask)
        self.cpusPerTask = max(1, cpusPerTask)
        self.sourceThreads = max(1, sourceThreads)
        self.timeout = timeout
        self.slurmArguments = slurmArguments
        self.wait = wait
        self.parallelCells = max(1, parallelCells)
    }

    public func run(_ cells: [Cell], of plan: ComparisonPlan, deadline: Date?, events: CellEvents) throws {
        let dir = RunDirectory(root: runRoot, plan: plan)
        try dir.prepare(plan)
        // Results written by earlier tasks and not yet collected count now.
        let written = dir.results()
        var todo: [Cell] = []
        for cell in cells {
            if let result = written[cell.key] { events.finished(cell, result) } else { todo.append(cell) }
        }
        // Cells queued or running in an earlier submission are waited for, not submitted again.
        let earlier = dir.submissions()
        let queued = try Slurm.queued(earlier.map(\.arrayJob))
        var awaited: [String: (cell: Cell, task: String, submission: SlurmSubmission)] = [:]
        var fresh: [Cell] = []
        for cell in todo {
            if let s = earlier.last(where: { $0.task(of: cell.key).map { Self.isQueued($0, in: queued) } ?? false }) {
                awaited[cell.key] = (cell, s.task(of: cell.key)!, s)
            } else {
                fresh.append(cell)
            }
        }
        if !awaited.isEmpty { events.log("\(awaited.count) cells are already queued or running on Slurm (\(dir.path)); waiting for them") }
        if !fresh.isEmpty {
            let submission = try submit(fresh, of: plan, in: dir, number: earlier.count, log: events.log)
            for cell in fresh { awaited[cell.key] = (cell, submission.task(of: cell.key)!, submission) }
        }
        guard wait else {
            events.log("submitted; the cluster runs on without this process. See progress with: harness status --run-dir \(dir.path); "
                       + "results reach \(database) by the collect job, or now with: harness collect --run-dir \(dir.path) --db \(database)")
            return
        }
        for cell in awaited.values.map(\.cell) { events.started(cell) }
        try watch(awaited, in: dir, events: events)
    }

    /// Submits the source job (if a source network is missing), the cells' array and the collect job.
    func submit(_ cells: [Cell], of plan: ComparisonPlan, in dir: RunDirectory, number: Int, log: (String) -> Void) throws -> SlurmSubmission {
        let tasks = stride(from: 0, to: cells.count, by: cellsPerTask).map { Array(cells[$0..<min($0 + cellsPerTask, cells.count)]) }
        // The tasks read their cells from this record, so it is written before they can start.
        var submission = SlurmSubmission(number: number, sourceJob: nil, arrayJob: "", collectJob: nil, tasks: tasks, submitted: Date())
        try dir.record(submission)
        func script(_ name: String, _ arguments: [String]) throws -> String {
            let path = dir.path + "/submission-\(number).\(name).sh"
            let command = ([executable] + arguments).map(Self.quoted).joined(separator: " ")
            try "#!/bin/sh\n# harness: \(name) of submission \(number) of \(dir.path)\nexec \(command)\n"
                .write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let missing = plan.sources.filter { !$0.exists }
        if !missing.isEmpty {
            submission.sourceJob = try Slurm.submit(script: try script("sources", ["slurm-task", "--run-dir", dir.path, "--sources", "--threads", "\(sourceThreads)"]),
                                                 options: slurmArguments + ["--job-name=harness-sources", "--output=\(dir.logsFolder)/sources-%j.out",
                                                                            "--cpus-per-task=\(sourceThreads)"])
            log("Slurm job \(submission.sourceJob!): train \(missing.map(\.role.networkName).joined(separator: " and ")) network(s) into \(missing[0].training?.cacheDirectory ?? "the cache")")
        }
        let dependency = submission.sourceJob.map { ["--dependency=afterok:\($0)", "--kill-on-invalid-dep=yes"] } ?? []
        submission.arrayJob = try Slurm.submit(
            script: try script("cells", ["slurm-task", "--run-dir", dir.path, "--submission", "\(number)", "--timeout", "\(timeout)"]),
            options: slurmArguments + dependency + ["--job-name=harness-cells", "--array=0-\(tasks.count - 1)",
                                                    "--output=\(dir.logsFolder)/cells-%A_%a.out", "--cpus-per-task=\(cpusPerTask)"])
        // The collect job only when nobody waits: the waiting coordinator stores the results
        // itself, and two hosts writing one SQLite file (WAL needs one host) is what to avoid.
        if !wait {
            submission.collectJob = try Slurm.submit(script: try script("collect", ["collect", "--run-dir", dir.path, "--db", database]), options: slurmArguments + [
            "--dependency=afterany:\(submission.arrayJob)", "--job-name=harness-collect", "--output=\(dir.logsFolder)/collect-%j.out", "--cpus-per-task=1"])
        }
        try dir.record(submission)
        log("Slurm job array \(submission.arrayJob): \(cells.count) cells in \(tasks.count) tasks of up to \(cellsPerTask)"
            + (submission.sourceJob.map { ", after job \($0)" } ?? "") + (submission.collectJob.map { "; collect job \($0)" } ?? "")
            + "; files in \(dir.path)")
        return submission
    }

    /// Reports each awaited cell when its result file appears; a cell whose task left the queue
    /// without writing it was lost with the task, and becomes a failed row saying how the task ended.
    func watch(_ awaited: [String: (cell: Cell, task: String, submission: SlurmSubmission)], in dir: RunDirectory, events: CellEvents) throws {
        var remaining = awaited
        var causes: [String: String] = [:]  // per task: its cells share how it ended
        while !remaining.isEmpty {
            let queued = try Slurm.queued(Array(Set(remaining.values.map(\.submission.arrayJob))))
            // Read after asking the queue: a task that ended in between has written its files.
            for (key, entry) in remaining {
                if let result = dir.result(for: key) {
                    events.finished(entry.cell, result)
                    remaining[key] = nil
                } else if !Self.isQueued(entry.task, in: queued) {
                    if causes[entry.task] == nil { causes[entry.task] = lostCause(task: entry.task, submission: entry.submission, in: dir) }
                    var result = CellResult.failure(key, causes[entry.task]!, seconds: 0)
                    result.lost = true
                    events.finished(entry.cell, result)
                    remaining[key] = nil
                }
            }
            if !remaining.isEmpty { Thread.sleep(forTimeInterval: pollSeconds) }
        }
    }

    /// Whether squeue still lists the array task "12_3", on its own or within a pending range.
    static func isQueued(_ task: String, in queued: [String: String]) -> Bool {
        queued[task] != nil || pendingAsRange(task, in: queued)
    }

    /// squeue -r lists pending array tasks one by one, but an array whose tasks have not been
    /// split out yet can still show as "12_[3-7]".
    static func pendingAsRange(_ task: String, in queued: [String: String]) -> Bool {
        let parts = task.split(separator: "_")
        guard parts.count == 2, let index = Int(parts[1]) else { return false }
        return queued.keys.contains { key in
            guard key.hasPrefix(parts[0] + "_["), key.hasSuffix("]") else { return false }
            let inner = key.dropFirst(parts[0].count + 2).dropLast()
            return inner.split(separator: ",").contains { range in
                let ends = range.split(separator: "-").compactMap { Int($0.split(separator: "%")[0]) }
                return ends.count == 1 ? ends[0] == index : ends.count == 2 && (ends[0]...ends[1]).contains(index)
            }
        }
    }

    /// Why the cells of a task that ended before them are lost: how the task ended, a failed
    /// source job, and the end of the task's log.
    func lostCause(task: String, submission: SlurmSubmission, in dir: RunDirectory) -> String {
        var cause = "lost with Slurm array " + Slurm.endedEarly(task)
        if let source = submission.sourceJob, let ending = Slurm.ending(of: source), !ending.hasPrefix("COMPLETED") {
            cause += "; the source-network job \(source) ended \(ending): " + Self.tail(of: dir.logsFolder + "/sources-\(source).out")
        }
        let parts = task.split(separator: "_")
        let log = parts.count == 2 ? Self.tail(of: dir.logsFolder + "/cells-\(parts[0])_\(parts[1]).out") : ""
        if !log.isEmpty { cause += "; its log ends: " + log }
        return cause + ". Running the comparison again runs it again"
    }

    /// The last lines of a log file, in one line.
    static func tail(of path: String, lines: Int = 3) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").suffix(lines).joined(separator: " | ")
    }

    static func quoted(_ word: String) -> String {
        word.allSatisfy { $0.isLetter || $0.isNumber || "/._-=:,".contains($0) } ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// What an array task and the source job do on their node.
public enum SlurmTask {
    /// Trains the plan's missing source networks into the shared cache.
    public static func trainSources(in dir: RunDirectory, decoders: DecoderProcesses?, log: @escaping (String) -> Void) throws {
        for source in try dir.plan().sources { try source.obtain(decoders: decoders, log: log) }
    }

    /// Runs task `index` of a submission: each of its cells without a result file yet, in a
    /// worker process, its result written the moment it finishes.
    public static func runCells(in dir: RunDirectory, submission number: Int, task index: Int, executable: String, timeout: Double,
                                log: @escaping @Sendable (String) -> Void) throws {
        guard let submission = dir.submissions().first(where: { $0.number == number }) else {
            throw ComparisonError("\(dir.path) has no submission \(number)")
        }
        guard submission.tasks.indices.contains(index) else { throw ComparisonError("submission \(number) has no task \(index)") }
        let done = dir.results()
        let cells = submission.tasks[index].filter { done[$0.key] == nil }
        log("task \(index) of submission \(number): \(cells.count) cells to run")
        let writeError = LockedValue<Error?>(nil)
        WorkerProcesses(executable: executable, jobs: 1, timeout: timeout).run(cells, started: { log("running \($0.configuration) seed \($0.seed)") }) { cell, result in
            do { try dir.write(result) } catch { writeError.update { if $0 == nil { $0 = error } } }
            log("\(cell.configuration) seed \(cell.seed): \(result.status.rawValue)" + (result.error.map { " (\($0))" } ?? ""))
        }
        if let error = writeError.value { throw error }
    }
}

/// Where each cell of a run directory stands: `harness status`.
public struct RunStatus: Sendable {
    public enum State: String, CaseIterable, Sendable { case done, failed, running, pending, lost, unsubmitted = "not submitted" }
    public var cells: [(cell: Cell, state: State, detail: String?)]

    public init(_ dir: RunDirectory) throws {
        let plan = try dir.plan()
        let submissions = dir.submissions()
        let results = dir.results()
        let queued = try Slurm.queued(submissions.map(\.arrayJob))
        var all = plan.cells
        var keys = Set(all.map(\.key))
        for cell in submissions.flatMap({ $0.tasks.joined() }) where keys.insert(cell.key).inserted { all.append(cell) }  // refits
        cells = all.map { cell in
            if let r = results[cell.key] {
                return (cell, r.status == .ok ? .done : .failed, r.error)
            }
            guard let s = submissions.last(where: { $0.task(of: cell.key) != nil }), let task = s.task(of: cell.key) else { return (cell, .unsubmitted, nil) }
            if let state = queued[task] ?? (SlurmLauncher.pendingAsRange(task, in: queued) ? "PENDING" : nil) {
                return (cell, state == "RUNNING" ? .running : .pending, "task \(task) \(state.lowercased())")
            }
            return (cell, .lost, Slurm.endedEarly(task))
        }
    }

    public func count(_ state: State) -> Int { cells.filter { $0.state == state }.count }

    /// "12 cells: 7 done, 1 failed, 2 running, 2 pending".
    public var summary: String {
        "\(cells.count) cells: " + State.allCases.compactMap { s in count(s) > 0 ? "\(count(s)) \(s.rawValue)" : nil }.joined(separator: ", ")
    }
}
