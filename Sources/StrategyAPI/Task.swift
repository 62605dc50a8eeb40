// The data a strategy sees: its task, the images, and the networks the host lends it.

public struct Images {
    public let raw: harness_images
    /// Keeps the pixels of images a strategy assembled itself alive (nil: the host's buffers).
    private let storage: AnyObject?
    public var count: Int { Int(raw.count) }

    public init(raw: harness_images) {
        self.raw = raw
        storage = nil
    }

    /// Buffers allocated for the images' lifetime: a pointer into an Array is valid only inside
    /// its withUnsafeBufferPointer, and these must outlive this function.
    private final class Storage {
        let pixels: UnsafeMutableBufferPointer<Float>, labels: UnsafeMutableBufferPointer<Int32>
        init(_ pixels: [Float], _ labels: [Int32]) {
            self.pixels = .allocate(capacity: max(pixels.count, 1))
            _ = self.pixels.initialize(from: pixels)
            self.labels = .allocate(capacity: max(labels.count, 1))
            _ = self.labels.initialize(from: labels)
        }
        deinit {
            pixels.deallocate()
            labels.deallocate()
        }
    }

    /// Labelled images of several sets as one (same shape), e.g. the source's labelled images
    /// and the target's few labelled ones.
    public static func joined(_ parts: [Images]) -> Images {
        let nonEmpty = parts.filter { $0.count > 0 }
        guard let first = nonEmpty.first else { return parts[0] }
        if nonEmpty.count == 1 { return first }
        let size = Int(first.raw.channels * first.raw.height * first.raw.width)
        var pixels: [Float] = [], labels: [Int32] = []
        for p in nonEmpty {
            pixels += UnsafeBufferPointer(start: p.raw.pixels, count: p.count * size)
            labels += p.labels ?? [Int32](repeating: 0, count: p.count)
        }
        let storage = Storage(pixels, labels)
        var raw = first.raw
        raw.count = Int64(labels.count)
        raw.pixels = UnsafePointer(storage.pixels.baseAddress)
        raw.labels = UnsafePointer(storage.labels.baseAddress)
        return Images(raw: raw, storage: storage)
    }

    /// Feature vectors a strategy computed (`count` rows of `width`), as images of width x 1 x 1
    /// for a network from `Engine.newLinear`; the images own their buffers.
    public init(features: [Float], width: Int, labels: [Int32]?) {
        let count = width > 0 ? features.count / width : 0
        let storage = Storage(features, labels ?? [])
        self.init(raw: harness_images(pixels: UnsafePointer(storage.pixels.baseAddress), labels: labels == nil ? nil : UnsafePointer(storage.labels.baseAddress),
                                      count: Int64(count), channels: Int32(width), height: 1, width: 1), storage: storage)
    }

    private init(raw: harness_images, storage: AnyObject) {
        self.raw = raw
        self.storage = storage
    }
    /// Labels (training images only; evaluation images have none).
    public var labels: [Int32]? {
        raw.labels.map { Array(UnsafeBufferPointer(start: $0, count: count)) }
    }
}

/// What a strategy is asked to do: the source network, the target's images and the host's
/// training settings (its hyperparameters for this cell).
public struct StrategyTask {
    public let source: Network
    public let train: Images
    public let eval: Images
    public let classes: Int
    public let seed: UInt64
    public let epochs: Int
    public let batchSize: Int
    public let learningRate: Double
    /// L2 on weights the comparison chose (a searchable training setting).
    public let weightDecay: Double
    /// The target's unlabelled training images, for domain adaptation (nil when there are none).
    public let unlabelled: Images?
    /// The source's labelled training images where the scenario has them, with their class count.
    public let sourceTrain: Images?
    public let sourceClasses: Int
}

/// A network lent by the host. Networks a strategy creates are released when dropped; the
/// source network belongs to the host.
public final class Network {
    let pointer: OpaquePointer
    let engine: Engine
    let owned: Bool

    init(_ pointer: OpaquePointer, engine: Engine, owned: Bool) {
        self.pointer = pointer
        self.engine = engine
        self.owned = owned
    }

    deinit { if owned { engine.table.pointee.release_network(engine.host, pointer) } }

    /// The transfer units, in order: the learnable layers ("conv1" … "fc8") of the default
    /// network, the stem, residual blocks and classifier ("conv1", "layer1.0", …, "fc") of a ResNet.
    public var layers: [String] {
        let t = engine.table.pointee
        return (0..<t.layer_count(engine.host, pointer)).map { t.layer_name(engine.host, pointer, $0).map { String(cString: $0) } ?? "?" }
    }
}

@available(*, deprecated, renamed: "StrategyTask", message: "Task is Swift's concurrency type; the SDK's is StrategyTask")
public typealias Task = StrategyTask
