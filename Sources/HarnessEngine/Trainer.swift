// The one training loop. Strategies never write their own: they declare which layers move and
// how fast (learning-rate multipliers), add penalties, and call this.
import Foundation
import HarnessSupport
import HarnessData

public struct EpochRecord: Codable, Equatable, Sendable {
    public var epoch: Int
    public var loss: Double
    public var trainAccuracy: Double
    public var learningRate: Float
    public var seconds: Double
    /// Per learnable layer, how its weights moved this epoch (optional: older records lack it).
    public var layers: [LayerTelemetry]?
    /// Accuracy on the validation images after this epoch, when the host scored it (early stopping).
    public var validationAccuracy: Double?
    /// SGD steps this epoch took (optional: older records lack it).
    public var steps: Int?
}

/// How one layer's weight tensor moved during one epoch: the questions "which layers converge
/// first?" and "what do L1/L2 penalties and initialisers do to the weights?" are read off these.
public struct LayerTelemetry: Codable, Equatable, Sendable {
    public var layer: String
    /// ||W|| at the end of the epoch (Frobenius norm).
    public var weightNorm: Double
    /// ||W_end - W_start|| of this epoch: the size of the epoch's change.
    public var update: Double
    /// ||W - W_0|| from the weights this run started with: for a transferred layer, the source's.
    public var distanceFromStart: Double
    public var frozen: Bool
}

/// Snapshots of every learnable layer's weights, to measure how far they move.
struct WeightTracker {
    private var start: [String: [Float]] = [:]
    private var previous: [String: [Float]] = [:]
    private let layers: [(name: String, weight: Parameter)]

    init(_ network: Network) {
        layers = network.parameterLayerNames.compactMap { name in (try? network.parameters(of: name).first).flatMap { $0 }.map { (name, $0) } }
        for (name, w) in layers { start[name] = w.values; previous[name] = w.values }
    }

    mutating func epochEnded() -> [LayerTelemetry] {
        layers.map { name, w in
            let now = w.values
            func distance(_ other: [Float]) -> Double {
                var s = 0.0
                for i in 0..<now.count { let d = Double(now[i] - other[i]); s += d * d }
                return s.squareRoot()
            }
            let record = LayerTelemetry(layer: name, weightNorm: now.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot(),
                                        update: distance(previous[name]!), distanceFromStart: distance(start[name]!), frozen: w.isFrozen)
            previous[name] = now
            return record
        }
    }
}

/// Reported after every batch, for progress displays.
public struct TrainingProgress: Sendable {
    public var epoch: Int
    public var epochs: Int
    public var step: Int
    public var stepsPerEpoch: Int
    public var loss: Double
    public var accuracy: Double
    public var imagesPerSecond: Double
    public var elapsed: Double
}

public struct TrainingReport: Sendable {
    public var epochs: [EpochRecord]
    public var seconds: Double
    public var images: Int
    /// The epoch whose weights the network ended with, when early stopping kept an earlier one's.
    public var keptEpoch: Int?
    /// Layers that training steps did not run: a frozen prefix whose outputs came from the
    /// cache (0: every step ran every layer).
    public var skippedLayers = 0
    public var imagesPerSecond: Double { seconds > 0 ? Double(images) / seconds : 0 }
}

public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// `help` says what to change; nil means the comparison's own learning rate.
    case diverged(epoch: Int, step: Int, help: String?)
    /// The loss stayed finite but the last steps left weights that are not.
    case nonFiniteWeights(parameter: String)
    case emptyTrainingSet
    /// An adaptation run without unlabelled target images.
    case noTargetImages
    /// The domain discriminator's loss became NaN or infinite.
    case discriminatorDiverged(layer: String)
    case shapeMismatch(network: [Int], data: [Int])
    /// A label outside 0..<classes: the loss would index past the network's outputs.
    case labelOutOfRange(label: Int, image: Int, classes: Int)
    /// A classifier of one class learns nothing and scores 100%.
    case singleClass

    public var description: String {
        switch self {
        case let .diverged(e, s, help):
            return "training diverged: the loss became NaN or infinite at epoch \(e), step \(s). help: \(help ?? "lower the learning rate (lr)")"
        case let .nonFiniteWeights(p):
            return "training diverged: \(p) holds NaN or infinite values after the last step. help: lower the learning rate"
        case .emptyTrainingSet: return "the training set is empty"
        case .noTargetImages:
            return "domain adaptation needs unlabelled target training images, and this task has none"
        case let .discriminatorDiverged(layer):
            return "the domain discriminator on \(layer) diverged (its loss became NaN or infinite). help: lower the adversarial weight or the learning rate"
        case let .shapeMismatch(n, d):
            return "the network expects images of shape \(n) but the data has \(d)"
        case .singleClass:
            return "the data has one class, so there is nothing to tell apart (every prediction would be right); a classifier needs two or more classes"
        case let .labelOutOfRange(label, image, classes):
            return "image \(image) has label \(label), but the network has \(classes) classes (labels 0 to \(classes - 1))"
        }
    }
}

