// `harness compare`: the main job. Which transfer strategy wins on this data, by how much, and
// can we believe it? Source networks are trained once and cached; every (strategy, seed) cell
// runs in its own worker process and is stored the moment it finishes; the leaderboard is drawn
// from the database, so an interrupted comparison resumes where it stopped.
import ArgumentParser
import Foundation
import HarnessCore

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare transfer strategies side by side and print a leaderboard.",
        discussion: """
            Example: harness compare --strategies freeze3,finetune,svm-codes
                     harness compare --source-model net.safetensors --target ./photos@gray
            A source network is trained on the source classes (A) and cached, or given with \
            --source-model; each strategy then transfers it to the target classes (B) at each seed, \
            in a worker process of its own. \
            The scratch baseline is added unless --no-baseline. Exit status: \(HarnessExit.table).
            """)

    @Option(help: ArgumentHelp("Comma-separated configurations from strategies.json.", valueName: "names"), completion: PluginOptions.strategyCompletion)
    var strategies: String = "freeze3,finetune,svm-codes"

    @Option(help: ArgumentHelp("Leaderboard format: \(LeaderboardFormat.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "format"),
            completion: .list(LeaderboardFormat.allCases.map(\.rawValue)))
    var format: String = "table"

    @Option(help: "The configuration every other is measured against (default: scratch; source-only with --target-labels, where the target's few or no labels leave scratch little or nothing to train on).")
    var baseline: String?

    @Flag(help: "Do not add the baseline to the comparison.")
    var noBaseline = false

    @OptionGroup var comparison: ComparisonOptions

    @Option(help: ArgumentHelp("Also log the comparison to this MLflow tracking server when its cells are done (as harness export-mlflow does); "
                               + "a server that cannot be reached loses nothing: the results stay in --db.", valueName: "uri"))
    var mlflow: String?

    @OptionGroup var tracking: MLflowOptions

    func validate() throws {
        guard LeaderboardFormat(rawValue: format) != nil else {
            throw ValidationError("--format takes \(LeaderboardFormat.allCases.map(\.rawValue).joined(separator: ", ")), not '\(format)'")
        }
        if strategies.split(separator: ",").isEmpty { throw ValidationError("--strategies names at least one configuration") }
        if let mlflow { try MLflowOptions.check(mlflow) }
        if mlflow == nil && tracking.mlflowExperiment != "harness" { throw ValidationError("--mlflow-experiment goes with --mlflow URI") }
    }

    func run() throws {
        // Strategies first: a typo should fail in a second, not after training a network.
        var names = strategies.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let baseline = self.baseline ?? (comparison.targetLabels != nil ? "source-only" : "scratch")
        if !noBaseline && !names.contains(where: { $0.lowercased() == baseline.lowercased() }) { names.append(baseline) }
        // Names as strategies.json spells them (Finetune is finetune), each once.
        var bindings: [StrategyBinding] = [], seen = Set<String>()
        for b in try comparison.plugins.bindings(names) where seen.insert(b.configuration.name).inserted { bindings.append(b) }
        names = bindings.map(\.configuration.name)
        let baselineName = names.first { $0.lowercased() == baseline.lowercased() } ?? baseline
        let (_, cells) = try comparison.run(bindings)
        if comparison.noWait { return }  // submitted to Slurm; the leaderboard comes when the cells have run
        let board = Leaderboard(cells: cells, baseline: baselineName, order: names, expectedSeeds: comparison.seeds)
        print(board.render(LeaderboardFormat(rawValue: format)!))
        if !board.isTuned {
            note("untuned: each strategy ran at its default configuration. To choose hyperparameters on validation images: "
                 + UserCommand.current.setting("--trials", to: "8"))
        }
        if let folder = comparison.saveModels { noteSavedModels(cells, folder: folder) }
        note("results in \(comparison.db); redraw with: harness leaderboard --db \(comparison.db)")
        if let mlflow {
            let database = try ResultsDatabase(path: comparison.db)
            try tracking.export(cells, runs: try database.runs(), to: mlflow, database: comparison.db, baseline: baselineName)
        }
        if board.hasFailures { throw ExitCode(HarnessExit.cellsFailed.rawValue) }
    }
}

/// The user's own command, to suggest a follow-up that keeps every option they gave.
struct UserCommand {
    var arguments: [String]

    static var current: UserCommand { UserCommand(arguments: Array(CommandLine.arguments.dropFirst())) }

    /// This command with `flag` given `value` (replacing the value it had), as a shell reads it.
    func setting(_ flag: String, to value: String) -> String {
        var kept: [String] = [], i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == flag { i += 2; continue }
            if a.hasPrefix(flag + "=") { i += 1; continue }
            kept.append(a)
            i += 1
        }
        return (["harness"] + kept + [flag, value]).map(Provenance.shellQuoted).joined(separator: " ")
    }
}

/// What --save-models kept: how many models where, and why the cells without one have none.
func noteSavedModels(_ cells: [StoredCell], folder: String) {
    let ok = cells.filter { $0.result.status == .ok }
    let saved = ok.filter { $0.result.modelFile != nil }
    let reasons = Dictionary(grouping: ok.compactMap { c in c.result.modelNote.map { (c.cell.configuration, $0) } }, by: \.0)
    note("--save-models: \(saved.count) of \(ok.count) finished cells have a model in \(folder)"
         + (saved.isEmpty ? "" : "; harness leaderboard --format trials names each cell's in its model_file column"))
    if let first = saved.first, let target = first.cell.setting.target {
        let sample = first.cell.setting.evalPerClass.map { " --test-per-class \($0) --seed 0" } ?? ""
        note("  scored as its cell was: harness eval --model \(Provenance.shellQuoted(first.result.modelFile!)) --target \(Provenance.shellQuoted(target.description))\(sample)")
    }
    for (configuration, notes) in reasons.sorted(by: { $0.key < $1.key }) {
        note("  \(configuration): \(notes[0].1)")
    }
}

/// Cells done, running and failed, with an estimate of the time left (CellETA). Called from the
/// executor's reporting queue only, one call at a time.
final class CellProgress: @unchecked Sendable {
    private var failed = 0, running = 0
    private var eta = CellETA(total: 0, jobs: 1)
    private let jobs: Int

    init(jobs: Int) { self.jobs = jobs }

    /// A phase of `total` cells begins.
    func begin(_ total: Int) {
        (failed, running, eta) = (0, 0, CellETA(total: total, jobs: jobs))
    }

    func started(_ cell: Cell) {
        running += 1
    }

    func finished(_ cell: Cell, _ result: CellResult) {
        running -= 1
        eta.finished(seconds: result.seconds)
        if result.status == .failed { failed += 1 }
        let outcome = result.metrics.map { m in
            String(format: "%.2f%%", m.accuracy * 100) + (result.validation.map { String(format: " (val %.2f%%)", $0.accuracy * 100) } ?? "")
        } ?? "FAILED: \(result.error ?? "")"
        let which = cell.refit == true ? " refit" : cell.searched == nil ? "" : " trial \(cell.trial ?? 0) [\(cell.chosenSummary)]"
        note("[\(eta.done)/\(eta.total)] \(cell.configuration) seed \(cell.seed)\(which): \(outcome) (\(String(format: "%.1f", result.seconds))s)  "
             + "running \(running), failed \(failed), ETA \(duration(eta.remainingSeconds ?? 0))")
    }
}
