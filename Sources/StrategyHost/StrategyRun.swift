// A strategy's run: the task it is given (TransferTask), the order it sees images in, and the
// call into the plugin with what comes back checked. The strategy never sees the evaluation
// labels; the caller scores the predictions.
import CStrategyAPI
import Foundation
import HarnessSupport
import HarnessData
import HarnessEngine

public struct TransferTask {
    /// The network the strategy transfers from (trained on the source classes, or on the
    /// target's own classes for the self-transfer control).
    public var source: Network
    public var train: ImageSet
    /// Evaluation images, without labels (those stay with the caller).
    public var eval: ImageSet
    public var evalCount: Int { eval.count }
    public var classes: Int
    public var seed: UInt64
    /// What the strategy trains with unless it asks otherwise: harness_task's epochs, batch
    /// size, rate and decay, and the host's defaults for a zero in harness_training (ABI 2).
    /// Its batch_norm applies to every training run.
    public var training: Hyperparameters
    /// Where the learning rate came from, for the help line of a divergence.
    public var rateOrigin = "the comparison's learning rate (lr)"
    /// The target's training images without their labels, for domain adaptation (ABI 2's
    /// task.unlabelled). Never evaluation images.
    public var unlabelled: ImageSet?
    /// The source's labelled training images, where the scenario has them (task.source_train).
    public var sourceTrain: ImageSet?
    public var sourceClasses = 0
    /// Labelled validation images for early stopping (host-side; the strategy sees them only
    /// among the unlabelled evaluation images).
    public var earlyStopping: ImageSet?
    /// Where frozen prefixes' outputs are kept (nil: every epoch runs every layer). Their use
    /// never changes a number, so it is no part of any key.
    public var prefixCache: PrefixFeatureCache.Settings?

    /// `eval`'s labels are dropped here: the task never holds them.
    public init(source: Network, train: ImageSet, eval: ImageSet, classes: Int,
                seed: UInt64, training: Hyperparameters) {
        self.source = source
        self.train = train
        var unlabelled = eval
        unlabelled.labels = [Int](repeating: 0, count: eval.count)
        self.eval = unlabelled
        self.classes = classes
        self.seed = seed
        self.training = training
    }
}

public enum StrategyFailure: Error, Equatable, CustomStringConvertible {
    case failed(strategy: String, reason: String)
    case badPredictions(strategy: String, reason: String)

    public var description: String {
        switch self {
        case let .failed(s, r): return "strategy \(s) failed: \(r)"
        case let .badPredictions(s, r): return "strategy \(s) returned bad predictions: \(r)"
        }
    }
}

/// The order in which a strategy sees images. Data sets often arrive sorted by class (stratified
/// sampling, image folders), and then an image's position alone gives its label away: a strategy
/// predicting from the index, touching no pixel, would score 100%. So the host shows both the
/// training and the evaluation images in a seeded random order, and puts the predictions back
/// in the caller's order before anyone scores them.
///
/// The shuffle is public and its seed is the task's, so a strategy could recompute it and learn
/// which of the caller's (class-sorted) images sits where. The evaluation images are therefore
/// first put in an order of their content alone (a stable hash of each image's pixels), which
/// says nothing about labels, and that order is shuffled: recomputing the shuffle only recovers
/// the content order, which the strategy can compute from the pixels anyway. Everything stays
/// a function of the data and the seed, so results are the same on every machine.
struct PresentationOrder {
    /// `order[j]` is the caller's index of the image shown at position j.
    let train: [Int]
    let eval: [Int]

    init(trainCount: Int, eval: ImageSet, seed: UInt64) {
        var g = SeededGenerator(seed: seed, stream: "presentation-order/train")
        train = Array(0..<trainCount).shuffled(using: &g)
        var h = SeededGenerator(seed: seed, stream: "presentation-order/eval")
        self.eval = Self.contentOrder(eval).shuffled(using: &h)
    }

    /// The images' indices ordered by a stable hash of each image's pixels (the floats the
    /// strategy is shown; ties by index): an order that depends on what the images are, never on
    /// how the caller sorted them.
    static func contentOrder(_ images: ImageSet) -> [Int] {
        let scratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(images.imageSize, 1))
        defer { scratch.deallocate() }
        let content: [UInt64] = (0..<images.count).map { i in
            images.copyImage(i, into: scratch.baseAddress!)
            var h = StableHash()
            h.add(UnsafeRawBufferPointer(scratch))
            return h.value
        }
        return (0..<images.count).sorted { (content[$0], $0) < (content[$1], $1) }
    }

    /// The order the unlabelled target images are shown in: their content order, shuffled by
    /// the task's seed (the same stream as before, so the source images' order that follows is
    /// unchanged).
    static func unlabelled(_ images: ImageSet, ordering: inout SeededGenerator) -> [Int] {
        contentOrder(images).shuffled(using: &ordering)
    }

    /// Predictions made in presentation order, in the caller's order.
    func restore(_ predictions: [Int32]) -> [Int32] {
        var out = [Int32](repeating: -1, count: predictions.count)
        for (j, i) in eval.enumerated() { out[i] = predictions[j] }
        return out
    }
}

