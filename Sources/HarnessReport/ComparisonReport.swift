// The report of one comparison, from stored cells alone: the leaderboard, accuracy with 95%
// confidence intervals (every seed drawn as a dot), training curves, per-class accuracy, and,
// for a tuned comparison, validation accuracy against every searched hyperparameter. Figures
// of results show the trial selected at each seed; the search figure shows every trial.
import Foundation
import HarnessSupport
import HarnessData
import HarnessCompare

public struct ComparisonReport {
    public let board: Leaderboard
    /// Every stored cell, every trial.
    public let allCells: [StoredCell]
    /// The cells whose results the tables report: one per strategy and seed.
    public let cells: [StoredCell]

    public init(cells: [StoredCell], baseline: String = "scratch") {
        allCells = cells
        board = Leaderboard(cells: cells, baseline: baseline)
        self.cells = board.selection.reported
    }

    private var order: [String] { board.rows.map(\.configuration) }
    private func color(_ name: String) -> String { SVG.palette[(order.firstIndex(of: name) ?? 0) % SVG.palette.count] }

    /// Chance accuracy (%), one over the number of target classes; nil when unknown.
    private var chance: Double? {
        (board.setting?.targetClasses.count).flatMap { $0 > 1 ? 100 / Double($0) : nil }
    }

    /// Mean accuracy per strategy (a point) with its 95% confidence interval (whiskers); each seed
    /// a dot; chance as a dashed line. Points and intervals need no zero baseline, so the axis
    /// spans the data (and chance when it is near); a whisker past 0 or 100% ends in an arrowhead.
    public var accuracyFigure: String {
        let rows = board.rows.filter { $0.accuracy.n > 0 }
        let (left, right, top, bottom) = (70.0, 20.0, 60.0, 110.0)
        var svg = SVG(width: max(720, left + right + Double(rows.count) * 90), height: 420)
        let points = rows.flatMap { r in cells.filter { $0.cell.configuration == r.configuration }.compactMap { $0.result.metrics?.accuracy } }
        let lows = rows.map { $0.accuracy.mean - ($0.accuracy.confidence95 ?? 0) } + points
        let highs = rows.map { $0.accuracy.mean + ($0.accuracy.confidence95 ?? 0) } + points
        var lo = max(0, ((lows.min() ?? 0) * 100 - 2).rounded(.down)), hi = min(100, ((highs.max() ?? 1) * 100 + 1).rounded(.up))
        // Chance joins the axis when it is within 20 points of the data; otherwise the title says where it is.
        if let c = chance, c < lo, lo - c <= 20 { lo = max(0, (c - 2).rounded(.down)) }
        if hi - lo < 5 { hi = min(100, lo + 5) }
        let plotH = svg.height - top - bottom
        func y(_ pct: Double) -> Double { top + plotH * (1 - (min(max(pct, lo), hi) - lo) / max(hi - lo, 1e-9)) }
        for t in SVG.ticks(lo, hi) {
            svg.line(left, y(t), svg.width - right, y(t), stroke: "#e5e5e5")
            svg.text(left - 6, y(t) + 4, String(format: "%g", t), anchor: "end", size: 11)
        }
        svg.text(16, top + plotH / 2, "test accuracy (%)", anchor: "middle", size: 12, rotate: -90)
        if let c = chance, c >= lo, c <= hi {
            svg.line(left, y(c), svg.width - right, y(c), stroke: "#b00", width: 1.2, dashed: true)
            svg.text(svg.width - right, y(c) - 4, String(format: "chance %.4g%%", c), anchor: "end", size: 11, fill: "#b00")
        }
        let slot = (svg.width - left - right) / Double(max(rows.count, 1))
        var clipped: [String] = []
        for (i, r) in rows.enumerated() {
            let cx = left + slot * (Double(i) + 0.5), mean = r.accuracy.mean * 100
            if let ci = r.accuracy.confidence95 {
                let (low, high) = (mean - ci * 100, mean + ci * 100)
                let (a, b) = (y(low), y(high))
                svg.line(cx, a, cx, b, stroke: "#111", width: 1.5)
                if low >= lo { svg.line(cx - 8, a, cx + 8, a, stroke: "#111", width: 1.5) } else { svg.arrowhead(cx, a, up: false) }
                if high <= hi { svg.line(cx - 8, b, cx + 8, b, stroke: "#111", width: 1.5) } else { svg.arrowhead(cx, b, up: true) }
                if low < lo || high > hi { clipped.append(String(format: "%@ (%.1f to %.1f)", r.configuration, low, high)) }
            }
            for (j, s) in cells.filter({ $0.cell.configuration == r.configuration }).enumerated() {
                if let acc = s.result.metrics?.accuracy { svg.circle(cx - 18 + Double(j % 5) * 6, y(acc * 100), 2.5, fill: "#777") }
            }
            svg.rect(cx - slot * 0.22, y(mean) - 2, slot * 0.44, 4, fill: color(r.configuration), title: String(format: "%@: %.2f%%", r.configuration, mean))
            svg.text(cx, y(lo) + 16, r.configuration, anchor: "end", size: 12, rotate: -35)
        }
        svg.line(left, y(lo), svg.width - right, y(lo))
        svg.text(left, 16, "Mean test accuracy (coloured mark) with its 95% confidence interval (Student's t, whiskers)", size: 12)
        svg.text(left, 32, "grey dots: individual seeds", size: 12)
        var notes: [String] = []
        if let c = chance, c < lo { notes.append(String(format: "chance (%.4g%%) is below the axis", c)) }
        if !clipped.isEmpty { notes.append("intervals cut at the axis (arrowheads): " + clipped.joined(separator: ", ")) }
        if !notes.isEmpty { svg.text(left, 48, notes.joined(separator: "; "), size: 11, fill: "#b00") }
        return svg.document
    }

