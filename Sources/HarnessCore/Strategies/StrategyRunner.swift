// Runs one configured strategy on one task and checks what comes back. The strategy never sees
// the evaluation labels; the caller scores the predictions.
import CStrategyAPI
import Foundation

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
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Double

    public init(source: Network, train: ImageSet, evalPixels: [Float], evalCount: Int, classes: Int,
                seed: UInt64, epochs: Int, batchSize: Int = 64, learningRate: Double) {
        self.source = source
        self.train = train
        self.evalPixels = evalPixels
        self.evalCount = evalCount
        self.classes = classes
        self.seed = seed
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
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

extension ConfiguredStrategy {
    /// One predicted class per evaluation image.
    public func run(_ task: TransferTask, log: @escaping (String) -> Void = { _ in },
                    progress: ((TrainingProgress) -> Void)? = nil,
                    trained: ((Network, TrainingReport) -> Void)? = nil) throws -> [Int] {
        let session = HostSession(log: log, progress: progress, trained: trained)
        let sourcePointer = session.lend(task.source)
        var predictions = [Int32](repeating: -1, count: task.evalCount)
        let trainLabels = task.train.labels.map { Int32($0) }
        let status: Int32 = task.train.pixels.withUnsafeBufferPointer { trainPixels in
            trainLabels.withUnsafeBufferPointer { labels in
                task.evalPixels.withUnsafeBufferPointer { evalPixels in
                    var t = harness_task(
                        struct_size: UInt32(MemoryLayout<harness_task>.size),
                        source: sourcePointer,
                        train: harness_images(pixels: trainPixels.baseAddress, labels: labels.baseAddress, count: Int64(task.train.count),
                                              channels: Int32(task.train.channels), height: Int32(task.train.height), width: Int32(task.train.width)),
                        eval: harness_images(pixels: evalPixels.baseAddress, labels: nil, count: Int64(task.evalCount),
                                             channels: Int32(task.train.channels), height: Int32(task.train.height), width: Int32(task.train.width)),
                        classes: Int32(task.classes), seed: task.seed, epochs: Int32(task.epochs),
                        batch_size: Int32(task.batchSize), learning_rate: task.learningRate)
                    return predictions.withUnsafeMutableBufferPointer { out in
                        plugin.descriptor.pointee.run(state, &t, HostEngine.table, session.pointer, out.baseAddress)
                    }
                }
            }
        }
        guard status == 0 else {
            throw StrategyFailure.failed(strategy: configuration.name, reason: session.lastErrorText ?? "run returned \(status) without saying why")
        }
        if let bad = predictions.firstIndex(where: { $0 < 0 || Int($0) >= task.classes }) {
            throw StrategyFailure.badPredictions(strategy: configuration.name,
                                                 reason: "prediction \(predictions[bad]) for image \(bad) is not a class in 0..<\(task.classes)")
        }
        return predictions.map(Int.init)
    }
}
