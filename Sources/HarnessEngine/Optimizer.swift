// Minibatch SGD with momentum, weight decay (L2) and an L1 penalty, PyTorch's formulation:
//   g <- grad + decay_mult * (weight_decay * w + l1 * sign(w))
//   v <- momentum * v + g
//   w <- w - lr * lr_mult * v
// Frozen parameters (lr_mult 0) are skipped entirely, so they stay bit-identical.

public enum SGD {
    /// One update of every trainable parameter with the given rate and momentum.
    /// Weight decay and L1 come from `h`; the rate and momentum from the schedule at this step.
    public static func step(_ parameters: [Parameter], _ h: Hyperparameters, learningRate: Float, momentum: Float) {
        let weightDecay = Float(h.weightDecay), l1Penalty = Float(h.l1)
        for p in parameters where !p.isFrozen {
            let n = p.count
            if p.momentum.count != n { p.momentum = [Float](repeating: 0, count: n) }
            let w = p.valuePointer, g = p.gradientPointer
            let decay = weightDecay * p.decayMultiplier
            let l1 = l1Penalty * p.decayMultiplier
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
