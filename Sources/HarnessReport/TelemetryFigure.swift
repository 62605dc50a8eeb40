// How each layer's weights moved during one training run: the distance from the starting weights
// (the source's, for a transferred layer) and the size of each epoch's update, per layer.
import HarnessEngine

public enum TelemetryFigure {
    public static func svg(title: String, epochs: [EpochRecord]) -> String {
        let records = epochs.filter { $0.layers != nil }
        let layers = records.first?.layers?.map(\.layer) ?? []
        let panelW = 460.0, panelH = 340.0, (left, top, bottom) = (70.0, 50.0, 50.0)
        var svg = SVG(width: panelW * 2 + 140, height: panelH)
        svg.text(10, 20, title, size: 13)
        let series: [(String, (LayerTelemetry) -> Double)] = [
            ("distance from the starting weights ||W − W0||", { $0.distanceFromStart }),
            ("size of the epoch's update ||ΔW||", { $0.update }),
        ]
        for (p, (label, value)) in series.enumerated() {
            let x0 = Double(p) * panelW + left, plotW = panelW - left - 20, plotH = panelH - top - bottom
            let all = records.flatMap { $0.layers!.map(value) }
            let hi = max(all.max() ?? 1, 1e-9) * 1.05
            func x(_ e: Int) -> Double { x0 + plotW * (records.count > 1 ? Double(e) / Double(records.count - 1) : 0.5) }
            func y(_ v: Double) -> Double { top + plotH * (1 - v / hi) }
            for t in SVG.ticks(0, hi) {
                svg.line(x0, y(t), x0 + plotW, y(t), stroke: "#eee")
                svg.text(x0 - 6, y(t) + 4, String(format: "%.3g", t), anchor: "end", size: 10)
            }
            for e in records.indices { svg.text(x(e), top + plotH + 16, "\(e + 1)", anchor: "middle", size: 10) }
            svg.text(x0 + plotW / 2, panelH - 12, "epoch (of every network trained, in order)", anchor: "middle", size: 11)
            svg.text(x0, top - 10, label, size: 12)
            for (i, layer) in layers.enumerated() {
                let points = records.enumerated().compactMap { e, r in r.layers?.first { $0.layer == layer }.map { (x(e), y(value($0))) } }
                svg.polyline(points, stroke: SVG.palette[i % SVG.palette.count], width: 2)
            }
            svg.line(x0, top + plotH, x0 + plotW, top + plotH)
        }
        for (i, layer) in layers.enumerated() {
            svg.rect(panelW * 2 + 10, top + Double(i) * 20, 12, 12, fill: SVG.palette[i % SVG.palette.count])
            let frozen = records.first?.layers?.first { $0.layer == layer }?.frozen ?? false
            svg.text(panelW * 2 + 28, top + Double(i) * 20 + 10, layer + (frozen ? " (frozen)" : ""), size: 12)
        }
        return svg.document
    }
}
