// Learning-rate schedules, evaluated per step. `base` is the peak rate for one-cycle.

public enum LearningRateSchedule: Hashable, Sendable, CustomStringConvertible {
    case constant
    /// Multiply by `gamma` every `every` epochs (Caffe's `step` policy).
    case step(every: Int, gamma: Float)
    /// Cosine decay from the base rate to zero.
    case cosine
    /// Smith's one-cycle policy as PyTorch's OneCycleLR defaults it: warm up from base/25 to base
    /// over the first 30% of steps, anneal to base/25e4, both on cosines, while momentum cycles
    /// 0.95 -> 0.85 -> 0.95.
    case oneCycle

    /// Parses `constant`, `cosine`, `onecycle`, `step:EPOCHS:GAMMA` (e.g. `step:3:0.1`).
    public init?(_ text: String) {
        let parts = text.lowercased().split(separator: ":").map(String.init)
        switch parts.first {
        case "constant" where parts.count == 1: self = .constant
        case "cosine" where parts.count == 1: self = .cosine
        case "onecycle" where parts.count == 1, "one-cycle" where parts.count == 1: self = .oneCycle
        case "step" where parts.count == 3:
            guard let e = Int(parts[1]), e > 0, let g = Float(parts[2]), g > 0 else { return nil }
            self = .step(every: e, gamma: g)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .constant: return "constant"
        case let .step(e, g): return "step:\(e):\(g)"
        case .cosine: return "cosine"
        case .oneCycle: return "onecycle"
        }
    }

    /// Rate and momentum for step `step` (0-based) of `total`.
    public func values(base: Float, momentum: Float, step: Int, total: Int, stepsPerEpoch: Int) -> (rate: Float, momentum: Float) {
        let t = total > 1 ? Float(step) / Float(total - 1) : 1
        func cosineBetween(_ a: Float, _ b: Float, _ f: Float) -> Float { b + (a - b) * (1 + cos(Float.pi * f)) / 2 }
        switch self {
        case .constant:
            return (base, momentum)
        case let .step(every, gamma):
            let epoch = step / max(stepsPerEpoch, 1)
            return (base * pow(gamma, Float(epoch / every)), momentum)
        case .cosine:
            return (cosineBetween(base, 0, t), momentum)
        case .oneCycle:
            let warm: Float = 0.3
            let start = base / 25, end = start / 1e4
            if t < warm {
                let f = t / warm
                return (cosineBetween(start, base, f), cosineBetween(0.95, 0.85, f))
            }
            let f = (t - warm) / (1 - warm)
            return (cosineBetween(base, end, f), cosineBetween(0.85, 0.95, f))
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
