// Extra terms in the training loss, for conservation training: keep a fine-tuned network close
// to its source. The trainer calls the hooks around each step; a penalty adds its gradient.

public protocol Penalty: AnyObject {
    /// Before the first step (e.g. to adjust weight decay); `end` undoes it.
    func begin(_ network: Network) throws
    func end(_ network: Network)
    /// After the forward pass; returns the penalty's value on this batch.
    func afterForward(_ network: Network) -> Double
    /// After the backward pass: adds the penalty's parameter gradients; returns its value.
    func addGradients(to network: Network) -> Double
    /// The layer whose output the penalty reads, if any: a frozen prefix must end before it,
    /// since its outputs are then loaded, not computed.
    func readLayer(in network: Network) -> Int?
}

extension Penalty {
    public func begin(_ network: Network) throws {}
    public func end(_ network: Network) {}
    public func afterForward(_ network: Network) -> Double { 0 }
    public func addGradients(to network: Network) -> Double { 0 }
    public func readLayer(in network: Network) -> Int? { nil }
}

/// L2-SP (Li, Grandvalet & Davoine 2018): alpha/2 * ||w - w_source||^2 on every weight tensor the
/// network shares with the anchor by name and shape, in place of plain weight decay on them;
/// new layers (a fresh classifier) keep ordinary weight decay.
public final class L2SP: Penalty {
    let anchor: Network
    let alpha: Float
    private var pairs: [(Parameter, Parameter)] = []
    private var savedDecay: [Float] = []

    public init(anchor: Network, alpha: Float) {
        self.anchor = anchor
        self.alpha = alpha
    }

    public func begin(_ network: Network) throws {
        let anchored = Dictionary(anchor.parameters.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        pairs = network.parameters.compactMap { p in
            guard p.decayMultiplier != 0, let q = anchored[p.name], q.shape == p.shape else { return nil }
            return (p, q)
        }
        savedDecay = pairs.map(\.0.decayMultiplier)
        for (p, _) in pairs { p.decayMultiplier = 0 }
    }

    public func end(_ network: Network) {
        for ((p, _), d) in zip(pairs, savedDecay) { p.decayMultiplier = d }
    }

    public func addGradients(to network: Network) -> Double {
        var value = 0.0
        for (p, q) in pairs where !p.isFrozen {
            let w = p.valuePointer, w0 = q.valuePointer, g = p.gradientPointer
            var sum: Float = 0
            for i in 0..<p.count {
                let d = w[i] - w0[i]
                g[i] += alpha * d
                sum += d * d
            }
            value += Double(alpha / 2 * sum)
        }
        return value
    }
}

/// Feature distillation: weight/2 * mean over the batch of ||f(x) - f_anchor(x)||^2 at one layer's
/// output (e.g. relu7), pulling the network's representation toward the source network's.
public final class FeatureDistillation: Penalty {
    let anchor: Network
    let weight: Float
    let layer: String
    private var index = 0
    private var difference: [Float] = []
    private var tap = 0

    public init(anchor: Network, layer: String, weight: Float) {
        self.anchor = anchor
        self.layer = layer
        self.weight = weight
    }

    public func readLayer(in network: Network) -> Int? { try? network.layerIndex(layer) }

    public func begin(_ network: Network) throws {
        index = try network.layerIndex(layer)
        guard try anchor.layerIndex(layer) == index,
              network.spec.layers[...index] == anchor.spec.layers[...index] else {
            throw EngineError.layersDiffer("distillation at \(layer) needs the anchor network to have the same layers up to it")
        }
        tap = network.addGradientTap(layer: index) { [unowned self] g in
            self.difference.withUnsafeBufferPointer { d in for i in 0..<d.count { g[i] += d[i] } }
        }
    }

    public func end(_ network: Network) { network.removeGradientTap(tap) }

    public func afterForward(_ network: Network) -> Double {
        let batch = network.batchSize
        anchor.prepare(batch: batch)
        anchor.inputBuffer.update(from: network.inputBuffer, count: batch * network.imageSize)
        for l in anchor.layers[...index] { l.forward(training: false) }
        // Same spec and batch size, so oneDNN chose the same layouts: compare storage directly.
        let mine = network.layers[index].output!, theirs = anchor.layers[index].output!
        precondition(mine.desc.sameLayout(as: theirs.desc), "anchor and network layouts differ at \(layer)")
        let n = mine.storageCount
        if difference.count != n { difference = [Float](repeating: 0, count: n) }
        var sum: Float = 0
        let scale = weight / Float(batch)
        difference.withUnsafeMutableBufferPointer { d in
            for i in 0..<n {
                let diff = mine.floats[i] - theirs.floats[i]
                sum += diff * diff
                d[i] = scale * diff
            }
        }
        return Double(weight / 2 * sum / Float(batch))
    }
}
