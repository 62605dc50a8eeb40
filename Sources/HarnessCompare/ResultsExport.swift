// Every comparison of a results database in the forms pipelines read (issue 28, item 1): one JSON
// document (an object whose `comparisons` array holds each comparison's id, setting, rows and
// trial cells), JSON Lines (one leaderboard row per line), CSV (one header; every row carries its
// comparison's id and setting), and the long per-cell CSV (`trials`: one row per strategy x seed
// x trial). One schema for all of them: a row's fields are named once, in snake_case, here; JSON
// writes numbers as numbers, lists as arrays and the chosen hyperparameters as objects; CSV
// flattens lists with "; " and objects as "name=value, ...". A database shared by two comparisons
// (the README invites it) gives one valid document, not two back to back.
import Foundation
import HarnessEngine
import HarnessMetrics
import HarnessSupport

/// A value in an export: what JSON can hold, with object fields in a fixed order.
public indirect enum ExportValue: Sendable {
    case null, bool(Bool), int(Int), double(Double), string(String)
    case array([ExportValue]), object([(String, ExportValue)])

    static func number(_ x: Double?) -> ExportValue { x.map { $0.isFinite ? .double($0) : .null } ?? .null }
    static func text(_ s: String?) -> ExportValue { s.map { $0.isEmpty ? .null : .string($0) } ?? .null }
    static func list(_ xs: [String]) -> ExportValue { .array(xs.map(ExportValue.string)) }
    public static func parameter(_ v: ParameterValue) -> ExportValue {
        switch v {
        case let .int(i): return .int(i)
        case let .double(x): return .number(x)
        case let .bool(b): return .bool(b)
        case let .string(s): return .string(s)
        }
    }

    /// For JSONSerialization (NSNull for null; non-finite numbers are null already).
    public var json: Any {
        switch self {
        case .null: return NSNull()
        case let .bool(b): return b
        case let .int(i): return i
        case let .double(x): return x
        case let .string(s): return s
        case let .array(xs): return xs.map(\.json)
        case let .object(fields): return Dictionary(fields.map { ($0.0, $0.1.json) }, uniquingKeysWith: { a, _ in a })
        }
    }

    /// Nested objects as dotted keys ("training.lr"), for stores of flat key-value pairs (MLflow).
    public func flattened(_ prefix: String) -> [(String, ExportValue)] {
        guard case let .object(fields) = self else { return [(prefix, self)] }
        return fields.flatMap { $0.1.flattened(prefix.isEmpty ? $0.0 : prefix + "." + $0.0) }
    }

    /// The number, when this is one.
    public var number: Double? {
        switch self {
        case let .int(i): return Double(i)
        case let .double(x): return x
        default: return nil
        }
    }

    /// One CSV field.
    public var csv: String {
        switch self {
        case .null: return ""
        case let .bool(b): return b ? "true" : "false"
        case let .int(i): return "\(i)"
        case let .double(x): return "\(x)"
        case let .string(s): return s
        case let .array(xs): return xs.map(\.csv).joined(separator: "; ")
        case let .object(fields): return fields.map { "\($0.0)=\($0.1.csv)" }.joined(separator: ", ")
        }
    }
}

extension ComparisonSetting {
    /// The comparison's id in exports and in `harness runs`: the start of its key, which is what
    /// groups its cells in the database.
    public var id: String { Self.id(ofKey: key) }

    /// A comparison's id from its setting key: the one place the id's length is decided.
    public static func id(ofKey key: String) -> String { String(key.prefix(12)) }

    /// What a row needs to say which comparison it belongs to, flat (CSV and JSON Lines).
    var exportColumns: [(String, ExportValue)] {
        [("comparison_id", .string(id)), ("dataset", .string(datasetName)), ("split", .string(splitName)),
         ("source", .text(sourceModel ?? source?.description ?? "classes \(sourceClasses.map(String.init).joined(separator: ","))")),
         ("target", .text(target?.description ?? "classes \(targetClasses.map(String.init).joined(separator: ","))")),
         ("target_per_class", targetPerClass.map(ExportValue.int) ?? .null), ("eval_per_class", evalPerClass.map(ExportValue.int) ?? .null),
         ("precision", .string(training.precision.rawValue))]
    }

