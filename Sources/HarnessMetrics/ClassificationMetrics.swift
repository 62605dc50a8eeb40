// How well predictions match labels: computed by the host alone, from labels it never shares.

public struct ClassificationMetrics: Codable, Equatable, Sendable {
    public var count: Int
    public var accuracy: Double
    public var error: Double { 1 - accuracy }
    /// Recall of each class: the fraction of its images classified correctly.
    public var perClassAccuracy: [Double]
    public var macroF1: Double
    /// confusion[true][predicted]
    public var confusion: [[Int]]

    public init(predictions: [Int], labels: [Int], classCount: Int) {
        precondition(predictions.count == labels.count, "one prediction per label")
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classCount), count: classCount)
        for (p, t) in zip(predictions, labels) { confusion[t][p] += 1 }
        let correct = (0..<classCount).reduce(0) { $0 + confusion[$1][$1] }
        count = labels.count
        accuracy = labels.isEmpty ? 0 : Double(correct) / Double(labels.count)
        perClassAccuracy = (0..<classCount).map { c in
            let n = confusion[c].reduce(0, +)
            return n == 0 ? 0 : Double(confusion[c][c]) / Double(n)
        }
        var f1Sum = 0.0
        for c in 0..<classCount {
            let tp = Double(confusion[c][c])
            let predicted = Double((0..<classCount).reduce(0) { $0 + confusion[$1][c] })
            let actual = Double(confusion[c].reduce(0, +))
            let precision = predicted > 0 ? tp / predicted : 0
            let recall = actual > 0 ? tp / actual : 0
            f1Sum += precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
        }
        macroF1 = classCount > 0 ? f1Sum / Double(classCount) : 0
        self.confusion = confusion
    }

    /// The classes predicted at least once.
    public var predictedClasses: [Int] { confusion.indices.filter { c in confusion.contains { $0[c] > 0 } } }

    /// Every image put in one class: a collapsed model (a diverged run, a dead network) that
    /// scores about chance and would otherwise pass as an ordinary result.
    public var isCollapsed: Bool { confusion.count > 1 && count > 1 && predictedClasses.count == 1 }
}
