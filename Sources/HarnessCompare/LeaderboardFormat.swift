// Drawing a leaderboard: a terminal table, Markdown, CSV, JSON or LaTeX. Every format says what
// its numbers are: mean test accuracy over seeds with a 95% confidence interval (Student's t),
// and the difference from the baseline with a paired t-test over seeds.
import HarnessMetrics
import Foundation
import HarnessSupport

public enum LeaderboardFormat: String, CaseIterable, Sendable {
    case table, markdown, csv, json, latex
    /// One JSON object per leaderboard row, a line each.
    case jsonl
    /// The long format: one CSV line per trial cell (every strategy x seed x trial, selected or not).
    case trials
}

extension LeaderboardRow {
    /// " (1 failed, 2 missing, 1 collapsed)", or nothing when every expected seed finished well.
    package var shortfall: String {
        let parts = (failures.isEmpty ? [] : ["\(failures.count) failed"]) + (missing > 0 ? ["\(missing) missing"] : [])
            + (collapsed.isEmpty ? [] : ["\(collapsed.count) collapsed"])
        return parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")"
    }

    /// "300 (50)": mean SGD steps and epochs per cell, or "—" for a strategy that trains no network.
    package var stepsText: String { meanSteps.map { String(format: "%.0f (%.0f)", $0, meanEpochs ?? 0) } ?? "—" }
}

extension Leaderboard {
    /// Headings of the flag lists, under the table and on the report's page alike.
    package static let collapsedHeading = "Collapsed models (counted in the accuracy, which is about chance for them)"
    package static let underTrainedHeading = "May be under-trained (the last training run barely learned, or ended with its loss still falling; raise --min-steps or --epochs)"
}

extension Leaderboard {
    public func render(_ format: LeaderboardFormat) -> String {
        switch format {
        case .table: return text(markdown: false)
        case .markdown: return text(markdown: true)
        case .latex: return latex()
        // The formats pipelines read have one schema whether a database holds one comparison or several.
        case .csv, .json, .jsonl, .trials: return ResultsExport(boards: [self]).render(format)
        }
    }

    public var caption: String {
        let s = setting.map { setting in
            setting.summary + (setting.imageCounts.map { Self.countsCaption($0, setting) } ?? setting.targetPerClass.map { k in
                // With --target-labels only the labelled images are split for validation.
                let labelled = setting.targetLabels.map { min($0, k) } ?? k
                let held = setting.validation?.heldOut(of: labelled) ?? 0
                let parts = held > 0 ? "\(labelled - held) to train on, \(held) held out for validation" : ""
                let split = setting.targetLabels == nil ? parts : "\(labelled) labelled" + (parts.isEmpty ? "" : ": " + parts) + ", \(k - labelled) unlabelled"
                return ", \(k) training images per class" + (split.isEmpty ? "" : " (\(split))")
            } ?? "") + ", \(setting.training.epochs) epochs"
                + (setting.training.minSteps > 0 ? " or at least \(setting.training.minSteps) SGD steps per training run, whichever is more" : "")
                + (setting.training.augmentation.isNone ? "" : ", training images augmented with \(setting.training.augmentation.caption)")
                // The arithmetic changes results, so it is always said.
                + ", \(setting.training.precision.rawValue)"
        } ?? ""
        let tests = rows.filter { $0.adjustedP != nil }.count
        let fewSeeds = rows.contains { $0.accuracy.n > 0 && $0.accuracy.n < Summary.minimumForInterval }
        let identical = rows.filter { $0.versusBaseline?.identical == true }.map(\.configuration)
        var statistics = interval == .t ? "\nAccuracy: mean test top-1 over seeds ± half-width of the 95% confidence interval (Student's t); "
            : "\nAccuracy: mean test top-1 over seeds [95% percentile-bootstrap interval over seeds, \(Summary.bootstrapResamples) resamples; few seeds make it too narrow]; "
        statistics += "sd: standard deviation over seeds; Δ \(baseline): mean difference from \(baseline), paired by seed, p from a paired t-test"
        statistics += tests > 1 ? ", Holm-adjusted for the \(tests) strategies compared with \(baseline)." : "."
        if fewSeeds {
            statistics += " Fewer than \(Summary.minimumForInterval) seeds: no interval or p-value is given, as so few seeds cannot support one (run --seeds 3 or more)."
        }
        if !identical.isEmpty {
            statistics += " \(identical.joined(separator: ", ")): every seed differs from \(baseline) by the same amount, so there is no variance to test against and no p-value."
        }
        return s + statistics + "\n" + selectionProtocol
    }

