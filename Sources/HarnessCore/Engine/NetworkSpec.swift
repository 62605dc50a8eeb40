// What a network is, as data: an input shape and a list of named layers. Saved beside the
// weights, so a file always says what it holds, and validated before any kernel is built.

public struct LayerSpec: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable {
        case convolution, relu, maxPool = "max_pool", fullyConnected = "fully_connected", dropout
    }

    public var name: String
    public var kind: Kind
    /// Output channels (convolution) or units (fully connected).
    public var outputs: Int?
    /// Window size (convolution, max pooling).
    public var kernel: Int?
    public var stride: Int?
    public var padding: Int?
    /// Drop probability (dropout).
    public var rate: Float?

    public static func conv(_ name: String, _ outputs: Int, kernel: Int, padding: Int, stride: Int = 1) -> LayerSpec {
        LayerSpec(name: name, kind: .convolution, outputs: outputs, kernel: kernel, stride: stride, padding: padding)
    }
    public static func relu(_ name: String) -> LayerSpec { LayerSpec(name: name, kind: .relu) }
    public static func maxPool(_ name: String, _ size: Int, stride: Int? = nil) -> LayerSpec {
        LayerSpec(name: name, kind: .maxPool, kernel: size, stride: stride ?? size)
    }
    public static func fc(_ name: String, _ outputs: Int) -> LayerSpec {
        LayerSpec(name: name, kind: .fullyConnected, outputs: outputs)
    }
    public static func dropout(_ name: String, _ rate: Float) -> LayerSpec {
        LayerSpec(name: name, kind: .dropout, rate: rate)
    }

    public var isLearnable: Bool { kind == .convolution || kind == .fullyConnected }
}

public struct NetworkSpec: Codable, Equatable, Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int
    public var layers: [LayerSpec]

    public init(channels: Int, height: Int, width: Int, layers: [LayerSpec]) {
        self.channels = channels
        self.height = height
        self.width = width
        self.layers = layers
    }

    /// The default: AlexNet's shape (5 convolutional + 3 fully connected layers, so "the first n
    /// layers" means what it means in Yosinski et al. 2014) scaled to 28x28 grayscale images.
    public static func standard(classes: Int, channels: Int = 1, height: Int = 28, width: Int = 28) -> NetworkSpec {
        NetworkSpec(channels: channels, height: height, width: width, layers: [
            .conv("conv1", 32, kernel: 5, padding: 2), .relu("relu1"), .maxPool("pool1", 2),
            .conv("conv2", 64, kernel: 5, padding: 2), .relu("relu2"), .maxPool("pool2", 2),
            .conv("conv3", 96, kernel: 3, padding: 1), .relu("relu3"),
            .conv("conv4", 96, kernel: 3, padding: 1), .relu("relu4"),
            .conv("conv5", 64, kernel: 3, padding: 1), .relu("relu5"), .maxPool("pool5", 2),
            .fc("fc6", 256), .relu("relu6"), .dropout("drop6", 0.5),
            .fc("fc7", 256), .relu("relu7"), .dropout("drop7", 0.5),
            .fc("fc8", classes),
        ])
    }

    /// The layers that hold weights, in order: "the first n layers" counts these.
    public var learnableLayerNames: [String] { layers.filter(\.isLearnable).map(\.name) }

    public var classes: Int { layers.last(where: { $0.kind == .fullyConnected })?.outputs ?? 0 }

    /// The same network with a classifier for another number of classes.
    public func withClasses(_ classes: Int) -> NetworkSpec {
        var copy = self
        if let i = copy.layers.lastIndex(where: { $0.kind == .fullyConnected }) { copy.layers[i].outputs = classes }
        return copy
    }

    /// The shape after each layer for one image, checking every layer's settings on the way.
    public func validatedShapes() throws -> [[Int]] {
        guard channels > 0, height > 0, width > 0 else {
            throw EngineError.invalidSpec("input shape \(channels)x\(height)x\(width) must be positive")
        }
        guard let last = layers.last, last.kind == .fullyConnected else {
            throw EngineError.invalidSpec("the last layer must be fully connected (the classifier)")
        }
        var names = Set<String>()
        var shape = [channels, height, width]
        var shapes: [[Int]] = []
        for layer in layers {
            guard names.insert(layer.name).inserted else {
                throw EngineError.invalidSpec("layer name '\(layer.name)' is used twice")
            }
            func need(_ value: Int?, _ what: String) throws -> Int {
                guard let value, value > 0 else {
                    throw EngineError.invalidSpec("\(layer.name): \(what) must be a positive number")
                }
                return value
            }
            switch layer.kind {
            case .convolution:
                guard shape.count == 3 else { throw EngineError.invalidSpec("\(layer.name): a convolution needs an image input, not a vector") }
                let out = try need(layer.outputs, "outputs"), k = try need(layer.kernel, "kernel"), s = try need(layer.stride ?? 1, "stride")
                let p = layer.padding ?? 0
                let h = Convolution.outputSize(shape[1], kernel: k, stride: s, padding: p)
                let w = Convolution.outputSize(shape[2], kernel: k, stride: s, padding: p)
                guard p >= 0, h > 0, w > 0 else {
                    throw EngineError.invalidSpec("\(layer.name): kernel \(k) with padding \(p) does not fit a \(shape[1])x\(shape[2]) input")
                }
                shape = [out, h, w]
            case .maxPool:
                guard shape.count == 3 else { throw EngineError.invalidSpec("\(layer.name): pooling needs an image input, not a vector") }
                let k = try need(layer.kernel, "kernel"), s = try need(layer.stride ?? k, "stride")
                let h = MaxPooling.outputSize(shape[1], window: k, stride: s)
                let w = MaxPooling.outputSize(shape[2], window: k, stride: s)
                guard h > 0, w > 0 else {
                    throw EngineError.invalidSpec("\(layer.name): a \(k)x\(k) window does not fit a \(shape[1])x\(shape[2]) input")
                }
                shape = [shape[0], h, w]
            case .fullyConnected:
                shape = [try need(layer.outputs, "outputs")]
            case .dropout:
                guard let r = layer.rate, r >= 0, r < 1 else {
                    throw EngineError.invalidSpec("\(layer.name): dropout rate must be in [0, 1)")
                }
            case .relu:
                break
            }
            shapes.append(shape)
        }
        return shapes
    }
}
