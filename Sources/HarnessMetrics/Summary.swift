// Mean, spread and a 95% confidence interval of a metric over seeds.

public struct Summary: Codable, Equatable, Sendable {
    public var n: Int
    public var mean: Double
    /// Sample standard deviation (n - 1 in the denominator); 0 for a single value.
    public var standardDeviation: Double
    /// Half-width of the 95% confidence interval of the mean, Student's t with n - 1 degrees of
    /// freedom (the right interval for the handful of seeds a comparison runs); nil for n < 2.
    public var confidence95: Double?

    public init(_ values: [Double]) {
        n = values.count
        mean = values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
        if values.count > 1 {
            let m = mean
            let variance = values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)
            standardDeviation = variance.squareRoot()
            confidence95 = Summary.tCritical95(degreesOfFreedom: values.count - 1) * standardDeviation / Double(values.count).squareRoot()
        } else {
            standardDeviation = 0
            confidence95 = nil
        }
    }

    /// Two-sided 95% critical values of Student's t (standard tables), normal beyond 30.
    static func tCritical95(degreesOfFreedom df: Int) -> Double {
        let table: [Double] = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                               2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                               2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]
        precondition(df >= 1)
        return df <= table.count ? table[df - 1] : 1.960
    }
}
