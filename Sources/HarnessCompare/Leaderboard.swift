// The leaderboard of one comparison setting, computed from stored cells alone (so it can be
// redrawn any time without retraining). Every configuration gets a row, even one whose every
// cell failed: a missing row would be a silent lie. When strategies were tuned, each seed's row
// entry is the trial selected on validation accuracy (TrialSelection), never on the test.
import HarnessMetrics
import HarnessEngine

public struct LeaderboardRow: Codable, Sendable {
    public var rank: Int?
    public var configuration: String
    public var strategy: String
    public var parameters: String
    public var source: String
    /// Test accuracy over the seeds that finished (of the selected trial at each seed).
    public var accuracy: Summary
    /// Validation accuracy of the selected trials (n = 0 without a validation split).
    public var validation: Summary = Summary([])
    public var seeds: [UInt64]
    /// "seed 2: crashed: signal 11 (Segmentation fault)", one per seed without a finished trial.
    public var failures: [String]
    /// Trials per seed (1 when untuned), trial cells stored, and trial cells that failed.
    public var trials: Int = 1
    public var trialCells: Int = 0
    public var failedTrials: [String] = []
    /// The selected values of the searched hyperparameters, or their spread over seeds:
    /// "lr=0.0123, lr_mult=0.05-0.3" (empty when nothing was searched).
    public var chosen: String = ""
    /// The spaces its configuration declares: "lr log-uniform[0.003, 0.1], ..." (empty: none).
    public var searchSpaces: String = ""
    /// Seeds whose reported accuracy comes from a refit on training + validation images.
    public var refits: Int = 0
    /// Seeds that were expected but have no stored cell (an interrupted comparison).
    public var missing: Int = 0
    /// "seed 2: predicts Coat for every image", one per finished cell whose model collapsed.
    public var collapsed: [String] = []
    /// Against the baseline, paired by seed; nil for the baseline itself or without one.
    public var versusBaseline: PairedTTest?
    /// Its p-value adjusted (Holm) for every strategy compared with the same baseline.
    public var adjustedP: Double?
    /// Mean accuracy below chance (1 / the number of target classes): worse than guessing.
    public var belowChance = false
    /// "seed 2: training loss still falling, 0.184 -> 0.109 over the last quarter", one per
    /// reported cell whose last training run may be under-trained (TrainingCurve.underTrained).
    public var underTrained: [String] = []
    /// Mean SGD steps and epochs per reported cell, over every training run of the strategy
    /// (nil: it trains no network, or its cells predate step counts).
    public var meanSteps: Double?
    public var meanEpochs: Double?
    public var meanSeconds: Double
    public var trainableParameters: Int
}

public struct Leaderboard: Sendable {
    public var rows: [LeaderboardRow]
    public var baseline: String
    public var setting: ComparisonSetting?
    /// Every trial and what was selected from it.
    public let selection: TrialSelection
    /// Which interval the accuracy column shows: Student's t (the default) or the percentile
    /// bootstrap over seeds (both are in the JSON and CSV whichever is shown).
    public var interval: IntervalKind = .t

    public enum IntervalKind: String, CaseIterable, Sendable { case t, bootstrap }

