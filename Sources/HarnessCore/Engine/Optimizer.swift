// Minibatch SGD with momentum, weight decay (L2) and an L1 penalty, PyTorch's formulation:
//   g <- grad + decay_mult * (weight_decay * w + l1 * sign(w))
//   v <- momentum * v + g
//   w <- w - lr * lr_mult * v
// Frozen parameters (lr_mult 0) are skipped entirely, so they stay bit-identical.

public struct OptimizerSettings: Codable, Equatable, Sendable {
    public var learningRate: Float
    public var momentum: Float
    public var weightDecay: Float
    public var l1: Float

    public init(learningRate: Float = 0.05, momentum: Float = 0.9, weightDecay: Float = 5e-4, l1: Float = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.l1 = l1
    }
}

public enum SGD {
    /// One update of every trainable parameter with the given rate and momentum.
    public static func step(_ parameters: [Parameter], settings: OptimizerSettings, learningRate: Float, momentum: Float) {
        for p in parameters where !p.isFrozen {
            let n = p.count
            if p.momentum.count != n { p.momentum = [Float](repeating: 0, count: n) }
            let w = p.valuePointer, g = p.gradientPointer
            let decay = settings.weightDecay * p.decayMultiplier
            let l1 = settings.l1 * p.decayMultiplier
            let rate = learningRate * p.learningRateMultiplier
            p.momentum.withUnsafeMutableBufferPointer { v in
                for i in 0..<n {
                    var gi = g[i] + decay * w[i]
                    if l1 != 0 { gi += w[i] > 0 ? l1 : (w[i] < 0 ? -l1 : 0) }
                    v[i] = momentum * v[i] + gi
                    w[i] -= rate * v[i]
                }
            }
            p.markChanged()
        }
    }
}