    /// The whole setting, as JSON's comparison object holds it.
    public var exportObject: ExportValue {
        .object([("dataset", .string(datasetName)), ("dataset_fingerprint", .string(datasetFingerprint)), ("split", .string(splitName)),
                 ("source_classes", .array(sourceClasses.map(ExportValue.int))), ("target_classes", .array(targetClasses.map(ExportValue.int))),
                 ("target_class_names", targetClassNames.map(ExportValue.list) ?? .null),
                 ("source", .text(source?.description)), ("source_model", .text(sourceModel)), ("target", .text(target?.description)),
                 ("input_shape", .text(inputShape?.description)),
                 ("target_per_class", targetPerClass.map(ExportValue.int) ?? .null), ("eval_per_class", evalPerClass.map(ExportValue.int) ?? .null),
                 ("validation", .text(validation?.description)), ("early_stopping", .bool(earlyStopping == true)),
                 ("training", .object(Hyperparameter.allCases.map { ($0.rawValue, ExportValue.parameter(training[$0])) }))])
    }
}

extension Leaderboard {
    /// The searched hyperparameters each seed's selected trial used: [{"seed": 1, "lr": 0.0123}, ...].
    func chosenBySeed(_ configuration: String) -> ExportValue {
        let seeds = (selection.choices[configuration] ?? [:]).sorted { $0.key < $1.key }
        let picked: [ExportValue] = seeds.compactMap { seed, choice in
            guard let cell = choice.selected?.cell, let searched = cell.searched, !searched.isEmpty else { return nil }
            return .object([("seed", .int(Int(seed)))] + searched.map { ($0.name, cell.value(of: $0.name).map(ExportValue.parameter) ?? .null) })
        }
        return .array(picked)
    }

    /// A row's fields, in CSV column order.
    public func exportFields(_ r: LeaderboardRow) -> [(String, ExportValue)] {
        [("rank", r.rank.map(ExportValue.int) ?? .null), ("strategy", .string(r.configuration)), ("plugin", .string(r.strategy)),
         ("parameters", .text(r.parameters)), ("source_network", .string(r.source)), ("baseline", .string(baseline)),
         ("accuracy_mean", r.accuracy.n > 0 ? .number(r.accuracy.mean) : .null), ("accuracy_ci95", .number(r.accuracy.confidence95)),
         ("accuracy_sd", r.accuracy.n > 1 ? .number(r.accuracy.standardDeviation) : .null),
         ("accuracy_bootstrap_low", .number(r.accuracy.bootstrap95?[0])), ("accuracy_bootstrap_high", .number(r.accuracy.bootstrap95?[1])),
         ("seeds", .array(r.seeds.map { .int(Int($0)) })), ("seeds_ok", .int(r.accuracy.n)), ("seeds_failed", .int(r.failures.count)),
         ("seeds_missing", .int(r.missing)), ("seeds_collapsed", .int(r.collapsed.count)),
         ("delta_vs_baseline", .number(r.versusBaseline?.meanDifference)), ("p_value", .number(r.versusBaseline?.pValue)), ("p_holm", .number(r.adjustedP)),
         ("below_chance", .bool(r.belowChance)), ("mean_seconds", .number(r.meanSeconds)), ("trainable_parameters", .int(r.trainableParameters)),
         ("failures", .list(r.failures)), ("collapsed", .list(r.collapsed)), ("under_trained", .list(r.underTrained)),
         ("validation_mean", r.validation.n > 0 ? .number(r.validation.mean) : .null), ("trials", .int(r.trials)),
         ("trials_failed", .int(r.failedTrials.count)), ("chosen", chosenBySeed(r.configuration)), ("search_spaces", .text(r.searchSpaces)),
         ("mean_steps", .number(r.meanSteps)), ("mean_epochs", .number(r.meanEpochs))]
    }

    /// One trial cell's fields (the long format), in CSV column order.
    public static func exportFields(_ t: TrialCell) -> [(String, ExportValue)] {
        let cell = t.stored.cell, result = t.stored.result
        return [("strategy", .string(cell.configuration)), ("seed", .int(Int(cell.seed))), ("trial", .int(cell.trial ?? 0)), ("selected", .bool(t.selected)),
                ("refit", .bool(cell.refit == true)), ("status", .string(result.status.rawValue)), ("validation_accuracy", .number(result.validation?.accuracy)),
                ("test_accuracy", .number(result.metrics?.accuracy)),
                ("parameters", .object(cell.parameterOrder.map { ($0, cell.parameters[$0].map(ExportValue.parameter) ?? .null) })),
                ("training", .object(cell.training.changed.map { ($0.rawValue, ExportValue.parameter(cell.training[$0])) })),
                ("searched", .object((cell.searched ?? []).map { ($0.name, cell.value(of: $0.name).map(ExportValue.parameter) ?? .null) })),
                ("seconds", .number(result.seconds)), ("kept_epochs", .array((result.keptEpochs ?? []).map(ExportValue.int))), ("error", .text(result.error)),
                ("model_file", .text(result.modelFile)), ("model_note", .text(result.modelNote))]
    }

