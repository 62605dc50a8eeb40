// Drawing a leaderboard: a terminal table, Markdown, CSV, JSON or LaTeX. Every format says what
// its numbers are: mean test accuracy over seeds with a 95% confidence interval (Student's t),
// and the difference from the baseline with a paired t-test over seeds.
import Foundation

public enum LeaderboardFormat: String, CaseIterable, Sendable {
    case table, markdown, csv, json, latex
}

extension LeaderboardRow {
    /// " (1 failed, 2 missing, 1 collapsed)", or nothing when every expected seed finished well.
    var shortfall: String {
        let parts = (failures.isEmpty ? [] : ["\(failures.count) failed"]) + (missing > 0 ? ["\(missing) missing"] : [])
            + (collapsed.isEmpty ? [] : ["\(collapsed.count) collapsed"])
        return parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")"
    }
}

extension Leaderboard {
    public func render(_ format: LeaderboardFormat) -> String {
        switch format {
        case .table: return text(markdown: false)
        case .markdown: return text(markdown: true)
        case .csv: return csv()
        case .json: return json()
        case .latex: return latex()
        }
    }

    public var caption: String {
        let s = setting.map { $0.summary + ($0.targetPerClass.map { ", \($0) training images per class" } ?? "") + ", \($0.epochs) epochs" } ?? ""
        return s + "\nAccuracy: mean test top-1 over seeds ± half-width of the 95% confidence interval (Student's t); "
            + "sd: standard deviation over seeds; Δ \(baseline): mean difference from \(baseline), paired by seed, p from a paired t-test."
    }

    private func percent(_ x: Double) -> String { String(format: "%.2f", x * 100) }

    private func cells(_ r: LeaderboardRow) -> [String] {
        let acc = r.accuracy.n == 0 ? "—" : percent(r.accuracy.mean) + (r.accuracy.confidence95.map { " ± " + percent($0) } ?? "")
        let delta: String = r.versusBaseline.map { t in
            String(format: "%+.2f", t.meanDifference * 100) + (t.pValue.map { String(format: " (p=%.3f)", $0) } ?? "")
        } ?? (r.configuration == baseline ? "baseline" : "—")
        return [r.rank.map(String.init) ?? "—", r.configuration, acc, r.accuracy.n > 1 ? percent(r.accuracy.standardDeviation) : "—",
                "\(r.accuracy.n)" + r.shortfall, delta,
                String(format: "%.1f", r.meanSeconds), "\(r.trainableParameters)"]
    }

    private static let headers = ["rank", "strategy", "accuracy % (95% CI)", "sd", "seeds", "Δ vs baseline (pp)", "seconds", "trainable params"]

    private func text(markdown: Bool) -> String {
        let headers = Self.headers.map { $0.replacingOccurrences(of: "baseline", with: baseline) }
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
        let collapsed = rows.flatMap { r in r.collapsed.map { "  \(r.configuration), \($0)" } }
        if !collapsed.isEmpty {
            out.append((markdown ? "\n" : "") + "Collapsed models (counted in the accuracy, which is about chance for them):")
            out += collapsed
        }
        out.append((markdown ? "\n" : "") + caption)
        return out.joined(separator: "\n")
    }

    private func csv() -> String {
        func quote(_ s: String) -> String { s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
        var out = ["rank,strategy,plugin,parameters,source,accuracy_mean,accuracy_ci95,accuracy_sd,seeds_ok,seeds_failed,seeds_missing,seeds_collapsed,delta_vs_\(baseline),p_value,mean_seconds,trainable_parameters,failures,collapsed"]
        for r in rows {
            let fields: [String] = [
                r.rank.map(String.init) ?? "", r.configuration, r.strategy, r.parameters, r.source,
                r.accuracy.n > 0 ? "\(r.accuracy.mean)" : "", r.accuracy.confidence95.map { "\($0)" } ?? "",
                r.accuracy.n > 1 ? "\(r.accuracy.standardDeviation)" : "", "\(r.accuracy.n)", "\(r.failures.count)", "\(r.missing)", "\(r.collapsed.count)",
                r.versusBaseline.map { "\($0.meanDifference)" } ?? "", r.versusBaseline?.pValue.map { "\($0)" } ?? "",
                "\(r.meanSeconds)", "\(r.trainableParameters)", r.failures.joined(separator: "; "), r.collapsed.joined(separator: "; "),
            ]
            out.append(fields.map(quote).joined(separator: ","))
        }
        return out.joined(separator: "\n")
    }

    private func json() -> String {
        struct Document: Encodable {
            var caption: String
            var baseline: String
            var setting: ComparisonSetting?
            var rows: [LeaderboardRow]
        }
        let encoder = HarnessJSON.encoder
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? encoder.encode(Document(caption: caption, baseline: baseline, setting: setting, rows: rows))) ?? Data(), as: UTF8.self)
    }

    private func latex() -> String {
        func escape(_ s: String) -> String {
            s.replacingOccurrences(of: "\\", with: "\\textbackslash{}").replacingOccurrences(of: "_", with: "\\_")
                .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "&", with: "\\&").replacingOccurrences(of: "#", with: "\\#")
                .replacingOccurrences(of: "±", with: "$\\pm$").replacingOccurrences(of: "Δ", with: "$\\Delta$").replacingOccurrences(of: "—", with: "--")
        }
        var out = ["\\begin{table}", "\\centering", "\\begin{tabular}{rlrrrrrr}", "\\hline",
                   Self.headers.map { escape($0.replacingOccurrences(of: "baseline", with: baseline)) }.joined(separator: " & ") + " \\\\", "\\hline"]
        out += rows.map { cells($0).map(escape).joined(separator: " & ") + " \\\\" }
        out += ["\\hline", "\\end{tabular}", "\\caption{" + escape(caption.replacingOccurrences(of: "\n", with: " ")) + "}", "\\end{table}"]
        return out.joined(separator: "\n")
    }
}
