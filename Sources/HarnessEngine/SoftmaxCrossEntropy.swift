// Softmax cross-entropy over a (batch, classes) matrix of logits: the training loss.

public enum SoftmaxCrossEntropy {
    /// Mean loss over the first `count` rows, and its gradient with respect to the logits written
    /// into `gradient` (rows past `count`, padding of a short last batch, get zero gradient).
    /// Returns the loss and how many rows were classified correctly.
    @discardableResult
    public static func lossAndGradient(logits: UnsafePointer<Float>, labels: UnsafeBufferPointer<Int32>,
                                       count: Int, rows: Int, classes: Int,
                                       gradient: UnsafeMutablePointer<Float>) -> (loss: Double, correct: Int) {
        var loss = 0.0
        var correct = 0
        let scale = 1 / Float(count)
        for r in 0..<rows {
            let z = logits + r * classes
            let g = gradient + r * classes
            guard r < count else {
                g.update(repeating: 0, count: classes)
                continue
            }
            var maxZ = z[0], argmax = 0
            for c in 1..<classes where z[c] > maxZ { maxZ = z[c]; argmax = c }
            var sum: Float = 0
            for c in 0..<classes {
                let e = expf(z[c] - maxZ)
                g[c] = e
                sum += e
            }
            let label = Int(labels[r])
            for c in 0..<classes { g[c] = g[c] / sum * scale }
            g[label] -= scale
            loss += Double(logf(sum) + maxZ - z[label])
            if argmax == label { correct += 1 }
        }
        return (loss / Double(count), correct)
    }
}

#if canImport(Glibc)
import Glibc
#endif