    /// `order` lists configurations to show (and their order when tied); nil shows all stored.
    /// `expectedSeeds`, when known, makes seeds without a stored cell show as missing.
    public init(cells: [StoredCell], baseline: String = "scratch", order: [String]? = nil, expectedSeeds: Int? = nil) {
        self.baseline = baseline
        setting = cells.first?.cell.setting
        let selection = TrialSelection(cells)
        self.selection = selection
        let names = order ?? selection.choices.keys.sorted()
        func reported(_ name: String) -> [StoredCell] {
            (selection.choices[name] ?? [:]).values.compactMap(\.reported).sorted { $0.cell.seed < $1.cell.seed }
        }
        func accuracies(_ c: [StoredCell]) -> [UInt64: Double] {
            Dictionary(c.compactMap { s in s.result.metrics.map { (s.cell.seed, $0.accuracy) } }, uniquingKeysWith: { a, _ in a })
        }
        let base = accuracies(reported(baseline))
        var rows: [LeaderboardRow] = names.map { name in
            let choices = (selection.choices[name] ?? [:]).values.sorted { $0.seed < $1.seed }
            let all = choices.flatMap(\.trials) + choices.compactMap(\.refit)
            let ok = reported(name)
            let acc = accuracies(ok)
            let paired = acc.keys.filter { base[$0] != nil }.sorted()
            let versus: PairedTTest? = name == baseline || paired.isEmpty
                ? nil : PairedTTest(paired.map { acc[$0]! }, paired.map { base[$0]! })
            let seconds = all.isEmpty ? 0 : all.map(\.result.seconds).reduce(0, +) / Double(all.count)
            let missing = max(0, (expectedSeeds ?? 0) - choices.count)
            let collapsed = ok.compactMap { s -> String? in
                guard let m = s.result.metrics, m.isCollapsed, let only = m.predictedClasses.first else { return nil }
                let name = s.cell.setting.targetClassNames.map { $0.indices.contains(only) ? $0[only] : "class \(only)" } ?? "class \(only)"
                return "seed \(s.cell.seed): predicts \(name) for every image"
            }
            // A seed fails only when none of its trials finished; a failed trial among finished ones is simply not selected.
            let failures = choices.filter { $0.selected == nil }.map { c -> String in
                let errors = c.trials.map { $0.result.error ?? "failed" }
                return "seed \(c.seed): " + (errors.count > 1 ? "all \(errors.count) trials failed; first: " : "") + (errors.first ?? "failed")
            }
            let failedTrials = choices.filter { $0.selected != nil }.flatMap { c in
                c.trials.filter { $0.result.status == .failed }.map { "seed \(c.seed) trial \($0.cell.trial ?? 0): \($0.result.error ?? "failed")" }
            }
            let example = all.first?.cell
            var row = LeaderboardRow(
                rank: nil, configuration: name, strategy: example?.strategy ?? "?",
                // What ran: the reported cell's parameters (the untuned ones, when nothing was tuned).
                parameters: (ok.first?.cell ?? example)?.parameterSummary ?? "",
                source: (example?.source ?? .base).rawValue,
                accuracy: Summary(ok.map { $0.result.metrics!.accuracy }), seeds: ok.map(\.cell.seed),
                failures: failures, missing: missing, collapsed: collapsed, versusBaseline: versus, meanSeconds: seconds,
                trainableParameters: ok.map(\.result.trainableParameters).max() ?? 0)
            row.validation = Summary(choices.compactMap { $0.selected?.result.validation?.accuracy })
            row.trials = choices.map { $0.trials.count }.max() ?? 0
            row.trialCells = choices.map { $0.trials.count }.reduce(0, +)
            row.failedTrials = failedTrials
            row.chosen = Self.spread(of: choices.compactMap(\.selected).map(\.cell))
            row.searchSpaces = (example?.searched ?? []).map { "\($0.name) \($0.space)" }.joined(separator: ", ")
            row.refits = choices.filter { $0.refit?.result.status == .ok }.count
            let classes = example?.setting.targetClasses.count ?? 2
            row.underTrained = ok.compactMap { s in
                TrainingCurve.underTrained(s.result.curve, classes: classes).map { "seed \(s.cell.seed): \($0)" }
            }
            let steps = ok.compactMap { $0.result.curve.isEmpty ? nil : TrainingCurve.steps($0.result.curve) }
            if !steps.isEmpty, steps.count == ok.count {
                row.meanSteps = Double(steps.reduce(0, +)) / Double(steps.count)
                row.meanEpochs = Double(ok.map(\.result.curve.count).reduce(0, +)) / Double(ok.count)
            }
            return row
        }
        // Rows with results by mean accuracy, best first; rows with none at the bottom, unranked.
        rows.sort { a, b in
            switch (a.accuracy.n > 0, b.accuracy.n > 0) {
            case (true, true): return a.accuracy.mean > b.accuracy.mean
            case (true, false): return true
            case (false, true): return false
            case (false, false): return a.configuration < b.configuration
            }
        }
        for i in rows.indices where rows[i].accuracy.n > 0 { rows[i].rank = i + 1 }
        // Many strategies against one baseline: one family of tests, adjusted together.
        for (i, p) in PairedTTest.holm(rows.map { $0.versusBaseline?.pValue }).enumerated() { rows[i].adjustedP = p }
        if let classes = setting?.targetClasses.count, classes > 1 {
            for i in rows.indices where rows[i].accuracy.n > 0 && rows[i].accuracy.mean < 1 / Double(classes) { rows[i].belowChance = true }
        }
        self.rows = rows
    }

    public var hasFailures: Bool { rows.contains { !$0.failures.isEmpty || $0.missing > 0 } }

    /// Whether any strategy ran more than one trial.
    public var isTuned: Bool { selection.isTuned }

    /// The selected values of each searched hyperparameter over seeds: one value when they
    /// agree, the range (numbers) or the set (others) when they do not.
    static func spread(of selected: [Cell]) -> String {
        guard let names = selected.first?.searched?.map(\.name) else { return "" }
        return names.map { name in
            let values = selected.compactMap { $0.value(of: name) }
            let numbers = values.compactMap(\.number)
            if Set(values.map(\.description)).count == 1 { return "\(name)=\(Cell.short(values[0]))" }
            if numbers.count == values.count, let lo = numbers.min(), let hi = numbers.max() {
                return "\(name)=" + Cell.short(values[0].kind == .int ? .int(Int(lo)) : .double(lo)) + "-" + Cell.short(values[0].kind == .int ? .int(Int(hi)) : .double(hi))
            }
            return "\(name)=" + Set(values.map(Cell.short)).sorted().joined(separator: "/")
        }.joined(separator: ", ")
    }
}
