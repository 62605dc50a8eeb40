// Logging comparisons to MLflow (issue 28, item 5): each comparison a parent run, each cell
// (strategy x seed x trial) a child run under it, with the fields of the results export as
// parameters, metrics and tags, the training curve as steps, and the HTML report, the leaderboard
// and the JSON document as the parent's artifacts. The results database stays the source of
// truth: nothing here writes to it, a server that is down loses nothing, and exporting again logs
// only what the server lacks (runs are found by their comparison id and cell key tags).
import Foundation
import HarnessTracking

public struct MLflowExport {
    public var client: MLflowClient
    public var experiment: String
    public var baseline = "scratch"
    public var log: (String) -> Void = { _ in }

    public init(client: MLflowClient, experiment: String = "harness") {
        self.client = client
        self.experiment = experiment
    }

    /// What an export did, for its closing line.
    public struct Outcome: Sendable {
        public var experimentID = ""
        public var comparisons = 0
        public var parentsCreated = 0
        public var cellsLogged = 0
        public var cellsAlreadyThere = 0
        /// Comparison id -> its parent run's id.
        public var parents: [String: String] = [:]
        /// Where the MLflow UI shows the experiment.
        public var page = ""
    }

    /// Tag keys harness sets, by which a later export finds what is already there.
    enum Tag {
        static let role = "harness.role", comparison = "harness.comparison_id", cell = "harness.cell_key", selected = "harness.selected"
        static let status = "harness.status"
    }

    /// Logs the comparisons `cells` belong to (one parent run each) and every cell not yet logged.
    public func export(_ cells: [StoredCell], provenance: [String: [Provenance]]) throws -> Outcome {
        var outcome = Outcome()
        outcome.experimentID = try client.experimentID(named: experiment)
        outcome.page = client.base.absoluteString + "/#/experiments/\(outcome.experimentID)"
        var results = ResultsExport(cells: cells, baseline: baseline)
        results.provenance = provenance
        for board in results.boards {
            guard let setting = board.setting else { continue }
            try export(board, setting: setting, provenance: provenance[setting.key] ?? [], into: &outcome)
            outcome.comparisons += 1
        }
        return outcome
    }

    private func export(_ board: Leaderboard, setting: ComparisonSetting, provenance: [Provenance], into outcome: inout Outcome) throws {
        let id = setting.id, experimentID = outcome.experimentID
        let there = try client.searchRuns(experiment: experimentID, filter: "tags.`\(Tag.comparison)` = '\(id)'")
        let cells = board.trialCells
        let times = cells.map { Self.times($0.stored) }
        var parent = there.first { $0.tags[Tag.role] == "comparison" }
        let created = parent == nil
        if created {
            let last = provenance.last
            var tags = [(Tag.role, "comparison"), (Tag.comparison, id), ("harness.setting_key", setting.key), ("mlflow.source.name", "harness"),
                        ("mlflow.note.content", board.caption)]
            if let last {
                tags += [("harness.command", last.command), ("harness.started_at", last.startedAt), ("harness.version", last.harnessVersion),
                         ("harness.onednn", last.onednn), ("harness.processor", last.processor)]
                if let commit = last.commit { tags.append(("mlflow.source.git.commit", commit)) }
            }
            let made = try client.createRun(experiment: experimentID, name: "comparison \(id): \(setting.target?.description ?? setting.datasetName)",
                                            start: times.map(\.start).min() ?? Date(), tags: tags)
            try client.log(run: made.id, params: setting.exportObject.flattened("").filter { $0.1.csv != "" }.map { ($0.0, $0.1.csv) })
            parent = made
            outcome.parentsCreated += 1
            log("MLflow: comparison \(id) is run \(made.id)")
        }
        guard let parent else { return }
        outcome.parents[id] = parent.id

        // A cell run gets its key tag last, once its numbers are in: one without it is what an
        // export cut short left behind, and goes, to be logged again whole.
        for stray in there where stray.tags[Tag.role] == "cell" && stray.tags[Tag.cell] == nil {
            try client.delete(run: stray.id)
            log("MLflow: deleted run \(stray.id), a cell an earlier export did not finish logging")
        }
        // The cells: new ones logged whole; ones already there only get selection's verdict when
        // it changed (more trials can change which one a seed keeps). A cell that failed then and
        // has run again since (--retry-failed keeps its key) is logged again in place of the old run.
        let logged = Dictionary(there.compactMap { r in r.tags[Tag.cell].map { ($0, r) } }, uniquingKeysWith: { a, _ in a })
        var added = 0
        for (t, time) in zip(cells, times) {
            let key = t.stored.cell.key
            if let run = logged[key] {
                if run.tags[Tag.status] == t.stored.result.status.rawValue {
                    outcome.cellsAlreadyThere += 1
                    if run.tags[Tag.selected] != "\(t.selected)" { try client.log(run: run.id, tags: [(Tag.selected, "\(t.selected)")]) }
                    continue
                }
                try client.delete(run: run.id)
                log("MLflow: \(t.stored.cell.configuration) seed \(t.stored.cell.seed) is now \(t.stored.result.status.rawValue); its run \(run.id) is replaced")
            }
            try logCell(t, parent: parent.id, comparison: id, time: time, experiment: experimentID)
            added += 1
        }
        outcome.cellsLogged += added
        guard created || added > 0 else { return }

        // The leaderboard as the parent's metrics (one step per export that added cells), and the
        // report, leaderboard and JSON document as its artifacts.
        let ok = cells.filter { $0.stored.result.status == .ok }.count
        var metrics: [MLflowClient.Metric] = []
        for row in board.rows {
            for (name, value) in board.exportFields(row) {
                guard ["accuracy_mean", "accuracy_ci95", "accuracy_sd", "delta_vs_baseline", "p_value", "p_holm", "validation_mean", "mean_seconds"].contains(name),
                      let x = value.number else { continue }
                metrics.append(.init("\(name)/\(row.configuration)", x, step: ok))
            }
        }
        try client.log(run: parent.id, metrics: metrics, tags: [("harness.cells_ok", "\(ok)"), ("harness.cells_failed", "\(cells.count - ok)")])
        try uploadArtifacts(board, setting: setting, provenance: provenance, to: parent)
        try client.end(run: parent.id, status: .finished, at: times.map(\.end).max() ?? Date())
    }

