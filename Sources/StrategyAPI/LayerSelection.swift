// "Which layers": the first n, a range like 1-3, a list like 1,2,5 or conv1,fc7, or the last k
// ("last2"), numbered from 1 over the network's transfer units: its learnable layers as in Yosinski
// et al. (a convolution with its batch normalisation), or the stem and residual blocks of a ResNet.

public enum LayerSelection {
    /// The named layers, in network order. The classifier (last layer) is never selectable: its
    /// size belongs to the task.
    public static func parse(_ text: String, layers all: [String]) throws -> [String] {
        let choosable = Array(all.dropLast())
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        func fail() -> StrategyError {
            StrategyError("layers '\(text)': use a range like 1-3, a list like 1,2,5 or conv1,fc7, or last2; "
                          + "layers 1-\(choosable.count) are \(choosable.joined(separator: ", ")) (the classifier \(all.last ?? "") is never copied)")
        }
        if t.isEmpty || t == "none" { return [] }
        if t.hasPrefix("last"), let k = Int(t.dropFirst(4)), k >= 0, k <= choosable.count {
            return Array(choosable.suffix(k))
        }
        var chosen = Set<Int>()
        for part in t.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if let i = choosable.firstIndex(where: { $0.lowercased() == part }) {
                chosen.insert(i + 1)
            } else if let dash = part.firstIndex(of: "-"), let a = Int(part[..<dash]), let b = Int(part[part.index(after: dash)...]), a <= b {
                chosen.formUnion(a...b)
            } else if let n = Int(part) {
                chosen.insert(n)
            } else {
                throw fail()
            }
        }
        guard chosen.allSatisfy({ (1...choosable.count).contains($0) }) else { throw fail() }
        return chosen.sorted().map { choosable[$0 - 1] }
    }

    /// The first n units, checked against the network.
    public static func first(_ n: Int, of all: [String]) throws -> [String] {
        guard n >= 0, n < all.count else {
            throw StrategyError("n = \(n): must be between 0 and \(all.count - 1) (the network has \(all.count) transfer units, as harness networks numbers them; the classifier is never copied)")
        }
        return Array(all.prefix(n))
    }
}

#if canImport(Foundation)
import Foundation
#endif