extension ConfiguredStrategy {
    /// One predicted class per evaluation image, in the task's order. `model`, when given, is
    /// told which network those predictions came from (or why none did).
    public func run(_ task: TransferTask, log: @escaping (String) -> Void = { _ in },
                    progress: ((TrainingProgress) -> Void)? = nil,
                    trained: ((Network, TrainingReport) -> Void)? = nil,
                    model: ((StrategyModel) -> Void)? = nil) throws -> [Int] {
        // Unlabelled images in a seeded order of their own too, over their content order: sorted
        // by class, or in a shuffle a plugin can recompute, their order would say which class each is.
        var ordering = SeededGenerator(seed: task.seed, stream: "presentation-order/unlabelled")
        let unlabelledOrder = task.unlabelled.map { PresentationOrder.unlabelled($0, ordering: &ordering) } ?? []
        let sourceOrder = task.sourceTrain.map { Array(0..<$0.count).shuffled(using: &ordering) } ?? []
        let order = PresentationOrder(trainCount: task.train.count, eval: task.eval, seed: task.seed)
        // The floats lent to the plugin, in presentation order: the one float copy of each set
        // (the task's own may be 8-bit). Engine calls read them in place.
        let lent = [LentImages(task.train, order.train), LentImages(task.eval, order.eval),
                    LentImages(task.unlabelled, unlabelledOrder), LentImages(task.sourceTrain, sourceOrder)]
        defer { lent.forEach { $0.release() } }
        let unlabelled = task.unlabelled.map { u in
            ImageSet(channels: u.channels, height: u.height, width: u.width, borrowing: UnsafeBufferPointer(rebasing: lent[2].pixels[..<(u.count * u.imageSize)]),
                     labels: [Int](repeating: 0, count: u.count))
        }
        let session = HostSession(log: log, progress: progress, trained: trained, task: task, unlabelled: unlabelled)
        if let settings = task.prefixCache {
            session.prefixCache = PrefixFeatureCache(settings, log: log)
            // The task's own sets, keyed by their content in the caller's order: another trial,
            // strategy or comparison on the same images finds the same entries, computed from
            // the host's sets, never from the floats lent to the plugin.
            session.identify(lent[0], PrefixFeatureCache.Identity(task.train, shownIn: order.train))
            session.identify(lent[1], PrefixFeatureCache.Identity(task.eval, shownIn: order.eval))
        }
        if model != nil { session.evaluationImages = (lent[1].pixels.baseAddress!, lent[1].count) }
        let sourcePointer = session.lend(task.source)
        var predictions = [Int32](repeating: -1, count: task.evalCount)
        let (channels, height, width) = (Int32(task.train.channels), Int32(task.train.height), Int32(task.train.width))
        func images(_ set: LentImages, labelled: Bool) -> harness_images {
            harness_images(pixels: UnsafePointer(set.pixels.baseAddress), labels: labelled ? UnsafePointer(set.labels.baseAddress) : nil,
                           count: Int64(set.count), channels: channels, height: height, width: width)
        }
        var t = harness_task(
            struct_size: UInt32(MemoryLayout<harness_task>.size), source: sourcePointer,
            train: images(lent[0], labelled: true), eval: images(lent[1], labelled: false),
            classes: Int32(task.classes), seed: task.seed, epochs: Int32(task.training.epochs),
            batch_size: Int32(task.training.batchSize), learning_rate: task.training.learningRate, weight_decay: task.training.weightDecay,
            unlabelled: images(lent[2], labelled: false),
            source_train: images(lent[3], labelled: true), source_classes: Int32(task.sourceClasses))
        let status: Int32 = predictions.withUnsafeMutableBufferPointer { out in
            plugin.descriptor.pointee.run(state, &t, HostEngine.table, session.pointer, out.baseAddress)
        }
        guard status == 0 else {
            throw StrategyFailure.failed(strategy: configuration.name, reason: session.lastErrorText ?? "run returned \(status) without saying why")
        }
        if let bad = predictions.firstIndex(where: { $0 < 0 || Int($0) >= task.classes }) {
            throw StrategyFailure.badPredictions(strategy: configuration.name,
                                                 reason: "prediction \(predictions[bad]) for image \(order.eval[bad]) is not a class in 0..<\(task.classes)")
        }
        if let model {
            if let p = session.evaluationPredictor, p.predictions == predictions {
                model(.network(p.network))
            } else {
                let name = configuration.name == plugin.name ? plugin.name : "\(configuration.name) (\(plugin.name))"
                model(.unavailable("the predictions of \(name) are not those of one network's predict call on the "
                                   + "evaluation images, unchanged since: it classifies in its own way (as svm-codes' linear SVM does)"))
            }
        }
        return order.restore(predictions).map(Int.init)
    }
}

/// Which network a strategy's predictions came from: the model a cell can hand over.
public enum StrategyModel {
    /// The network whose predict call on the whole evaluation set returned exactly the
    /// strategy's predictions, its weights unchanged since.
    case network(Network)
    /// Why no network stands for the strategy.
    case unavailable(String)
}

/// Images copied, in a given order, into buffers a plugin can read for the length of its run:
/// normalised floats and 32-bit labels, as harness_images carries them.
struct LentImages {
    let pixels: UnsafeMutableBufferPointer<Float>
    let labels: UnsafeMutableBufferPointer<Int32>
    let count: Int

    init(_ set: ImageSet?, _ order: [Int]) {
        count = set == nil ? 0 : order.count
        let size = set?.imageSize ?? 0
        // Never a zero-size allocation: the pointers handed out are never NULL.
        pixels = .allocate(capacity: max(count * size, 1))
        labels = .allocate(capacity: max(count, 1))
        guard let set else { return }
        for (j, i) in order.enumerated() {
            set.copyImage(i, into: pixels.baseAddress! + j * size)
            labels[j] = Int32(set.labels[i])
        }
    }

    func release() {
        pixels.deallocate()
        labels.deallocate()
    }
}
