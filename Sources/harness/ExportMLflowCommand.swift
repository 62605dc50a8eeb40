// `harness export-mlflow URI`: log the comparisons of a results database to an MLflow tracking
// server (MLflowExport, in Core). Also what `compare --mlflow URI` runs when its cells are done.
import ArgumentParser
import Foundation
import HarnessCore

struct ExportMLflow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-mlflow",
        abstract: "Log comparisons to an MLflow tracking server: a parent run per comparison, a child run per cell.",
        discussion: """
            Each cell (strategy x seed x trial) becomes a child run with its parameters, test and validation \
            accuracy, macro-F1, wall time and training curve (per-epoch loss as steps); the comparison's run \
            carries the setting, the leaderboard as metrics, provenance as tags, and the HTML report, the \
            leaderboard and the JSON document as artifacts. Running it again logs only what the server lacks. \
            Credentials: MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD. \
            Exit status \(HarnessExit.trackerFailed.rawValue) means the server could not be reached or refused; the database is never changed.
            """)

    @Argument(help: ArgumentHelp("The tracking server, e.g. http://127.0.0.1:5000 (mlflow server's address).", valueName: "uri"))
    var uri: String

    @OptionGroup var results: StoredResults

    @OptionGroup var choice: RunChoice

    @OptionGroup var tracking: MLflowOptions

    @Option(help: "The configuration others are measured against, in the leaderboard logged.")
    var baseline: String = "scratch"

    func run() throws {
        let database = try results.open()
        let cells = try choice.cells(in: database)
        guard !cells.isEmpty else { throw CLIError("\(results.db) holds no cells yet") }
        try tracking.export(cells, runs: try database.runs(), to: uri, database: results.db, baseline: baseline)
    }
}

/// The MLflow choices `export-mlflow` and `compare --mlflow` share.
struct MLflowOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The MLflow experiment the runs go to (created if missing).", valueName: "name"))
    var mlflowExperiment: String = "harness"

    /// Checks the address before any work, so a typo fails in a second, not after a comparison.
    static func check(_ uri: String) throws {
        do { _ = try MLflowClient(uri: uri) } catch { throw ValidationError("\(error)") }
    }

    /// Logs `cells`; a failure names the server, keeps every result, and says how to retry.
    func export(_ cells: [StoredCell], runs: [String: [Provenance]], to uri: String, database: String, baseline: String) throws {
        let client: MLflowClient
        do { client = try MLflowClient(uri: uri) } catch { throw ValidationError("\(error)") }
        var exporter = MLflowExport(client: client, experiment: mlflowExperiment)
        exporter.baseline = baseline
        exporter.log = note
        do {
            let done = try exporter.export(cells, provenance: runs)
            note("MLflow: \(done.comparisons) comparison\(done.comparisons == 1 ? "" : "s") in experiment '\(mlflowExperiment)' at \(uri): "
                 + "\(done.cellsLogged) cell runs logged, \(done.cellsAlreadyThere) already there, \(done.parentsCreated) comparison runs created; "
                 + "see \(done.page)")
        } catch {
            let ids = Set(cells.map(\.cell.setting.id)).sorted()
            note("Error: logging to MLflow failed: \(error)")
            note("nothing is lost: every result stays in \(database); once the server answers, log them with: "
                 + "harness export-mlflow \(uri) --db \(database)" + (ids.count == 1 ? " --run \(ids[0])" : "")
                 + (mlflowExperiment == "harness" ? "" : " --mlflow-experiment \(mlflowExperiment)"))
            throw ExitCode(HarnessExit.trackerFailed.rawValue)
        }
    }
}