    /// A stored trial cell and whether selection picked it for its seed.
    public struct TrialCell: Sendable {
        public var stored: StoredCell
        public var selected: Bool
    }

    /// Every trial cell behind the rows (refits too), row by row and seed by seed.
    public var trialCells: [TrialCell] {
        rows.flatMap { row in
            (selection.choices[row.configuration] ?? [:]).values.sorted { $0.seed < $1.seed }.flatMap { choice in
                (choice.trials + (choice.refit.map { [$0] } ?? [])).map { s in
                    TrialCell(stored: s, selected: s.cell.refit != true && s.cell.key == choice.selected?.cell.key)
                }
            }
        }
    }
}

/// The leaderboards of several comparisons (or one), exported together.
public struct ResultsExport {
    public var boards: [Leaderboard]
    /// Each comparison's recorded starts, by setting key (the JSON's `runs`; Markdown and LaTeX footers).
    public var provenance: [String: [Provenance]] = [:]

    public init(boards: [Leaderboard]) { self.boards = boards }

    /// Groups `cells` into comparisons (by setting, in the order they were first stored) and
    /// draws each one's leaderboard.
    public init(cells: [StoredCell], baseline: String = "scratch", interval: Leaderboard.IntervalKind = .t) {
        let grouped = Dictionary(grouping: cells, by: { $0.cell.setting.key })
        let order = grouped.keys.sorted { (grouped[$0]!.map(\.finishedAt).min() ?? "", $0) < (grouped[$1]!.map(\.finishedAt).min() ?? "", $1) }
        boards = order.map { key in
            var board = Leaderboard(cells: grouped[key]!, baseline: baseline)
            board.interval = interval
            return board
        }
    }

    public func render(_ format: LeaderboardFormat) -> String {
        switch format {
        case .table, .markdown, .latex:
            return boards.map { b in b.render(format) + footer(b, format) }.joined(separator: "\n\n")
        case .json: return json()
        case .jsonl: return jsonLines()
        case .csv:
            return csv(rows: boards.flatMap { b in
                let columns = b.setting?.exportColumns ?? []
                return b.rows.map { columns + b.exportFields($0) }
            })
        case .trials:
            return csv(rows: boards.flatMap { b in
                let columns = b.setting?.exportColumns ?? []
                return b.trialCells.map { columns + Leaderboard.exportFields($0) }
            })
        }
    }

    /// Where the numbers came from, under a human-readable table: the comparison's id and its
    /// last recorded run (a LaTeX comment, so the table compiles as before).
    private func footer(_ b: Leaderboard, _ format: LeaderboardFormat) -> String {
        guard let setting = b.setting else { return "" }
        let last = provenance[setting.key]?.last
        let line = "Comparison \(setting.id)" + (last.map { ": \($0.summary); command: \($0.command)" } ?? "")
        return format == .latex ? "\n% " + line : "\n" + line
    }

    /// The document's comparison objects.
    var comparisons: [ExportValue] {
        boards.map { b in
            .object([("id", .text(b.setting?.id)), ("caption", .string(b.caption)), ("baseline", .string(b.baseline)),
                     ("runs", .array((b.setting.flatMap { provenance[$0.key] } ?? []).map(\.export))),
                     ("setting", b.setting?.exportObject ?? .null), ("selection", .string(b.selectionProtocol)),
                     ("rows", .array(b.rows.map { .object(b.exportFields($0)) })),
                     ("trials", .array(b.trialCells.map { .object(Leaderboard.exportFields($0)) }))])
        }
    }

    private func json() -> String {
        let document: [String: Any] = ["format": "harness results", "format_version": 1, "comparisons": comparisons.map(\.json)]
        return Self.serialise(document, pretty: true)
    }

    private func jsonLines() -> String {
        boards.flatMap { b in
            let columns = b.setting?.exportColumns ?? []
            return b.rows.map { Self.serialise(ExportValue.object(columns + b.exportFields($0)).json, pretty: false) }
        }
            .joined(separator: "\n")
    }

    private func csv(rows: [[(String, ExportValue)]]) -> String {
        guard let header = rows.first?.map(\.0) else { return "" }
        return ([header.joined(separator: ",")] + rows.map { $0.map { Leaderboard.quote($0.1.csv) }.joined(separator: ",") }).joined(separator: "\n")
    }

    static func serialise(_ object: Any, pretty: Bool) -> String {
        let options: JSONSerialization.WritingOptions = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return (try? JSONSerialization.data(withJSONObject: object, options: options)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