public enum Trainer {
    /// `evaluate`, called after every epoch with its number, returns the epoch's validation
    /// accuracy for its record (the host's early stopping). With `adaptation`, every batch is
    /// followed by as many unlabelled target images, and its loss terms join the loss.
    /// `seed` orders the images of every epoch (and the unlabelled target images).
    /// With `prefixCache`, a frozen prefix's outputs (FrozenPrefix.swift) are computed once, or
    /// read from the cache when `identity` keys the images, and every step runs the rest.
    public static func train(_ network: Network, on data: ImageSet, hyperparameters h: Hyperparameters, seed: UInt64,
                             penalties: [Penalty] = [],
                             adaptation: DomainAdaptation? = nil,
                             prefixCache: PrefixFeatureCache? = nil, identity: PrefixFeatureCache.Identity? = nil,
                             progress: ((TrainingProgress) -> Void)? = nil,
                             evaluate: ((Int) -> Double)? = nil) throws -> TrainingReport {
        guard data.count > 0 else { throw TrainingError.emptyTrainingSet }
        // Kernels are built below (prepare), in the run's precision.
        try h.precision.apply()
        guard network.classes >= 2 else { throw TrainingError.singleClass }
        let netShape = [network.spec.channels, network.spec.height, network.spec.width]
        guard netShape == [data.channels, data.height, data.width] else {
            throw TrainingError.shapeMismatch(network: netShape, data: [data.channels, data.height, data.width])
        }
        if let bad = data.labels.firstIndex(where: { $0 < 0 || $0 >= network.classes }) {
            throw TrainingError.labelOutOfRange(label: data.labels[bad], image: bad, classes: network.classes)
        }
        let batch = h.batch(images: data.count)
        // The target images of an adaptation run ride behind the labelled ones in each batch.
        let target = adaptation?.target
        if let target {
            guard target.count > 0 else { throw TrainingError.noTargetImages }
            guard [target.channels, target.height, target.width] == netShape else {
                throw TrainingError.shapeMismatch(network: netShape, data: [target.channels, target.height, target.width])
            }
        }
        let rows = batch + (target == nil ? 0 : batch)
        network.prepare(batch: rows)
        let terms = try (adaptation?.terms ?? []).enumerated().map { i, t in try ActiveDomainLoss(t, network: network, seed: seed &+ UInt64(i)) }
        for t in terms { t.begin(network) }
        defer { for t in terms { t.end(network) } }
        var targetOrder = Array(0..<(target?.count ?? 0)), targetNext = targetOrder.count
        var targetGenerator = SeededGenerator(seed: seed, stream: "target-order")
        let stepsPerEpoch = h.stepsPerEpoch(images: data.count)
        // Few images: more epochs, so the run takes its minimum of steps (min_steps).
        let epochs = h.effectiveEpochs(images: data.count)
        let total = stepsPerEpoch * epochs
        let size = network.imageSize, classes = network.classes
        var order = Array(0..<data.count)
        var generator = SeededGenerator(seed: seed, stream: "batch-order")
        var labels = [Int32](repeating: 0, count: batch)
        // One image as floats, for augmentation to read from.
        let scratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: h.augmentation.isNone ? 0 : size)
        defer { scratch.deallocate() }
        var records: [EpochRecord] = []
        for p in penalties { try p.begin(network) }
        defer { for p in penalties { p.end(network) } }
        var tracker = WeightTracker(network)
        let start = Date()
        // Adaptation's target rows and augmentation's fresh crops change the prefix's input
        // every step; a gradient check wants every layer's.
        let prefix: (loader: PrefixLoader, outputs: PrefixFeatureCache.Outputs)? = {
            guard let prefixCache, adaptation == nil, h.augmentation.isNone, network.inputGradient == nil else { return nil }
            let reads = penalties.compactMap { $0.readLayer(in: network) }
            let end = network.frozenPrefixEnd(training: true, readLayers: reads)
            if h.batchNorm != .frozen, let frozen = network.frozenPrefixEnd(training: false, readLayers: reads), frozen > (end ?? -1) {
                prefixCache.note("frozen prefix: batch_norm=\(h.batchNorm.rawValue) normalises frozen layers with each batch's statistics, so their "
                                 + "outputs change every step and are not cached\(end.map { " past \(network.layerName($0))" } ?? ""); batch_norm=frozen "
                                 + "keeps the source's statistics and lets the layers through \(network.layerName(frozen)) run once")
            }
            guard let end, let outputs = prefixCache.outputs(of: network, through: end, images: data, identity: identity, batch: rows, training: true)
            else { return nil }
            network.releaseBuffers(before: end)
            return (PrefixLoader(layer: end), outputs)
        }()
        let firstComputed = prefix.map { $0.loader.layer + 1 } ?? 0
        var step = 0

