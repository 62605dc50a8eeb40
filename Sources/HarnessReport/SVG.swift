// Plain SVG figures, drawn from numbers alone: no plotting library exists for Swift on Linux in
// the package mirror, and these three charts need little more than rectangles, lines and text.
import Foundation

struct SVG {
    let width: Double, height: Double
    private var body: [String] = []

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }

    mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, title: String? = nil) {
        body.append(String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\">", x, y, max(w, 0), max(h, 0), fill)
                    + (title.map { "<title>\(SVG.escape($0))</title>" } ?? "") + "</rect>")
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String = "#333", width: Double = 1, dashed: Bool = false) {
        body.append(String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%@\" stroke-width=\"%.1f\"%@/>", x1, y1, x2, y2, stroke, width,
                           dashed ? " stroke-dasharray=\"6 4\"" : ""))
    }

    /// A small filled triangle pointing up or down at (x, y): a whisker cut at the axis.
    mutating func arrowhead(_ x: Double, _ y: Double, up: Bool, fill: String = "#111") {
        let d = up ? -7.0 : 7.0
        body.append(String(format: "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"%@\"/>", x, y + d, x - 5, y, x + 5, y, fill))
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 2) {
        let p = points.map { String(format: "%.1f,%.1f", $0.0, $0.1) }.joined(separator: " ")
        body.append("<polyline points=\"\(p)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(width)\"/>")
    }

    mutating func circle(_ x: Double, _ y: Double, _ r: Double, fill: String) {
        body.append(String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%@\"/>", x, y, r, fill))
    }

    mutating func text(_ x: Double, _ y: Double, _ s: String, anchor: String = "start", size: Double = 12, rotate: Double = 0, fill: String = "#222") {
        let transform = rotate != 0 ? String(format: " transform=\"rotate(%.0f %.1f %.1f)\"", rotate, x, y) : ""
        body.append(String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.0f\" text-anchor=\"%@\" fill=\"%@\" font-family=\"sans-serif\"%@>", x, y, size, anchor, fill, transform)
                    + SVG.escape(s) + "</text>")
    }

    var document: String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
            + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>" + body.joined() + "</svg>"
    }

    /// The heat maps' colour for a value in 0...1: white at 0, deep blue at 1, linear between.
    static func heat(_ t: Double) -> String {
        let t = max(0, min(1, t))
        return String(format: "rgb(%d,%d,%d)", Int(255 - 200 * t), Int(255 - 140 * t), Int(255 - 60 * t))
    }

    /// Colours that stay distinguishable (Tableau 10).
    static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]

    /// Round axis ticks covering [low, high].
    static func ticks(_ low: Double, _ high: Double, count: Int = 5) -> [Double] {
        let span = max(high - low, 1e-9)
        let raw = span / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var t = (low / step).rounded(.up) * step, out: [Double] = []
        while t <= high + step * 1e-9 { out.append(t); t += step }
        return out
    }
}
