// Distances between the feature distributions of two domains, with their gradients: what
// adaptation-layer methods add to the classification loss (loss = classification + lambda x
// distance). Features are plain row-major matrices, one row per image.
//
// - MMD (Gretton et al. 2012) with a family of Gaussian kernels: DDC (Tzeng et al. 2014) uses
//   one layer, DAN (Long et al. 2015) several layers and several bandwidths. The biased
//   estimator over one batch of each domain:
//     MMD^2 = mean k(s, s') + mean k(t, t') - 2 mean k(s, t),  k = sum_u exp(-|x - y|^2 / (2 sigma_u^2)).
//   Bandwidths are constants of a step: DAN and tllib take them from the batch's mean squared
//   distance and do not differentiate through that choice, and neither does this.
// - CORAL (Sun & Saenko 2016): the squared Frobenius distance of the two feature covariances,
//     CORAL = |C_s - C_t|_F^2 / (4 d^2).

import Foundation

/// A matrix of features: `rows` images x `width` values, row-major.
public struct FeatureRows {
    public var values: [Float]
    public var rows: Int
    public var width: Int

    public init(_ values: [Float], rows: Int, width: Int) {
        precondition(values.count == rows * width, "\(values.count) values for \(rows) x \(width)")
        self.values = values
        self.rows = rows
        self.width = width
    }

    subscript(row: Int) -> ArraySlice<Float> { values[(row * width)..<((row + 1) * width)] }
}

/// A distance's value and its gradient with respect to each domain's features.
public struct DomainDistanceResult {
    public var value: Double
    public var sourceGradient: [Float]
    public var targetGradient: [Float]
}

public enum MMDBandwidths: Equatable, Sendable {
    /// sigma^2 = multiplier x the mean squared distance between all rows of the batch (DAN's
    /// family is 2^-2 ... 2^2).
    case relative([Double])
    /// Fixed sigma^2 values.
    case fixed([Double])

    public static let dan = MMDBandwidths.relative([0.25, 0.5, 1, 2, 4])
}

public enum DomainDistance {
    /// Multi-kernel MMD^2 between source and target rows, and its gradients.
    public static func mmd(source s: FeatureRows, target t: FeatureRows, bandwidths: MMDBandwidths = .dan) -> DomainDistanceResult {
        precondition(s.width == t.width && s.rows > 0 && t.rows > 0)
        // Squared distances between every pair of rows of the joint batch, in double precision.
        let n = s.rows + t.rows, d = s.width
        func row(_ i: Int) -> ArraySlice<Float> { i < s.rows ? s[i] : t[i - s.rows] }
        var sq = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            let a = row(i)
            for j in (i + 1)..<n {
                let b = row(j)
                var sum = 0.0
                for (x, y) in zip(a, b) { let diff = Double(x - y); sum += diff * diff }
                sq[i * n + j] = sum
                sq[j * n + i] = sum
            }
        }
        let sigmas: [Double]
        switch bandwidths {
        case let .fixed(values): sigmas = values
        case let .relative(multipliers):
            let mean = sq.reduce(0, +) / Double(max(n * n - n, 1))
            sigmas = multipliers.map { $0 * max(mean, 1e-12) }
        }
        // Weight of pair (i, j) in the estimator: +1/ns^2 within the source, +1/nt^2 within the
        // target, -2/(ns nt) across (each ordered pair counted, as the means over all pairs do).
        let ws = 1 / Double(s.rows * s.rows), wt = 1 / Double(t.rows * t.rows), wst = -1 / Double(s.rows * t.rows)
        func weight(_ i: Int, _ j: Int) -> Double {
            let si = i < s.rows, sj = j < s.rows
            return si && sj ? ws : (!si && !sj ? wt : wst)
        }
        var value = 0.0
        var gradient = [Double](repeating: 0, count: n * d)
        for i in 0..<n {
            for j in 0..<n {
                let w = weight(i, j)
                var k = 0.0, dk = 0.0  // k(i, j) and -d k / d(sq distance) summed over kernels
                for sigma in sigmas {
                    let e = exp(-sq[i * n + j] / (2 * sigma))
                    k += e
                    dk += e / (2 * sigma)
                }
                value += w * k
                guard i != j else { continue }
                // x_i appears in the pairs (i, j) and (j, i), equal terms: d/dx_i of both is
                // 2 w dk(i, j)/dx_i = 2 w (-dk) 2 (x_i - x_j).
                let a = row(i), b = row(j)
                let scale = -4 * w * dk
                for (c, (x, y)) in zip(a, b).enumerated() { gradient[i * d + c] += scale * Double(x - y) }
            }
        }
        let g = gradient.map { Float($0) }
        return DomainDistanceResult(value: value, sourceGradient: Array(g[..<(s.rows * d)]), targetGradient: Array(g[(s.rows * d)...]))
    }

    /// CORAL: |C_s - C_t|_F^2 / (4 d^2), C the unbiased covariance of each domain's rows.
    public static func coral(source s: FeatureRows, target t: FeatureRows) -> DomainDistanceResult {
        precondition(s.width == t.width && s.rows > 1 && t.rows > 1, "CORAL needs at least 2 rows per domain")
        let d = s.width
        func centred(_ x: FeatureRows) -> [Double] {
            var mean = [Double](repeating: 0, count: d)
            for r in 0..<x.rows { for c in 0..<d { mean[c] += Double(x.values[r * d + c]) } }
            for c in 0..<d { mean[c] /= Double(x.rows) }
            var out = [Double](repeating: 0, count: x.rows * d)
            for r in 0..<x.rows { for c in 0..<d { out[r * d + c] = Double(x.values[r * d + c]) - mean[c] } }
            return out
        }
        func covariance(_ xc: [Double], rows: Int) -> [Double] {
            var cov = [Double](repeating: 0, count: d * d)
            for r in 0..<rows {
                for a in 0..<d {
                    let xa = xc[r * d + a]
                    guard xa != 0 else { continue }
                    for b in 0..<d { cov[a * d + b] += xa * xc[r * d + b] }
                }
            }
            return cov.map { $0 / Double(rows - 1) }
        }
        let xs = centred(s), xt = centred(t)
        let difference = zip(covariance(xs, rows: s.rows), covariance(xt, rows: t.rows)).map { $0 - $1 }
        let scale = 1 / (4 * Double(d * d))
        let value = difference.reduce(0) { $0 + $1 * $1 } * scale
        // dL/dX = 2/(n-1) Xc (dL/dC) with dL/dC = 2 scale (C_s - C_t), symmetric; the centring
        // adds nothing, as the rows of Xc sum to zero.
        func gradient(_ xc: [Double], rows: Int, sign: Double) -> [Float] {
            var g = [Float](repeating: 0, count: rows * d)
            let k = sign * 4 * scale / Double(rows - 1)
            for r in 0..<rows {
                for b in 0..<d {
                    var sum = 0.0
                    for a in 0..<d { sum += xc[r * d + a] * difference[a * d + b] }
                    g[r * d + b] = Float(k * sum)
                }
            }
            return g
        }
        return DomainDistanceResult(value: value, sourceGradient: gradient(xs, rows: s.rows, sign: 1),
                                    targetGradient: gradient(xt, rows: t.rows, sign: -1))
    }
}