    private func logCell(_ t: Leaderboard.TrialCell, parent: String, comparison: String, time: (start: Date, end: Date), experiment: String) throws {
        let cell = t.stored.cell, result = t.stored.result
        let name = "\(cell.configuration) seed \(cell.seed)" + ((cell.trial ?? 0) > 0 ? " trial \(cell.trial!)" : "") + (cell.refit == true ? " refit" : "")
        var tags = [("mlflow.parentRunId", parent), (Tag.role, "cell"), (Tag.comparison, comparison),
                    (Tag.selected, "\(t.selected)"), (Tag.status, result.status.rawValue), ("harness.protocol", "\(Cell.protocolVersion)"),
                    ("harness.plugin_version", cell.pluginVersion), ("harness.plugin_file", cell.pluginPath)]
        if let hash = cell.pluginHash { tags.append(("harness.plugin_hash", hash)) }
        if let error = result.error { tags.append(("harness.error", error)) }
        if let file = result.modelFile { tags.append(("harness.model_file", file)) }
        let run = try client.createRun(experiment: experiment, name: name, start: time.start, tags: tags)

        var params: [(String, String)] = [("strategy", cell.configuration), ("plugin", cell.strategy), ("seed", "\(cell.seed)"),
                                          ("trial", "\(cell.trial ?? 0)"), ("refit", "\(cell.refit == true)"), ("source_network", cell.source.rawValue)]
        params += cell.parameterOrder.map { ("parameter.\($0)", cell.parameters[$0].map { ExportValue.parameter($0).csv } ?? "") }
        params += Hyperparameter.allCases.map { ("training.\($0.rawValue)", ExportValue.parameter(cell.training[$0]).csv) }
        params += [("dataset", cell.setting.datasetName), ("source", cell.setting.sourceModel ?? cell.setting.source?.description ?? ""),
                   ("target", cell.setting.target?.description ?? ""), ("target_per_class", cell.setting.targetPerClass.map(String.init) ?? "all")]
        var metrics: [MLflowClient.Metric] = [.init("seconds", result.seconds), .init("trainable_parameters", Double(result.trainableParameters))]
        if let m = result.metrics { metrics += [.init("test_accuracy", m.accuracy), .init("test_macro_f1", m.macroF1)] }
        if let v = result.validation { metrics += [.init("validation_accuracy", v.accuracy), .init("validation_macro_f1", v.macroF1)] }
        // The curve: every epoch of every network the strategy trained, in order, as steps.
        for (step, e) in result.curve.enumerated() {
            metrics += [.init("train_loss", e.loss, step: step), .init("train_accuracy", e.trainAccuracy, step: step),
                        .init("learning_rate", Double(e.learningRate), step: step)]
            if let v = e.validationAccuracy { metrics.append(.init("epoch_validation_accuracy", v, step: step)) }
        }
        try client.log(run: run.id, params: params, metrics: metrics, at: time.end)
        try client.log(run: run.id, tags: [(Tag.cell, cell.key)])
        try client.end(run: run.id, status: result.status == .ok ? .finished : .failed, at: time.end)
    }

    /// The report (HTML and its figures), the leaderboard in Markdown and the comparison's JSON.
    private func uploadArtifacts(_ board: Leaderboard, setting: ComparisonSetting, provenance: [Provenance], to run: MLflowClient.Run) throws {
        let folder = NSTemporaryDirectory() + "harness-mlflow-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var one = ResultsExport(boards: [board])
        one.provenance = [setting.key: provenance]
        let cells = board.trialCells.map(\.stored)
        _ = try ComparisonReport(cells: cells, baseline: baseline).write(to: folder + "/report")
        for file in try FileManager.default.contentsOfDirectory(atPath: folder + "/report").sorted() {
            try client.upload(try Data(contentsOf: URL(fileURLWithPath: folder + "/report/" + file)), as: "report/" + file, to: run)
        }
        try client.upload(Data(one.render(.markdown).utf8), as: "leaderboard.md", to: run)
        try client.upload(Data(one.render(.json).utf8), as: "results.json", to: run)
    }

    /// When a cell ran: its end is when it was stored, its start that less its seconds.
    static func times(_ stored: StoredCell) -> (start: Date, end: Date) {
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let end = parser.date(from: stored.finishedAt) ?? ISO8601DateFormatter().date(from: stored.finishedAt) ?? Date()
        return (end.addingTimeInterval(-stored.result.seconds), end)
    }
}