    /// What ran, from the counts loaded: images per class (a range when classes differ, and what
    /// was asked for when it was more than there was), the validation hold-out, test images and
    /// batch size. A folder of 40 per class under the default 100 was once captioned "100
    /// training images per class (80 to train on, 20 held out)".
    static func countsCaption(_ counts: ImageCounts, _ setting: ComparisonSetting) -> String {
        let range = ImageCounts.range
        let labelled = counts.train.map { c in setting.targetLabels.map { min($0, c) } ?? c }
        let held = labelled.map { setting.validation?.heldOut(of: $0) ?? 0 }
        let trainOn = zip(labelled, held).map { $0 - $1 }
        var split = held.contains { $0 > 0 } ? "\(range(trainOn)) to train on, \(range(held)) held out for validation" : ""
        if setting.targetLabels != nil {
            let unlabelled = zip(counts.train, labelled).map { $0 - $1 }
            split = "\(range(labelled)) labelled" + (split.isEmpty ? "" : ": " + split) + ", \(range(unlabelled)) unlabelled"
        }
        return ", " + counts.trainingPhrase(asked: setting.targetPerClass) + (split.isEmpty ? "" : " (\(split))")
            + ", \(range(counts.test)) test images per class, batch \(setting.training.batchSize)"
    }

    /// The model-selection protocol, named as every table of a tuned comparison must.
    public var selectionProtocol: String {
        let held = setting?.validation.map { "\($0) held out of the training images, never trained on" }
        let stopping = setting?.earlyStopping == true ? " Early stopping: every training run keeps the weights of its epoch with the best validation accuracy." : ""
        guard isTuned else {
            return "Untuned: every strategy at its default configuration (one trial)"
                + (held.map { "; val: accuracy on the validation images (\($0))." } ?? ".") + stopping
        }
        let most = rows.map(\.trials).max() ?? 0
        let method = selection.choices.values.lazy.flatMap(\.values).first?.trials.last?.cell.search?.rawValue ?? "random"
        let refit = rows.contains { $0.refits > 0 } ? " Refit: the selected configuration retrained on training + validation images before its test." : ""
        return "Selection: per strategy and seed, the trial with the best validation accuracy among up to \(most) (\(method) search; trial 0 "
            + "is the untuned configuration and wins ties; validation: \(held ?? "none, so trial 0 is reported")); "
            + "accuracy is the test accuracy of the selected trial, val its validation accuracy; chosen: the selected values (a range when seeds differ)."
            + refit + stopping
    }

    private func percent(_ x: Double) -> String { String(format: "%.2f", x * 100) }

    private func cells(_ r: LeaderboardRow) -> [String] {
        let acc: String
        switch interval {
        case .t: acc = r.accuracy.n == 0 ? "—" : percent(r.accuracy.mean) + (r.accuracy.confidence95.map { " ± " + percent($0) } ?? "")
        case .bootstrap:
            acc = r.accuracy.n == 0 ? "—" : percent(r.accuracy.mean) + (r.accuracy.bootstrap95.map { " [" + percent($0[0]) + ", " + percent($0[1]) + "]" } ?? "")
        }
        let delta: String = r.versusBaseline.map { t in
            String(format: "%+.2f", t.meanDifference * 100) + (r.adjustedP.map { String(format: " (p=%.3f)", $0) } ?? "")
        } ?? (r.configuration == baseline ? "baseline" : "—")
        let validation = r.validation.n == 0 ? "—" : percent(r.validation.mean)
        let trials = "\(r.trials)" + (r.failedTrials.isEmpty ? "" : " (\(r.failedTrials.count) failed)")
        return [r.rank.map(String.init) ?? "—", r.configuration, acc, r.accuracy.n > 1 ? percent(r.accuracy.standardDeviation) : "—",
                "\(r.accuracy.n)" + r.shortfall, delta]
            + (hasValidation ? [validation] : []) + (isTuned ? [trials, r.chosen.isEmpty ? "—" : r.chosen] : [])
            + [r.stepsText, String(format: "%.1f", r.meanSeconds), "\(r.trainableParameters)"]
    }

