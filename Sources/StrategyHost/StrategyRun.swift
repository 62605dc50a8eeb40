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
    /// Evaluation images; their labels stay with the caller.
    public var evalPixels: [Float]
    public var evalCount: Int
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

    public init(source: Network, train: ImageSet, evalPixels: [Float], evalCount: Int, classes: Int,
                seed: UInt64, training: Hyperparameters) {
        self.source = source
        self.train = train
        self.evalPixels = evalPixels
        self.evalCount = evalCount
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

    init(trainCount: Int, evalPixels: [Float], imageSize: Int, seed: UInt64) {
        var g = SeededGenerator(seed: seed, stream: "presentation-order/train")
        train = Array(0..<trainCount).shuffled(using: &g)
        var h = SeededGenerator(seed: seed, stream: "presentation-order/eval")
        eval = Self.contentOrder(evalPixels, imageSize: imageSize).shuffled(using: &h)
    }

    /// The images' indices ordered by a stable hash of each image's pixels (ties by index): an
    /// order that depends on what the images are, never on how the caller sorted them.
    static func contentOrder(_ pixels: [Float], imageSize: Int) -> [Int] {
        let count = imageSize > 0 ? pixels.count / imageSize : 0
        let bytes = imageSize * MemoryLayout<Float>.stride
        let content: [UInt64] = pixels.withUnsafeBufferPointer { px in
            (0..<count).map { i in
                var h = StableHash()
                h.add(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(px)[(i * bytes)..<((i + 1) * bytes)]))
                return h.value
            }
        }
        return (0..<count).sorted { (content[$0], $0) < (content[$1], $1) }
    }

    /// The order the unlabelled target images are shown in: their content order, shuffled by
    /// the task's seed (the same stream as before, so the source images' order that follows is
    /// unchanged).
    static func unlabelled(_ images: ImageSet, ordering: inout SeededGenerator) -> [Int] {
        contentOrder(images.pixels, imageSize: images.imageSize).shuffled(using: &ordering)
    }

    /// Evaluation pixels in presentation order.
    func shuffledEval(_ pixels: [Float], imageSize: Int) -> [Float] {
        var out = [Float](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (j, i) in eval.enumerated() {
                    (dst.baseAddress! + j * imageSize).update(from: src.baseAddress! + i * imageSize, count: imageSize)
                }
            }
        }
        return out
    }

    /// Predictions made in presentation order, in the caller's order.
    func restore(_ predictions: [Int32]) -> [Int32] {
        var out = [Int32](repeating: -1, count: predictions.count)
        for (j, i) in eval.enumerated() { out[i] = predictions[j] }
        return out
    }
}

extension ConfiguredStrategy {
    /// One predicted class per evaluation image, in the task's order.
    public func run(_ task: TransferTask, log: @escaping (String) -> Void = { _ in },
                    progress: ((TrainingProgress) -> Void)? = nil,
                    trained: ((Network, TrainingReport) -> Void)? = nil) throws -> [Int] {
        // Unlabelled images in a seeded order of their own too, over their content order: sorted
        // by class, or in a shuffle a plugin can recompute, their order would say which class each is.
        var ordering = SeededGenerator(seed: task.seed, stream: "presentation-order/unlabelled")
        let unlabelled = task.unlabelled.map { u in
            let shown = u.subset(PresentationOrder.unlabelled(u, ordering: &ordering))
            return ImageSet(channels: shown.channels, height: shown.height, width: shown.width, pixels: shown.pixels,
                            labels: [Int](repeating: 0, count: shown.count))
        }
        let session = HostSession(log: log, progress: progress, trained: trained, task: task, unlabelled: unlabelled)
        let sourceTrain = task.sourceTrain.map { s in s.subset(Array(0..<s.count).shuffled(using: &ordering)) }
        let sourcePointer = session.lend(task.source)
        let order = PresentationOrder(trainCount: task.train.count, evalPixels: task.evalPixels, imageSize: task.train.imageSize, seed: task.seed)
        let train = task.train.subset(order.train)
        let evalPixels = order.shuffledEval(task.evalPixels, imageSize: task.train.imageSize)
        var predictions = [Int32](repeating: -1, count: task.evalCount)
        // Pixels and labels stay pinned for the call; labels only of the labelled sets.
        let pixels = [train.pixels, evalPixels, unlabelled?.pixels ?? [], sourceTrain?.pixels ?? []]
        let labels = [train.labels.map { Int32($0) }, sourceTrain.map { $0.labels.map { Int32($0) } } ?? []]
        let status: Int32 = withPinned(pixels, labels) { px, lb in
            func images(_ count: Int, _ pixels: UnsafePointer<Float>?, _ labels: UnsafePointer<Int32>?) -> harness_images {
                harness_images(pixels: pixels, labels: labels, count: Int64(count),
                               channels: Int32(train.channels), height: Int32(train.height), width: Int32(train.width))
            }
            var t = harness_task(
                struct_size: UInt32(MemoryLayout<harness_task>.size), source: sourcePointer,
                train: images(train.count, px[0], lb[0]), eval: images(task.evalCount, px[1], nil),
                classes: Int32(task.classes), seed: task.seed, epochs: Int32(task.training.epochs),
                batch_size: Int32(task.training.batchSize), learning_rate: task.training.learningRate, weight_decay: task.training.weightDecay,
                unlabelled: images(unlabelled?.count ?? 0, px[2], nil),
                source_train: images(sourceTrain?.count ?? 0, px[3], lb[1]), source_classes: Int32(task.sourceClasses))
            return predictions.withUnsafeMutableBufferPointer { out in
                plugin.descriptor.pointee.run(state, &t, HostEngine.table, session.pointer, out.baseAddress)
            }
        }
        guard status == 0 else {
            throw StrategyFailure.failed(strategy: configuration.name, reason: session.lastErrorText ?? "run returned \(status) without saying why")
        }
        if let bad = predictions.firstIndex(where: { $0 < 0 || Int($0) >= task.classes }) {
            throw StrategyFailure.badPredictions(strategy: configuration.name,
                                                 reason: "prediction \(predictions[bad]) for image \(order.eval[bad]) is not a class in 0..<\(task.classes)")
        }
        return order.restore(predictions).map(Int.init)
    }
}

/// Calls `body` with a stable pointer to every array's storage, valid for the call only.
private func withPinned<R>(_ floats: [[Float]], _ ints: [[Int32]],
                           _ body: ([UnsafePointer<Float>?], [UnsafePointer<Int32>?]) -> R) -> R {
    func pin<T, U>(_ arrays: ArraySlice<[T]>, _ pinned: [UnsafePointer<T>?], _ then: ([UnsafePointer<T>?]) -> U) -> U {
        guard let first = arrays.first else { return then(pinned) }
        return first.withUnsafeBufferPointer { pin(arrays.dropFirst(), pinned + [$0.baseAddress], then) }
    }
    return pin(floats[...], []) { px in pin(ints[...], []) { lb in body(px, lb) } }
}
