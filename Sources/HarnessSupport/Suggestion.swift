// "Did you mean": the known name closest to a misspelt one, as swift-argument-parser does for
// flags, so a strategy, network or data-set name gets the same help.
public enum Suggestion {
    /// The known name equal to `name` but for case, else the one fewest edits away when that
    /// is few (at most a third of its length, and 3); nil when nothing is close.
    public static func closest(to name: String, among known: [String]) -> String? {
        let lower = name.lowercased()
        if let same = known.first(where: { $0.lowercased() == lower }) { return same }
        let limit = min(3, max(1, name.count / 3))
        let scored = known.map { ($0, distance(lower, $0.lowercased())) }.filter { $0.1 <= limit }
        return scored.min { $0.1 < $1.1 }?.0
    }

    /// " (did you mean 'x'?)", or nothing.
    public static func phrase(for name: String, among known: [String]) -> String {
        closest(to: name, among: known).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// Levenshtein distance: insertions, deletions and substitutions.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count), current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