    /// Training loss per epoch, averaged over seeds, one line per strategy that trains.
    public var curvesFigure: String {
        var svg = SVG(width: 640, height: 360)
        let (left, right, top, bottom) = (70.0, 170.0, 30.0, 50.0)
        var curves: [(String, [Double])] = []
        for name in order {
            let runs = cells.filter { $0.cell.configuration == name && !$0.result.curve.isEmpty }.map { $0.result.curve.map(\.loss) }
            guard let length = runs.map(\.count).max(), length > 0 else { continue }
            curves.append((name, (0..<length).map { e in
                let values = runs.compactMap { e < $0.count ? $0[e] : nil }
                return values.reduce(0, +) / Double(values.count)
            }))
        }
        let all = curves.flatMap(\.1).filter(\.isFinite)
        let maxLoss = (all.max() ?? 1) * 1.05, epochs = curves.map(\.1.count).max() ?? 1
        let plotW = svg.width - left - right, plotH = svg.height - top - bottom
        func x(_ e: Int) -> Double { left + plotW * (epochs > 1 ? Double(e) / Double(epochs - 1) : 0.5) }
        func y(_ v: Double) -> Double { top + plotH * (1 - min(v, maxLoss) / maxLoss) }
        for t in SVG.ticks(0, maxLoss) {
            svg.line(left, y(t), left + plotW, y(t), stroke: "#e5e5e5")
            svg.text(left - 6, y(t) + 4, String(format: "%g", t), anchor: "end", size: 11)
        }
        // Epoch numbers at round ticks: with a step budget a run can take hundreds of epochs.
        for t in SVG.ticks(1, Double(max(epochs, 2)), count: 8) where t == t.rounded() && Int(t) <= epochs {
            svg.text(x(Int(t) - 1), top + plotH + 16, String(format: "%g", t), anchor: "middle", size: 11)
        }
        svg.text(left + plotW / 2, svg.height - 10, "epoch", anchor: "middle")
        svg.text(16, top + plotH / 2, "training loss", anchor: "middle", rotate: -90)
        for (i, (name, values)) in curves.enumerated() {
            svg.polyline(values.enumerated().map { (x($0.offset), y($0.element)) }, stroke: color(name))
            svg.rect(left + plotW + 16, top + Double(i) * 20, 12, 12, fill: color(name))
            svg.text(left + plotW + 34, top + Double(i) * 20 + 10, name)
        }
        svg.line(left, top + plotH, left + plotW, top + plotH)
        svg.text(left, 18, curves.isEmpty ? "No strategy trained a network" : "Training loss per epoch, mean over seeds (training-set loss, with dropout)", size: 12)
        return svg.document
    }

