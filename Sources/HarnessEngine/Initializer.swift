// How a layer's weights start. Biases always start at zero.
import HarnessSupport

public enum Initializer: Equatable, Sendable, CustomStringConvertible {
    /// Glorot & Bengio: uniform in ±sqrt(6 / (fan_in + fan_out)).
    case xavier
    /// He et al.: normal with standard deviation sqrt(2 / fan_in); suits ReLU networks.
    case he
    /// Normal with a given standard deviation (Caffe's `gaussian` filler; AlexNet used 0.01).
    case gaussian(sigma: Float)
    case constant(Float)

    /// Parses `xavier`, `he`, `gaussian:0.01`, `constant:0`.
    public init?(_ text: String) {
        let parts = text.lowercased().split(separator: ":", maxSplits: 1).map(String.init)
        switch (parts.first ?? "", parts.count > 1 ? Float(parts[1]) : nil) {
        case ("xavier", nil), ("glorot", nil): self = .xavier
        case ("he", nil), ("kaiming", nil): self = .he
        // Non-finite values would make a network that still "predicts" (class 0 for everything).
        case ("gaussian", let s?) where s > 0 && s.isFinite: self = .gaussian(sigma: s)
        case ("constant", let v?) where v.isFinite: self = .constant(v)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .xavier: return "xavier"
        case .he: return "he"
        case let .gaussian(s): return "gaussian:\(s)"
        case let .constant(v): return "constant:\(v)"
        }
    }

    /// Fills a weight tensor of the given plain shape (out, in, kh, kw) or (out, in).
    func fill(_ values: UnsafeMutablePointer<Float>, shape: [Int], using generator: inout SeededGenerator) {
        let count = shape.reduce(1, *)
        let receptive = shape.dropFirst(2).reduce(1, *)
        let fanIn = Float(shape.count > 1 ? shape[1] * receptive : count)
        let fanOut = Float(shape[0] * receptive)
        switch self {
        case .xavier:
            let a = (6 / (fanIn + fanOut)).squareRoot()
            for i in 0..<count { values[i] = (2 * generator.nextUnit() - 1) * a }
        case .he:
            let s = (2 / fanIn).squareRoot()
            for i in 0..<count { values[i] = generator.nextGaussian() * s }
        case let .gaussian(sigma):
            for i in 0..<count { values[i] = generator.nextGaussian() * sigma }
        case let .constant(v):
            values.update(repeating: v, count: count)
        }
    }
}
