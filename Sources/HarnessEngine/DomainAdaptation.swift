// Training on two domains at once, as adaptation methods do: every step's batch is B labelled
// source images followed by B unlabelled target images. The classification loss reads the first
// B rows only; each domain loss term compares the two halves' features at a chosen layer and
// adds lambda x its gradient there (DDC and DAN: MMD; Deep CORAL: CORAL; DANN: a discriminator
// behind gradient reversal). Batch normalisation sees the joint batch, as in tllib and DomainBed.
import CDNNL
import Foundation
import HarnessData

public struct DomainLossTerm: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        case mmd(MMDBandwidths)
        case coral
        /// DANN (Ganin et al. 2016): a discriminator (two hidden layers of this width, ReLU) learns
        /// to tell the domains apart from the features; the features learn to fool it, through a
        /// gradient-reversal layer.
        case adversarial(hidden: Int)
    }

    public var kind: Kind
    /// A layer name of the network, a unit's name (a block means its output), or "penultimate".
    public var layer: String
    /// lambda: the term's weight in the loss.
    public var weight: Double
    /// DANN's ramp: lambda x (2 / (1 + exp(-10 p)) - 1) at training progress p, from 0 to lambda.
    public var warmUp: Bool

    public init(_ kind: Kind, layer: String = Network.penultimate, weight: Double, warmUp: Bool = false) {
        self.kind = kind
        self.layer = layer
        self.weight = weight
        self.warmUp = warmUp
    }

    /// The weight at progress p in [0, 1].
    public func lambda(progress p: Double) -> Double {
        warmUp ? weight * (2 / (1 + exp(-10 * p)) - 1) : weight
    }
}

/// The target side of an adaptation run: unlabelled images (their labels are never read) and the
/// loss terms that pull the domains together.
public struct DomainAdaptation {
    public var target: ImageSet
    public var terms: [DomainLossTerm]

    public init(target: ImageSet, terms: [DomainLossTerm]) {
        self.target = target
        self.terms = terms
    }
}

/// A layer's output as plain rows, and a way to add a plain gradient back into its output
/// gradient, whatever layout oneDNN chose for it. Rebuilt when the network rebuilds its kernels.
final class FeatureTap {
    let index: Int
    private weak var built: DNNLMemory?
    private var plain: Relayout!
    private var back: DNNLPrimitive?
    private var plainGradient: DNNLMemory!
    private var layoutGradient: DNNLMemory?
    private(set) var rows = 0, width = 0

    init(_ index: Int) { self.index = index }

    private func refresh(_ network: Network) {
        let out = network.layers[index].output!
        guard built !== out else { return }
        built = out
        let shape = out.desc.shape
        rows = shape[0]
        width = shape.dropFirst().reduce(1, *)
        plain = Relayout(from: out, as: .plain(shape))
        plainGradient = DNNLMemory(.plain(shape))
        if plain.isIdentity {
            back = nil
            layoutGradient = nil
        } else {
            back = DNNLPrimitive(reorderFrom: .plain(shape), to: out.desc)
            layoutGradient = DNNLMemory(out.desc)
        }
    }

    /// Every row of the layer's output after the last forward pass.
    func read(_ network: Network) -> [Float] {
        refresh(network)
        plain.run()
        return Array(UnsafeBufferPointer(start: plain.target.floats, count: rows * width))
    }

    /// The gradient `add` will add, plain rows x width.
    func setGradient(_ g: [Float]) {
        g.withUnsafeBufferPointer { plainGradient.floats.update(from: $0.baseAddress!, count: g.count) }
        if let back, let layoutGradient { back.execute([(DNNL_ARG_FROM, plainGradient), (DNNL_ARG_TO, layoutGradient)]) }
    }

    /// Adds the gradient into the layer's output-gradient storage (same layout as its output).
    func add(into g: UnsafeMutablePointer<Float>) { (layoutGradient ?? plainGradient).accumulate(into: g) }
}

/// One term during training: reads the features after forward, leaves lambda x its gradient for
/// the backward pass, and (adversarial) trains its discriminator after each step.
final class ActiveDomainLoss {
    let term: DomainLossTerm
    private let tap: FeatureTap
    private var tapID = 0
    private var discriminator: DomainDiscriminator?

