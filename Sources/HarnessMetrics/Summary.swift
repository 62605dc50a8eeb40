// Mean, spread and a 95% confidence interval of a metric over seeds.
import HarnessSupport

public struct Summary: Codable, Equatable, Sendable {
    public var n: Int
    public var mean: Double
    /// Sample standard deviation (n - 1 in the denominator); 0 for a single value.
    public var standardDeviation: Double
    /// Half-width of the 95% confidence interval of the mean, Student's t with n - 1 degrees of
    /// freedom (the right interval for the handful of seeds a comparison runs); nil for fewer
    /// than `minimumForInterval` values, where it says nothing (two seeds: 12.7 standard
    /// deviations either side).
    public var confidence95: Double?

    /// The 2.5th and 97.5th percentiles of the mean over 10,000 bootstrap resamples of the
    /// values (the percentile bootstrap; resamples drawn from a fixed seed, so the same values
    /// always give the same interval); nil below `minimumForInterval` values. With 3 seeds it
    /// has at most 10 distinct resampled means and is narrower than the t interval; it means
    /// something from about 10 seeds on (docs/guide.md).
    public var bootstrap95: [Double]?

    /// The fewest values an interval or a test is given for.
    public static let minimumForInterval = 3
    public static let bootstrapResamples = 10_000

    public init(_ values: [Double]) {
        n = values.count
        mean = values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
        if values.count > 1 {
            let m = mean
            let variance = values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)
            standardDeviation = variance.squareRoot()
            confidence95 = values.count < Self.minimumForInterval ? nil
                : Summary.tCritical95(degreesOfFreedom: values.count - 1) * standardDeviation / Double(values.count).squareRoot()
            bootstrap95 = values.count < Self.minimumForInterval ? nil : Self.percentileBootstrap(values)
        } else {
            standardDeviation = 0
            confidence95 = nil
        }
    }

    /// The percentile bootstrap's 95% interval of the mean of `values`.
    static func percentileBootstrap(_ values: [Double]) -> [Double] {
        var g = SeededGenerator(seed: 95, stream: "bootstrap")
        let n = values.count
        let means = (0..<bootstrapResamples).map { _ in
            (0..<n).reduce(0.0) { sum, _ in sum + values[Int(g.next() % UInt64(n))] } / Double(n)
        }.sorted()
        func percentile(_ p: Double) -> Double { means[min(means.count - 1, max(0, Int((p * Double(means.count - 1)).rounded())))] }
        return [percentile(0.025), percentile(0.975)]
    }

    /// The two-sided 95% critical value of Student's t with `df` degrees of freedom, exactly: the
    /// t where the two-sided p-value is 0.05, by bisection on the same incomplete beta the
    /// paired test uses (no table, no jump to 1.96 past 30).
    public static func tCritical95(degreesOfFreedom df: Int) -> Double { tCritical(twoSided: 0.05, degreesOfFreedom: df) }

    public static func tCritical(twoSided alpha: Double, degreesOfFreedom df: Int) -> Double {
        precondition(df >= 1 && alpha > 0 && alpha < 1)
        var lo = 0.0, hi = 1e6
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if PairedTTest.twoSidedP(t: mid, degreesOfFreedom: Double(df)) > alpha { lo = mid } else { hi = mid }
            if hi - lo < 1e-12 { break }
        }
        return (lo + hi) / 2
    }
}
