// The cluster workflow's commands besides `compare --launcher slurm`: `collect` ingests a run
// directory's result files into a database, `status` says where each cell stands, and
// `slurm-task` is what a Slurm job runs on its node (hidden: the launcher writes its scripts).
import ArgumentParser
import Foundation
import HarnessCore

struct Collect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Store a Slurm run's finished cells in the results database (safe to run at any time, as often as wanted).")

    @Option(help: ArgumentHelp("The run directory (printed by compare --launcher slurm).", valueName: "dir"))
    var runDir: String

    @Option(help: ArgumentHelp("The results database (SQLite).", valueName: "file"))
    var db: String = ResultsDatabase.defaultPath

    func run() throws {
        let dir = RunDirectory(path: runDir)
        _ = try dir.plan()
        let stored = try dir.collect(into: try ResultsDatabase(path: db))
        note("collected \(stored.count) new cell result(s) from \(dir.path) into \(db)")
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show which cells of a Slurm run are done, running, pending, failed or lost.",
        discussion: "Run the same compare command again to wait for the cells in flight and resubmit the missing and lost ones.")

    @Option(help: ArgumentHelp("The run directory (printed by compare --launcher slurm).", valueName: "dir"))
    var runDir: String

    @Flag(help: "List every cell, not only the failed and lost ones.")
    var all = false

    func run() throws {
        let status = try RunStatus(RunDirectory(path: runDir))
        print(status.summary)
        for (cell, state, detail) in status.cells where all || state == .failed || state == .lost {
            print("  \(state.rawValue): \(cell.configuration) seed \(cell.seed)" + (cell.trial.map { $0 > 0 ? " trial \($0)" : "" } ?? "")
                  + (detail.map { " - \($0)" } ?? ""))
        }
    }
}

struct SlurmTaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slurm-task", abstract: "Run a Slurm job's share of a comparison (written into the job scripts by --launcher slurm).",
        shouldDisplay: false)

    @Option(help: "The run directory.")
    var runDir: String

    @Flag(help: "Train the plan's missing source networks.")
    var sources = false

    @Option(parsing: .unconditional, help: "Run the cells of this submission's task ($SLURM_ARRAY_TASK_ID, or --task).")
    var submission: Int?

    @Option(parsing: .unconditional, help: "The array task (default: $SLURM_ARRAY_TASK_ID).")
    var task: Int?

    @Option(parsing: .unconditional, help: "Seconds before a cell is killed as hung.")
    var timeout: Double = 1800

    @OptionGroup var threading: ThreadOptions
    var threads: Int { threading.threads }

    func run() throws {
        let dir = RunDirectory(path: runDir)
        if sources {
            EngineThreads.set(threads)
            try SlurmTask.trainSources(in: dir, decoders: Installation.decoders, log: note)
        } else if let submission {
            guard let index = task ?? ProcessInfo.processInfo.environment["SLURM_ARRAY_TASK_ID"].flatMap(Int.init) else {
                throw ValidationError("no task index: pass --task or run inside a Slurm array job")
            }
            guard let executable = Installation.executablePath else { throw CLIError("cannot locate the harness binary to start workers") }
            try SlurmTask.runCells(in: dir, submission: submission, task: index, executable: executable, timeout: timeout, log: { note($0) })
        } else {
            throw ValidationError("slurm-task needs --sources or --submission N")
        }
    }
}
