// Plain-text tables for terminals: every column padded to its widest cell, two spaces apart.

public enum TextTable {
    /// The header and rows as lines; columns in `leftAligned` are padded on the right, the others
    /// (numbers) on the left. `rule` adds a line of dashes under the header.
    public static func lines(_ header: [String], _ rows: [[String]], leftAligned: Set<Int>, rule: Bool = false) -> [String] {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { i < $0.count ? $0[i].count : 0 }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).enumerated().map { i, cell in
                let pad = String(repeating: " ", count: max(0, cell.1 - cell.0.count))
                return leftAligned.contains(i) ? cell.0 + pad : pad + cell.0
            }.joined(separator: "  ")
        }
        return [line(header)] + (rule ? [widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")] : []) + rows.map(line)
    }
}