    /// Mean per-class accuracy of each strategy, as a heat map.
    public var perClassFigure: String {
        // Rows stored before class names were recorded: Fashion-MNIST's names are known anyway.
        let names = board.setting.flatMap { s in
            s.targetClassNames ?? (s.datasetName == "fashion-mnist" ? s.targetClasses.map { FashionMNIST.classNames[$0] } : nil)
        }
        let rows = board.rows.filter { $0.accuracy.n > 0 }
        let classes = cells.compactMap { $0.result.metrics?.perClassAccuracy.count }.max() ?? 0
        let (left, top, cellW, cellH) = (130.0, 100.0, 76.0, 26.0)
        var svg = SVG(width: max(left + cellW * Double(max(classes, 1)) + 20, 620), height: top + cellH * Double(rows.count) + 70)
        for c in 0..<classes {
            svg.text(left + cellW * (Double(c) + 0.5), top - 8, names.map { c < $0.count ? $0[c] : "class \(c)" } ?? "class \(c)", size: 11, rotate: -30)
        }
        for (i, r) in rows.enumerated() {
            let runs = cells.filter { $0.cell.configuration == r.configuration }.compactMap { $0.result.metrics?.perClassAccuracy }
            svg.text(left - 8, top + cellH * (Double(i) + 0.65), r.configuration, anchor: "end")
            for c in 0..<classes {
                let values = runs.compactMap { c < $0.count ? $0[c] : nil }
                let mean = values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
                // The whole range: white at 0%, deep blue at 100%, linear (legend below).
                let t = mean
                let fill = SVG.heat(t)
                svg.rect(left + cellW * Double(c), top + cellH * Double(i), cellW - 2, cellH - 2, fill: fill)
                svg.text(left + cellW * (Double(c) + 0.5), top + cellH * (Double(i) + 0.65), String(format: "%.1f", mean * 100),
                         anchor: "middle", size: 11, fill: t > 0.6 ? "white" : "#222")
            }
        }
        svg.text(10, 18, "Per-class test accuracy (%), mean over seeds", size: 12)
        // Colour legend: the scale from 0 to 100%.
        let legendY = top + cellH * Double(rows.count) + 24, legendW = 300.0
        for k in 0..<50 { svg.rect(left + legendW * Double(k) / 50, legendY, legendW / 50 + 0.5, 12, fill: SVG.heat(Double(k) / 49)) }
        for t in stride(from: 0.0, through: 100, by: 25) {
            svg.text(left + legendW * t / 100, legendY + 26, String(format: "%g%%", t), anchor: "middle", size: 10)
        }
        if let c = chance {
            svg.line(left + legendW * c / 100, legendY - 3, left + legendW * c / 100, legendY + 15, stroke: "#b00", width: 1.5)
            svg.text(left + legendW + 10, legendY + 10, String(format: "red mark: chance (%.4g%%)", c), size: 10, fill: "#b00")
        }
        return svg.document
    }