    private var hasValidation: Bool { rows.contains { $0.validation.n > 0 } }

    private var headers: [String] {
        (["rank", "strategy", interval == .t ? "accuracy % (95% CI)" : "accuracy % [95% bootstrap]", "sd", "seeds", "Δ vs \(baseline) (pp)"] + (hasValidation ? ["val %"] : [])
         + (isTuned ? ["trials", "chosen"] : []) + ["steps (epochs)", "seconds", "trainable params"])
    }

    private func text(markdown: Bool) -> String {
        let body = rows.map(cells)
        var out: [String] = []
        if markdown {
            out.append("| " + headers.joined(separator: " | ") + " |")
            out.append("|" + headers.map { _ in "---" }.joined(separator: "|") + "|")
            out += body.map { "| " + $0.joined(separator: " | ") + " |" }
        } else {
            out += TextTable.lines(headers, body, leftAligned: [1], rule: true)
        }
        let failures = rows.flatMap { r in r.failures.map { "  \(r.configuration), \($0)" } }
        if !failures.isEmpty { out.append((markdown ? "\n" : "") + "Failed cells:"); out += failures }
        let failedTrials = rows.flatMap { r in r.failedTrials.map { "  \(r.configuration), \($0)" } }
        if !failedTrials.isEmpty {
            out.append((markdown ? "\n" : "") + "Failed trials (never selected; other trials of the same seed were):")
            out += failedTrials
        }
        if let classes = setting?.targetClasses.count {
            let below = rows.filter(\.belowChance).map { "  \($0.configuration): \(percent($0.accuracy.mean))%" }
            if !below.isEmpty {
                out.append((markdown ? "\n" : "") + "Below chance (\(percent(1 / Double(classes)))% for \(classes) classes: worse than guessing; look for a bug or a collapse):")
                out += below
            }
        }
        let underTrained = rows.flatMap { r in r.underTrained.map { "  \(r.configuration), \($0)" } }
        if !underTrained.isEmpty {
            out.append((markdown ? "\n" : "") + Self.underTrainedHeading + ":")
            out += underTrained
        }
        let collapsed = rows.flatMap { r in r.collapsed.map { "  \(r.configuration), \($0)" } }
        if !collapsed.isEmpty {
            out.append((markdown ? "\n" : "") + Self.collapsedHeading + ":")
            out += collapsed
        }
        out.append((markdown ? "\n" : "") + caption)
        return out.joined(separator: "\n")
    }

    static func quote(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    private func latex() -> String {
        func escape(_ s: String) -> String {
            s.replacingOccurrences(of: "\\", with: "\\textbackslash{}").replacingOccurrences(of: "_", with: "\\_")
                .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "&", with: "\\&").replacingOccurrences(of: "#", with: "\\#")
                .replacingOccurrences(of: "±", with: "$\\pm$").replacingOccurrences(of: "Δ", with: "$\\Delta$").replacingOccurrences(of: "—", with: "--")
        }
        var out = ["\\begin{table}", "\\centering", "\\begin{tabular}{rl" + String(repeating: "r", count: headers.count - 2) + "}", "\\hline",
                   headers.map(escape).joined(separator: " & ") + " \\\\", "\\hline"]
        out += rows.map { cells($0).map(escape).joined(separator: " & ") + " \\\\" }
        out += ["\\hline", "\\end{tabular}", "\\caption{" + escape(caption.replacingOccurrences(of: "\n", with: " ")) + "}", "\\end{table}"]
        return out.joined(separator: "\n")
    }
}