    init(_ term: DomainLossTerm, network: Network, seed: UInt64) throws {
        self.term = term
        let index = try network.layerIndex(term.layer)
        tap = FeatureTap(index)
        if case let .adversarial(hidden) = term.kind {
            guard hidden >= 1 else { throw EngineError.badArgument(call: "adversarial loss term", reason: "the discriminator needs at least 1 hidden unit, not \(hidden)") }
            let width = try network.spec.validatedShapes()[index].reduce(1, *)
            discriminator = try DomainDiscriminator(features: width, hidden: hidden, seed: seed)
        }
    }

    func begin(_ network: Network) {
        tapID = network.addGradientTap(layer: tap.index) { [unowned self] g in self.tap.add(into: g) }
    }

    func end(_ network: Network) { network.removeGradientTap(tapID) }

    /// The term's weighted value on this batch, its gradient left for backward. The first
    /// `sourceRows` rows are the source's, the rest the target's.
    func afterForward(_ network: Network, sourceRows: Int, progress: Double) throws -> Double {
        let values = tap.read(network), width = tap.width, rows = tap.rows
        let lambda = term.lambda(progress: progress)
        let source = FeatureRows(Array(values[..<(sourceRows * width)]), rows: sourceRows, width: width)
        let target = FeatureRows(Array(values[(sourceRows * width)...]), rows: rows - sourceRows, width: width)
        let result: DomainDistanceResult
        switch term.kind {
        case let .mmd(bandwidths):
            result = DomainDistance.mmd(source: source, target: target, bandwidths: bandwidths)
        case .coral:
            result = DomainDistance.coral(source: source, target: target)
        case .adversarial:
            let (loss, gradient) = discriminator!.lossAndGradient(FeatureRows(values, rows: rows, width: width), sourceRows: sourceRows)
            guard loss.isFinite else { throw TrainingError.discriminatorDiverged(layer: term.layer) }
            // Gradient reversal: the features move to raise the discriminator's loss.
            tap.setGradient(gradient.map { -Float(lambda) * $0 })
            return lambda * loss
        }
        tap.setGradient((result.sourceGradient + result.targetGradient).map { Float(lambda) * $0 })
        return lambda * result.value
    }

    /// The discriminator's own step, at the main network's rate.
    func afterStep(_ h: Hyperparameters, rate: Float, momentum: Float) {
        discriminator?.step(h, rate: rate, momentum: momentum)
    }
}

/// DANN's domain classifier: features -> hidden -> ReLU -> hidden -> ReLU -> 2 logits, a network
/// of the engine's own layers taking each feature row as a width x 1 x 1 image.
final class DomainDiscriminator {
    let network: Network

    init(features: Int, hidden: Int, seed: UInt64) throws {
        network = try Network(spec: NetworkSpec(channels: features, height: 1, width: 1, layers: [
            .fc("domain1", hidden), .relu("domain_relu1"), .fc("domain2", hidden), .relu("domain_relu2"), .fc("domain3", 2),
        ]), seed: seed &+ 0x5eed)
    }

    /// Softmax cross-entropy of telling source rows (label 0) from target rows (label 1), mean
    /// over rows, and its gradient with respect to the features (the discriminator's parameter
    /// gradients are left for `step`).
    func lossAndGradient(_ features: FeatureRows, sourceRows: Int) -> (loss: Double, gradient: [Float]) {
        let rows = features.rows
        network.prepare(batch: rows, inputGradient: true)
        features.values.withUnsafeBufferPointer { network.inputBuffer.update(from: $0.baseAddress!, count: $0.count) }
        network.forward(training: true)
        let labels = (0..<rows).map { Int32($0 < sourceRows ? 0 : 1) }
        let loss = labels.withUnsafeBufferPointer {
            SoftmaxCrossEntropy.lossAndGradient(logits: network.logits, labels: $0, count: rows, rows: rows, classes: 2,
                                                gradient: network.logitsGradient).loss
        }
        network.backward()
        return (loss, Array(UnsafeBufferPointer(start: network.inputGradientBuffer!, count: rows * features.width)))
    }

    func step(_ h: Hyperparameters, rate: Float, momentum: Float) {
        SGD.step(network.parameters, h, learningRate: rate, momentum: momentum)
    }
}