    /// Validation accuracy against each searched hyperparameter: a row of panels per strategy
    /// that searched, one dot per trial and seed, the selected trials ringed. Numbers sit on a
    /// linear or (for log-uniform spaces) logarithmic axis; other values side by side.
    public var searchFigure: String {
        let searched = board.rows.compactMap { r -> (String, [SearchedName])? in
            guard let names = allCells.first(where: { $0.cell.configuration == r.configuration })?.cell.searched else { return nil }
            return (r.configuration, names)
        }
        let (panelW, panelH, left, top, gap) = (220.0, 150.0, 110.0, 34.0, 46.0)
        let columns = searched.map(\.1.count).max() ?? 1
        var svg = SVG(width: left + Double(columns) * (panelW + 20) + 20, height: top + Double(searched.count) * (panelH + gap) + 10)
        let selected = Set(board.selection.choices.values.flatMap { $0.values.compactMap { $0.selected?.cell.key } })
        svg.text(10, 18, "Validation accuracy (%) of every trial against each searched hyperparameter", size: 12)
        for (row, (name, hyperparameters)) in searched.enumerated() {
            let trials = allCells.filter { $0.cell.configuration == name && $0.cell.refit != true && $0.result.validation != nil }
            let y0 = top + Double(row) * (panelH + gap)
            svg.text(10, y0 + panelH / 2, name, size: 12)
            let accuracies = trials.map { $0.result.validation!.accuracy * 100 }
            let lo = ((accuracies.min() ?? 0) - 2).rounded(.down), hi = ((accuracies.max() ?? 100) + 2).rounded(.up)
            func y(_ a: Double) -> Double { y0 + panelH * (1 - (a - lo) / max(hi - lo, 1e-9)) }
            for (column, h) in hyperparameters.enumerated() {
                let x0 = left + Double(column) * (panelW + 20)
                svg.line(x0, y0 + panelH, x0 + panelW, y0 + panelH)
                svg.line(x0, y0, x0, y0 + panelH)
                for t in SVG.ticks(lo, hi, count: 5) { svg.text(x0 - 4, y(t) + 4, String(format: "%g", t), anchor: "end", size: 10) }
                svg.text(x0 + panelW / 2, y0 + panelH + 30, h.name + (h.logarithmic ? " (log scale)" : ""), anchor: "middle", size: 11)
                let values = trials.map { $0.cell.value(of: h.name) }
                let numbers = values.compactMap { $0?.number }
                // Positions along the axis in 0...1: numeric (log for log-uniform) or one slot per distinct value.
                let position: (ParameterValue?) -> Double
                if numbers.count == values.count, let a = numbers.min(), let b = numbers.max() {
                    let f: (Double) -> Double = h.logarithmic && a > 0 ? { log($0) } : { $0 }
                    position = { v in b > a ? (f(v!.number!) - f(a)) / (f(b) - f(a)) : 0.5 }
                    svg.text(x0, y0 + panelH + 14, String(format: "%.3g", a), size: 10)
                    svg.text(x0 + panelW, y0 + panelH + 14, String(format: "%.3g", b), anchor: "end", size: 10)
                } else {
                    let distinct = Array(Set(values.map { $0.map(Cell.short) ?? "?" })).sorted()
                    position = { v in (Double(distinct.firstIndex(of: v.map(Cell.short) ?? "?") ?? 0) + 0.5) / Double(distinct.count) }
                    for (i, d) in distinct.enumerated() {
                        svg.text(x0 + panelW * (Double(i) + 0.5) / Double(distinct.count), y0 + panelH + 14, d, anchor: "middle", size: 10)
                    }
                }
                for (t, v) in zip(trials, values) {
                    let (cx, cy) = (x0 + 6 + (panelW - 12) * position(v), y(t.result.validation!.accuracy * 100))
                    if selected.contains(t.cell.key) { svg.circle(cx, cy, 6, fill: "#111") }
                    svg.circle(cx, cy, 3.5, fill: color(name))
                }
            }
        }
        return svg.document
    }

