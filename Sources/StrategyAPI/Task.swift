// The data a strategy sees: its task, the images, and the networks the host lends it.

public struct Images {
    public let raw: harness_images
    public var count: Int { Int(raw.count) }
    /// Labels (training images only; evaluation images have none).
    public var labels: [Int32]? {
        raw.labels.map { Array(UnsafeBufferPointer(start: $0, count: count)) }
    }
}

public struct Task {
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

/// Training settings; defaults are the harness's. Epochs, batch size and rate come from the task.
