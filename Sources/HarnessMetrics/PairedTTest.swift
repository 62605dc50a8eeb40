// Is strategy X better than the baseline, beyond seed-to-seed noise? A paired t-test over seeds:
// both ran on the same target images at each seed, so the differences d_i are what vary.

public struct PairedTTest: Codable, Equatable, Sendable {
    public var pairs: Int
    public var meanDifference: Double
    /// Two-sided p-value; nil with fewer than 3 pairs (too few to say anything), or when every
    /// difference is identical (no variance: t is undefined, not infinite), which `identical` says.
    public var pValue: Double?
    /// Every pair differed by the same amount.
    public var identical = false

    public init(_ a: [Double], _ b: [Double]) {
        precondition(a.count == b.count, "paired samples")
        let d = zip(a, b).map { $0 - $1 }
        pairs = d.count
        meanDifference = d.isEmpty ? .nan : d.reduce(0, +) / Double(d.count)
        guard d.count >= Summary.minimumForInterval else { pValue = nil; return }
        let m = meanDifference
        let sd = (d.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(d.count - 1)).squareRoot()
        guard sd > 0 else { pValue = nil; identical = true; return }
        let t = m / (sd / Double(d.count).squareRoot())
        pValue = PairedTTest.twoSidedP(t: t, degreesOfFreedom: Double(d.count - 1))
    }

    /// Holm's step-down adjustment of p-values for comparing several strategies with one
    /// baseline: the i-th smallest of m is multiplied by m - i + 1, kept non-decreasing and at
    /// most 1. nil entries (no test) are left out of m and stay nil.
    public static func holm(_ p: [Double?]) -> [Double?] {
        let tested = p.enumerated().compactMap { i, v in v.map { (i, $0) } }.sorted { $0.1 < $1.1 }
        let m = tested.count
        var out = [Double?](repeating: nil, count: p.count)
        var running = 0.0
        for (rank, (i, v)) in tested.enumerated() {
            running = max(running, min(1, Double(m - rank) * v))
            out[i] = running
        }
        return out
    }

    /// P(|T| >= |t|) for Student's t: the regularised incomplete beta I_x(df/2, 1/2), x = df/(df+t^2).
    static func twoSidedP(t: Double, degreesOfFreedom v: Double) -> Double {
        incompleteBeta(a: v / 2, b: 0.5, x: v / (v + t * t))
    }

    /// Regularised incomplete beta function by its continued fraction (modified Lentz).
    static func incompleteBeta(a: Double, b: Double, x: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(1 - x))
        // The fraction converges fast for x < (a+1)/(a+b+2); use the symmetry otherwise.
        if x > (a + 1) / (a + b + 2) { return 1 - incompleteBeta(a: b, b: a, x: 1 - x) }
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var f = d
        for m in 1...300 {
            let m = Double(m)
            var num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + num * d; if abs(d) < tiny { d = tiny }
            c = 1 + num / c; if abs(c) < tiny { c = tiny }
            d = 1 / d; f *= d * c
            num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + num * d; if abs(d) < tiny { d = tiny }
            c = 1 + num / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            f *= delta
            if abs(delta - 1) < 1e-14 { break }
        }
        return front * f / a
    }
}

#if canImport(Glibc)
import Glibc
#endif