    /// When these cells are a transfer-curve grid: its figure, table and reading.
    private var transferCurveSection: String {
        guard TransferCurve.isPresent(in: allCells), let setting = board.setting else { return "" }
        let curve = TransferCurve(cells: allCells, layers: TransferCurve.layers(in: allCells))
        func table(_ markdown: String) -> String {
            let rows = markdown.split(separator: "\n").filter { !$0.hasPrefix("|---") }.map { line in
                "<tr>" + line.split(separator: "|").map { "<td>\(SVG.escape($0.trimmingCharacters(in: .whitespaces)))</td>" }.joined() + "</tr>"
            }
            return "<table>" + rows.joined() + "</table>"
        }
        return "<h2>Transfer curve</h2><figure>\(TransferCurveFigure.svg(panels: [("\(setting.splitName)", curve)]))</figure>"
            + table(curve.table) + "<h3>AnB+ against baseB and BnB+ (the paper's Table 1)</h3>" + table(curve.boostTable)
            + "<h3>Reading</h3><ul>" + curve.reading.map { "<li>\(SVG.escape($0))</li>" }.joined() + "</ul>"
    }

    /// A self-contained page: no script, no external file.
    public var html: String {
        let setting = board.setting
        let title = "harness compare: " + (setting.map { $0.target.map { "\($0)" } ?? "\($0.datasetName), \($0.splitName)" } ?? "results")
        var rowsHTML = ""
        let header = "<tr><th>rank</th><th>strategy</th><th>plugin (parameters)</th><th>accuracy % (95% CI)</th><th>sd</th><th>seeds</th><th>Δ vs \(SVG.escape(board.baseline)) (pp, paired t-test)</th><th>val %</th><th>trials</th><th>chosen</th><th>steps (epochs)</th><th>seconds</th><th>trainable params</th></tr>"
        for r in board.rows {
            let acc = r.accuracy.n == 0 ? "—" : String(format: "%.2f", r.accuracy.mean * 100) + (r.accuracy.confidence95.map { String(format: " ± %.2f", $0 * 100) } ?? "")
            let delta = r.versusBaseline.map { t in String(format: "%+.2f", t.meanDifference * 100) + (r.adjustedP.map { String(format: " (p=%.3f)", $0) } ?? "") }
                ?? (r.configuration == board.baseline ? "baseline" : "—")
            let sd: String = r.accuracy.n > 1 ? String(format: "%.2f", r.accuracy.standardDeviation * 100) : "—"
            let validation: String = r.validation.n == 0 ? "—" : String(format: "%.2f", r.validation.mean * 100)
            let trials: String = "\(r.trials)" + (r.failedTrials.isEmpty ? "" : " (\(r.failedTrials.count) failed)")
            let cells: [String] = [r.rank.map(String.init) ?? "—", SVG.escape(r.configuration), "\(SVG.escape(r.strategy)) (\(SVG.escape(r.parameters)))",
                                   acc, sd, "\(r.accuracy.n)\(r.shortfall)", delta, validation, trials, SVG.escape(r.chosen.isEmpty ? "—" : r.chosen),
                                   r.stepsText,
                                   String(format: "%.1f", r.meanSeconds), "\(r.trainableParameters)"]
            rowsHTML += "<tr>" + cells.map { "<td>\($0)</td>" }.joined() + "</tr>"
        }
        let failures = board.rows.flatMap { r in r.failures.map { "<li>\(SVG.escape(r.configuration)), \(SVG.escape($0))</li>" } }.joined()
        // What the table's footer lists, the page lists too: flags are part of the result.
        func list(_ title: String, _ items: [String]) -> String {
            items.isEmpty ? "" : "<h3 class=\"flag\">\(SVG.escape(title))</h3><ul class=\"flag\">" + items.map { "<li>\(SVG.escape($0))</li>" }.joined() + "</ul>"
        }
        let flags = list("Below chance (worse than guessing; look for a bug or a collapse)",
                         board.rows.filter(\.belowChance).map { String(format: "%@: %.2f%%", $0.configuration, $0.accuracy.mean * 100) })
            + list(Leaderboard.collapsedHeading,
                   board.rows.flatMap { r in r.collapsed.map { "\(r.configuration), \($0)" } })
            + list(Leaderboard.underTrainedHeading,
                   board.rows.flatMap { r in r.underTrained.map { "\(r.configuration), \($0)" } })
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(SVG.escape(title))</title>
            <style>
            body { font-family: sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; }
            .scroll { overflow-x: auto; }
            table { border-collapse: collapse; margin: 1em 0; font-size: 0.88em; } th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: right; }
            th { vertical-align: bottom; } td:nth-child(3) { max-width: 16em; overflow-wrap: anywhere; font-size: 0.92em; }
            td:nth-child(2), td:nth-child(3), th:nth-child(2), th:nth-child(3) { text-align: left; }
            .flag { color: #8a4b00; } svg { max-width: 100%; height: auto; }
            figure { margin: 1.5em 0; } figcaption { color: #555; font-size: 0.9em; }
            .caption { color: #555; font-size: 0.9em; white-space: pre-line; } .failed { color: #b00; }
            </style></head><body>
            <h1>\(SVG.escape(title))</h1>
            <p class="caption">\(SVG.escape(board.caption))</p>
            <h2>Leaderboard</h2>
            <div class="scroll"><table>\(header)\(rowsHTML)</table></div>
            \(failures.isEmpty ? "" : "<h3 class=\"failed\">Failed cells</h3><ul class=\"failed\">\(failures)</ul>")
            \(flags)
            <h2>Accuracy</h2><figure>\(accuracyFigure)<figcaption>Coloured mark: mean over seeds; whiskers: 95% confidence interval (none below 3 seeds); grey dots: one seed each; dashed red line: chance. The axis spans the data, not 0-100%: read differences on it, not bar heights.</figcaption></figure>
            <h2>Training curves</h2><figure>\(curvesFigure)<figcaption>Every network a strategy trained, loss per epoch averaged over seeds. svm-codes trains no network and has no curve.</figcaption></figure>
            <h2>Per-class accuracy</h2><figure>\(perClassFigure)<figcaption>Colour runs linearly from white (0%) to blue (100%); the legend marks chance.</figcaption></figure>
            \(board.isTuned ? "<h2>Search</h2><figure>\(searchFigure)<figcaption>\(SVG.escape(board.selectionProtocol)) One dot per trial and seed; ringed: selected.</figcaption></figure>" : "")
            \(transferCurveSection)
            <p class="caption">Generated by harness from \(allCells.count) stored cells; redraw with harness report.</p>
            </body></html>
            """
    }

    /// Writes report.html and the figures as SVG files into `directory`; returns the page's path.
    @discardableResult
    public func write(to directory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var files = ["accuracy.svg": accuracyFigure, "curves.svg": curvesFigure, "per-class.svg": perClassFigure, "report.html": html]
        if board.isTuned { files["search.svg"] = searchFigure }
        for (name, text) in files { try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8) }
        return directory + "/report.html"
    }
}

extension ComparisonReport {
    /// index.html beside the comparisons' folders (one per id): a line per comparison with what
    /// it transferred, its strategies, its cells and the command that last ran it.
    public static func writeIndex(_ runs: [RunSummary], to directory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let rows = runs.map { r -> String in
            let link = r.cellsOK + r.cellsFailed > 0 ? "<a href=\"\(r.id)/report.html\">\(r.id)</a>" : r.id
            let command = r.runs.last.map { "<code>\(SVG.escape($0.command))</code><br><small>\(SVG.escape($0.summary))</small>" } ?? ""
            return "<tr><td>\(link)</td><td>\(SVG.escape(String(r.started.prefix(19))))</td><td>\(SVG.escape(r.source))</td><td>\(SVG.escape(r.target))</td>"
                + "<td>\(SVG.escape(r.strategies.joined(separator: ", ")))</td><td>\(r.cellsOK)</td><td>\(r.cellsFailed)</td><td>\(command)</td></tr>"
        }
        let html = """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>harness: \(runs.count) comparisons</title>
            <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}</style>
            </head><body>
            <h1>\(runs.count) comparisons</h1>
            <table><tr><th>id</th><th>started</th><th>source</th><th>target</th><th>strategies</th><th>cells ok</th><th>failed</th><th>last command</th></tr>
            \(rows.joined(separator: "\n"))
            </table></body></html>
            """
        let path = directory + "/index.html"
        try html.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