        for epoch in 1...max(epochs, 1) where epochs > 0 {
            let epochStart = Date()
            order.shuffle(using: &generator)
            var lossSum = 0.0, correct = 0, seen = 0
            var rate: Float = 0
            for s in 0..<stepsPerEpoch {
                network.profile.time("data loading", .step) {
                    if let prefix {
                        prefix.loader.load(into: network, rows: { j in prefix.outputs.row(order[s * batch + j]) }, width: prefix.outputs.width)
                        for j in 0..<batch { labels[j] = Int32(data.labels[order[s * batch + j]]) }
                        return
                    }
                    for j in 0..<batch {
                        let i = order[s * batch + j]
                        if h.augmentation.isNone {
                            data.copyImage(i, into: network.inputBuffer + j * size)
                        } else {
                            // Seeded per (run, epoch, image): the same crops whatever the batch order.
                            var g = SeededGenerator(seed: seed, stream: "augment/\(epoch)/\(i)")
                            data.copyImage(i, into: scratch.baseAddress!)
                            h.augmentation.apply(scratch.baseAddress!, into: network.inputBuffer + j * size,
                                                 channels: data.channels, height: data.height, width: data.width, using: &g)
                        }
                        labels[j] = Int32(data.labels[i])
                    }
                    guard let target else { return }
                    for j in batch..<rows {
                        if targetNext == targetOrder.count { targetOrder.shuffle(using: &targetGenerator); targetNext = 0 }
                        target.copyImage(targetOrder[targetNext], into: network.inputBuffer + j * size)
                        targetNext += 1
                    }
                }
                network.forward(training: true, from: firstComputed)
                var penalty = 0.0
                for p in penalties { penalty += p.afterForward(network) }
                let done = total > 1 ? Double(step) / Double(total - 1) : 1
                for t in terms { penalty += try network.profile.time("domain loss", .step) { try t.afterForward(network, sourceRows: batch, progress: done) } }
                // The classification loss reads the labelled rows only; target rows get no gradient from it.
                let (loss, right) = network.profile.time("loss", .step) {
                    labels.withUnsafeBufferPointer {
                        SoftmaxCrossEntropy.lossAndGradient(logits: network.logits, labels: $0, count: batch, rows: rows,
                                                            classes: classes, gradient: network.logitsGradient)
                    }
                }
                network.backward()
                for p in penalties { penalty += p.addGradients(to: network) }
                guard (loss + penalty).isFinite else { throw TrainingError.diverged(epoch: epoch, step: s + 1, help: nil) }

                let (r, m) = h.schedule.values(base: Float(h.learningRate), momentum: Float(h.momentum),
                                               step: step, total: total, stepsPerEpoch: stepsPerEpoch)
                rate = r
                network.profile.time("optimizer", .step) {
                    SGD.step(network.parameters, h, learningRate: r, momentum: m)
                    for t in terms { t.afterStep(h, rate: r, momentum: m) }
                }
                step += 1
                lossSum += loss * Double(batch)
                correct += right
                seen += batch
                if let progress {
                    let elapsed = Date().timeIntervalSince(start)
                    progress(TrainingProgress(epoch: epoch, epochs: epochs, step: s + 1, stepsPerEpoch: stepsPerEpoch,
                                              loss: lossSum / Double(seen), accuracy: Double(correct) / Double(seen),
                                              imagesPerSecond: Double(step * batch) / max(elapsed, 1e-9), elapsed: elapsed))
                }
            }
            var record = EpochRecord(epoch: epoch, loss: lossSum / Double(seen), trainAccuracy: Double(correct) / Double(seen),
                                     learningRate: rate, seconds: Date().timeIntervalSince(epochStart), layers: tracker.epochEnded())
            record.steps = stepsPerEpoch
            if let evaluate {
                record.validationAccuracy = evaluate(epoch)
                network.prepare(batch: rows)  // evaluating may have rebuilt the kernels for another batch size
            }
            records.append(record)
        }
        // The loss is checked before each update; the update after the last check can still blow up.
        if let bad = network.firstNonFiniteParameter { throw TrainingError.nonFiniteWeights(parameter: bad.name) }
        var report = TrainingReport(epochs: records, seconds: Date().timeIntervalSince(start), images: step * batch)
        report.skippedLayers = firstComputed
        return report
    }
}
