// The transfer curve drawn as the paper's Figure 2: accuracy against the number n of copied
// layers, every run a point, the mean of each treatment joined by a line, and baseB a dashed
// reference line. One panel per split (e.g. random halves, and garments -> footwear and bags).
import HarnessCompare

public enum TransferCurveFigure {
    static let colors: [TransferCurve.Treatment: String] = [
        .bnb: "#4e79a7", .bnbPlus: "#76b7b2", .anb: "#e15759", .anbPlus: "#f28e2b", .random: "#9c755f",
    ]

    public static func svg(panels: [(title: String, curve: TransferCurve)]) -> String {
        let panelW = 520.0, panelH = 380.0, (left, top, bottom) = (70.0, 40.0, 60.0)
        var svg = SVG(width: panelW * Double(max(panels.count, 1)) + 150, height: panelH)
        let values = panels.flatMap { p in p.curve.baseBRuns + p.curve.runs.values.flatMap { $0.values.flatMap { $0 } } }
        let lo = max(0, ((values.min() ?? 0) * 100 - 2).rounded(.down)), hi = min(100, ((values.max() ?? 1) * 100 + 1).rounded(.up))
        let plotH = panelH - top - bottom
        func y(_ v: Double) -> Double { top + plotH * (1 - (v * 100 - lo) / max(hi - lo, 1e-9)) }
        for (p, panel) in panels.enumerated() {
            let x0 = Double(p) * panelW + left, plotW = panelW - left - 20
            let maxN = Double(panel.curve.layers.max() ?? 7)
            // Room past the last n for the treatments' side-by-side offsets.
            func x(_ n: Double) -> Double { x0 + plotW * n / (max(maxN, 1) + 0.4) }
            for t in SVG.ticks(lo, hi) {
                svg.line(x0, y(t / 100), x0 + plotW, y(t / 100), stroke: "#eee")
                svg.text(x0 - 6, y(t / 100) + 4, String(format: "%g", t), anchor: "end", size: 11)
            }
            for n in [0] + panel.curve.layers { svg.text(x(Double(n)), top + plotH + 16, n == 0 ? "0 (baseB)" : "\(n)", anchor: "middle", size: 11) }
            svg.text(x0 + plotW / 2, panelH - 20, "layers n copied from the source network", anchor: "middle")
            svg.text(x0 - 50, top + plotH / 2, "test accuracy on B (%)", anchor: "middle", rotate: -90)
            svg.text(x0, 22, panel.title, size: 13)
            // baseB: its runs at n = 0 and a dashed reference line at its mean.
            if panel.curve.baseB.n > 0 {
                let yb = y(panel.curve.baseB.mean)
                for xx in stride(from: x(0), to: x0 + plotW, by: 8) { svg.line(xx, yb, min(xx + 4, x0 + plotW), yb, stroke: "#222") }
                for v in panel.curve.baseBRuns { svg.circle(x(0), y(v), 3, fill: "#222") }
            }
            for (k, t) in TransferCurve.Treatment.allCases.enumerated() {
                let offset = (Double(k) - 2) * 0.06  // a little apart, so the treatments' points do not hide each other
                var means: [(Double, Double)] = []
                for n in panel.curve.layers {
                    let runs = panel.curve.runs[t]?[n] ?? []
                    for v in runs { svg.circle(x(Double(n) + offset), y(v), 2.5, fill: colors[t]!) }
                    if !runs.isEmpty { means.append((x(Double(n) + offset), y(runs.reduce(0, +) / Double(runs.count)))) }
                }
                if means.count > 1 { svg.polyline(means, stroke: colors[t]!, width: 2) }
            }
            svg.line(x0, top + plotH, x0 + plotW, top + plotH)
        }
        // Legend.
        let lx = panelW * Double(max(panels.count, 1)) + 10
        for (i, t) in TransferCurve.Treatment.allCases.enumerated() {
            svg.rect(lx, top + Double(i) * 20, 12, 12, fill: colors[t]!)
            svg.text(lx + 18, top + Double(i) * 20 + 10, t == .random ? "random, frozen" : t.rawValue)
        }
        svg.line(lx, top + 110, lx + 12, top + 110, stroke: "#222", width: 2)
        svg.text(lx + 18, top + 114, "baseB (mean)")
        return svg.document
    }
}
