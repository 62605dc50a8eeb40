// Timings on a shared machine drift by 10-25% between repeats, so the benchmark runs the engines
// alternately (A B A B ...) and reports the median of the per-pair ratios: a slow spell hits both
// members of a pair and cancels out of their ratio.

public struct RepeatedMeasurement: Codable, Equatable, Sendable {
    public var values: [Double]

    public init(_ values: [Double]) { self.values = values }

    public var median: Double { Self.median(values) }
    public var minimum: Double { values.min() ?? .nan }
    public var maximum: Double { values.max() ?? .nan }

    /// The median of the ratios of paired runs (self[i] / other[i]).
    public func pairedRatio(to other: RepeatedMeasurement) -> Double {
        precondition(values.count == other.values.count, "paired runs need equal repeats")
        return Self.median(zip(values, other.values).map { $0 / $1 })
    }

    public static func median(_ xs: [Double]) -> Double {
        guard !xs.isEmpty else { return .nan }
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
