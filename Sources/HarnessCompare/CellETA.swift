// How long a phase of cells still needs, from the cells' own measured durations spread over the
// cells that run at once. A wall clock started with the phase once counted the source network's
// training (it runs first, with its own ETA) as if it were the first cell's, and said
// "ETA 76m58s" with 20 s left.
public struct CellETA: Sendable {
    public let total: Int
    /// Cells that run side by side.
    public let jobs: Int
    private var durations: [Double] = []

    public init(total: Int, jobs: Int) {
        self.total = total
        self.jobs = max(1, jobs)
    }

    /// A cell finished after `seconds` of its own (the worker's measure, from its start).
    public mutating func finished(seconds: Double) { durations.append(max(0, seconds)) }

    public var done: Int { durations.count }

    /// Seconds left: the mean cell's duration times the cells left, over the jobs; nil before the
    /// first cell finishes.
    public var remainingSeconds: Double? {
        guard !durations.isEmpty else { return nil }
        let mean = durations.reduce(0, +) / Double(durations.count)
        let left = max(0, total - durations.count)
        return mean * Double(left) / Double(min(jobs, max(left, 1)))
    }
}
