// What a network is, as data: an input shape and a list of named layers. Saved beside the
// weights, so a file always says what it holds, and validated before any kernel is built.
//
// Layers run in list order. Each reads the output of the layer before it unless `input` names
// another earlier layer, an `add` layer also adds the output of its `shortcut` layer, and a
// `multiply` layer scales each channel by its `gate` layer's C x 1 x 1 output: that is all a
// residual network and squeeze-and-excitation need, and a plain chain stays a plain list.
import HarnessData

public struct LayerSpec: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case convolution, fullyConnected = "fully_connected", batchNorm = "batch_norm"
        case relu, relu6, sigmoid, silu, hardswish
        case maxPool = "max_pool", avgPool = "avg_pool", globalAvgPool = "global_avg_pool"
        case dropout, add, multiply
    }

    public var name: String
    public var kind: Kind
    /// Output channels (convolution) or units (fully connected); for batch normalisation, the
    /// channels it expects (optional, checked against its input).
    public var outputs: Int?
    /// Window size (convolution, max pooling).
    public var kernel: Int?
    public var stride: Int?
    public var padding: Int?
    /// Convolution: TensorFlow's "same" padding instead of `padding` (nil: false).
    public var tfSame: Bool?
    /// Convolution: channel groups (PyTorch's groups; the input channels for depthwise). nil: 1.
    public var groups: Int?
    /// Drop probability (dropout).
    public var rate: Float?
    /// Batch normalisation: the epsilon added to the variance (nil: PyTorch's 1e-5).
    public var eps: Float?
    /// The earlier layer whose output this layer reads; nil: the layer before it.
    public var input: String?
    /// `add` only: the earlier layer whose output is added to the input (the residual shortcut).
    public var shortcut: String?
    /// `multiply` only: the earlier layer whose C x 1 x 1 output scales each of the input's C
    /// channels (squeeze-and-excitation's sigmoid).
    public var gate: String?
    /// Convolution and fully connected: false leaves out the bias (a convolution followed by batch
    /// normalisation, as in ResNets, whose shift makes a bias redundant). nil: with a bias.
    public var bias: Bool?
    /// The transfer unit this layer belongs to (a residual block, "layer1.0"): "the first n
    /// layers" counts units, and copying or freezing a unit moves all its layers together.
    public var block: String?

    public init(name: String, kind: Kind, outputs: Int? = nil, kernel: Int? = nil, stride: Int? = nil, padding: Int? = nil,
                rate: Float? = nil, input: String? = nil, shortcut: String? = nil, bias: Bool? = nil, block: String? = nil) {
        self.name = name
        self.kind = kind
        self.outputs = outputs
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.rate = rate
        self.input = input
        self.shortcut = shortcut
        self.bias = bias
        self.block = block
    }

    public static func conv(_ name: String, _ outputs: Int, kernel: Int, padding: Int, stride: Int = 1, groups: Int? = nil, bias: Bool? = nil) -> LayerSpec {
        var l = LayerSpec(name: name, kind: .convolution, outputs: outputs, kernel: kernel, stride: stride, padding: padding, bias: bias)
        l.groups = groups
        return l
    }
    /// A convolution with TensorFlow's "same" padding (ceil(size / stride) outputs; the odd
    /// padding pixel at the bottom and right).
    public static func convSame(_ name: String, _ outputs: Int, kernel: Int, stride: Int = 1, groups: Int? = nil, bias: Bool? = nil) -> LayerSpec {
        var l = LayerSpec(name: name, kind: .convolution, outputs: outputs, kernel: kernel, stride: stride, bias: bias)
        l.tfSame = true
        l.groups = groups
        return l
    }

    public static func relu(_ name: String) -> LayerSpec { LayerSpec(name: name, kind: .relu) }
    /// ReLU6, sigmoid, SiLU or hard-swish: element-wise, as PyTorch defines them.
    public static func activation(_ name: String, _ kind: Kind) -> LayerSpec { LayerSpec(name: name, kind: kind) }
    public static func maxPool(_ name: String, _ size: Int, stride: Int? = nil, padding: Int? = nil) -> LayerSpec {
        LayerSpec(name: name, kind: .maxPool, kernel: size, stride: stride ?? size, padding: padding)
    }
    public static func fc(_ name: String, _ outputs: Int) -> LayerSpec {
        LayerSpec(name: name, kind: .fullyConnected, outputs: outputs)
    }
    public static func dropout(_ name: String, _ rate: Float) -> LayerSpec {
        LayerSpec(name: name, kind: .dropout, rate: rate)
    }
    public static func batchNorm(_ name: String, eps: Float? = nil) -> LayerSpec {
        var l = LayerSpec(name: name, kind: .batchNorm)
        l.eps = eps
        return l
    }
    public static func globalAvgPool(_ name: String) -> LayerSpec { LayerSpec(name: name, kind: .globalAvgPool) }
    public static func avgPool(_ name: String, _ size: Int, stride: Int? = nil, padding: Int? = nil) -> LayerSpec {
        LayerSpec(name: name, kind: .avgPool, kernel: size, stride: stride ?? size, padding: padding)
    }
    public static func add(_ name: String, shortcut: String, input: String? = nil) -> LayerSpec {
        LayerSpec(name: name, kind: .add, input: input, shortcut: shortcut)
    }
    /// Each channel of `input` (or of the layer before) times the gate's value for it.
    public static func multiply(_ name: String, gate: String, input: String? = nil) -> LayerSpec {
        var l = LayerSpec(name: name, kind: .multiply, input: input)
        l.gate = gate
        return l
    }

    /// The same layer reading another layer's output, or belonging to a block.
    public func reading(_ input: String) -> LayerSpec { var l = self; l.input = input; return l }
    public func inBlock(_ block: String) -> LayerSpec { var l = self; l.block = block; return l }

    /// The keys of a spec file (snake_case where a name has two words).
    enum CodingKeys: String, CodingKey {
        case name, kind, outputs, kernel, stride, padding, groups, rate, eps, input, shortcut, gate, bias, block
        case tfSame = "tf_same"
    }

    /// Holds parameters (and, for batch normalisation, running statistics).
    public var isLearnable: Bool { kind == .convolution || kind == .fullyConnected || kind == .batchNorm }
    var hasBias: Bool { bias ?? true }
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

    /// The transfer unit of each layer: its `block` if it has one; otherwise a convolution or
    /// fully connected layer is a unit of its own and a batch normalisation joins the unit before
    /// it (its conv's). Layers without parameters and without a block belong to none.
    public var unitOfLayer: [String?] {
        var result: [String?] = []
        var last: String?
        for layer in layers {
            var unit = layer.block
            if unit == nil, layer.isLearnable { unit = layer.kind == .batchNorm ? (last ?? layer.name) : layer.name }
            if layer.isLearnable { last = unit }
            result.append(unit)
        }
        return result
    }

    /// The units "the first n layers" counts, in order: for a plain network its convolutional and
    /// fully connected layers (Yosinski et al.'s layers), for a residual network the stem, each
    /// residual block and the classifier. The last is always the classifier.
    public var units: [String] {
        var seen = Set<String>(), result: [String] = []
        for (layer, unit) in zip(layers, unitOfLayer) where layer.isLearnable {
            if let unit, seen.insert(unit).inserted { result.append(unit) }
        }
        return result
    }

    /// Every layer that holds parameters, by its own name (what a state dict's modules map to).
    public var parameterLayerNames: [String] { layers.filter(\.isLearnable).map(\.name) }

    public var classes: Int { layers.last(where: { $0.kind == .fullyConnected })?.outputs ?? 0 }

    /// The same network with a classifier for another number of classes.
    public func withClasses(_ classes: Int) -> NetworkSpec {
        var copy = self
        if let i = copy.layers.lastIndex(where: { $0.kind == .fullyConnected }) { copy.layers[i].outputs = classes }
        return copy
    }

    /// For each layer, the index of the layer whose output it reads (-1: the network's input),
    /// and for an `add` or a `multiply` the index of its second operand (shortcut or gate). Names
    /// must refer to earlier layers.
    package func wiring() throws -> [(input: Int, operand: Int?)] {
        var index: [String: Int] = [:]
        var result: [(Int, Int?)] = []
        for (i, layer) in layers.enumerated() {
            func earlier(_ name: String, _ role: String) throws -> Int {
                guard let j = index[name] else {
                    let known = layers[..<i].map(\.name)
                    throw EngineError.invalidSpec("\(layer.name): its \(role) '\(name)' is not an earlier layer"
                        + (known.isEmpty ? " (it is the first layer)" : " (earlier layers: \(known.joined(separator: ", ")))"))
                }
                return j
            }
            let input = try layer.input.map { try earlier($0, "input") } ?? (i - 1)
            var operand: Int?
            if layer.kind == .add {
                guard let s = layer.shortcut else { throw EngineError.invalidSpec("\(layer.name): an add layer needs a shortcut (the layer whose output it adds)") }
                operand = try earlier(s, "shortcut")
            } else if layer.shortcut != nil {
                throw EngineError.invalidSpec("\(layer.name): only an add layer has a shortcut")
            }
            if layer.kind == .multiply {
                guard let g = layer.gate else { throw EngineError.invalidSpec("\(layer.name): a multiply layer needs a gate (the layer whose C x 1 x 1 output scales the channels)") }
                operand = try earlier(g, "gate")
            } else if layer.gate != nil {
                throw EngineError.invalidSpec("\(layer.name): only a multiply layer has a gate")
            }
            guard index.updateValue(i, forKey: layer.name) == nil else {
                throw EngineError.invalidSpec("layer name '\(layer.name)' is used twice")
            }
            result.append((input, operand))
        }
        return result
    }

    /// The shape after each layer for one image, checking every layer's settings on the way.
    public func validatedShapes() throws -> [[Int]] {
        guard channels > 0, height > 0, width > 0 else {
            throw EngineError.invalidSpec("input shape \(channels)x\(height)x\(width) must be positive")
        }
        guard let last = layers.last, last.kind == .fullyConnected else {
            throw EngineError.invalidSpec("the last layer must be fully connected (the classifier)")
        }
        let wiring = try wiring()
        var shapes: [[Int]] = []
        let text = { (s: [Int]) in s.map(String.init).joined(separator: "x") }
        for (i, layer) in layers.enumerated() {
            let shape = wiring[i].input < 0 ? [channels, height, width] : shapes[wiring[i].input]
            let from = wiring[i].input < 0 ? "the input" : layers[wiring[i].input].name
            /// "the 28x28 input", "the 14x14 output of conv2".
            let spatial = shape.count == 3 ? "\(shape[1])x\(shape[2])" : "\(shape[0])-wide"
            let source = wiring[i].input < 0 ? "the \(spatial) input" : "the \(spatial) output of \(from)"
            func need(_ value: Int?, _ what: String) throws -> Int {
                guard let value, value > 0 else {
                    throw EngineError.invalidSpec("\(layer.name): \(what) must be a positive number")
                }
                return value
            }
            func image(_ what: String) throws {
                guard shape.count == 3 else { throw EngineError.invalidSpec("\(layer.name): \(what) needs an image input, not \(source) (a vector)") }
            }
            switch layer.kind {
            case .convolution:
                try image("a convolution")
                let out = try need(layer.outputs, "outputs"), k = try need(layer.kernel, "kernel"), s = try need(layer.stride ?? 1, "stride")
                let p = layer.padding ?? 0, g = try need(layer.groups ?? 1, "groups"), same = layer.tfSame ?? false
                if same && layer.padding != nil { throw EngineError.invalidSpec("\(layer.name): tf_same computes the padding; leave out padding") }
                guard shape[0] % g == 0, out % g == 0 else {
                    throw EngineError.invalidSpec("\(layer.name): \(g) groups must divide both its \(shape[0]) input channels and its \(out) outputs")
                }
                let h = same ? (shape[1] + s - 1) / s : Convolution.outputSize(shape[1], kernel: k, stride: s, padding: p)
                let w = same ? (shape[2] + s - 1) / s : Convolution.outputSize(shape[2], kernel: k, stride: s, padding: p)
                guard p >= 0, h > 0, w > 0 else {
                    throw EngineError.invalidSpec("\(layer.name): kernel \(k) with padding \(p) does not fit \(source)")
                }
                shapes.append([out, h, w])
            case .maxPool, .avgPool:
                try image("pooling")
                let k = try need(layer.kernel, "kernel"), s = try need(layer.stride ?? k, "stride"), p = layer.padding ?? 0
                // PyTorch's rule: a window must hold more input than padding.
                guard p >= 0, 2 * p <= k else {
                    throw EngineError.invalidSpec("\(layer.name): pooling padding must be between 0 and half the window (\(k / 2)), not \(p)")
                }
                let h = Pooling.outputSize(shape[1], window: k, stride: s, padding: p)
                let w = Pooling.outputSize(shape[2], window: k, stride: s, padding: p)
                guard h > 0, w > 0 else {
                    throw EngineError.invalidSpec("\(layer.name): a \(k)x\(k) window\(p > 0 ? " with padding \(p)" : "") does not fit \(source)")
                }
                shapes.append([shape[0], h, w])
            case .globalAvgPool:
                try image("global average pooling")
                shapes.append([shape[0], 1, 1])
            case .fullyConnected:
                shapes.append([try need(layer.outputs, "outputs")])
            case .batchNorm:
                if let e = layer.eps, !(e > 0 && e < 1) { throw EngineError.invalidSpec("\(layer.name): eps must be a small positive number, not \(e)") }
                if let c = layer.outputs, c != shape[0] {
                    throw EngineError.invalidSpec("\(layer.name): batch normalisation of \(c) channels, but \(from) gives \(shape[0]) (shape \(text(shape)))")
                }
                shapes.append(shape)
            case .add:
                let other = shapes[wiring[i].operand!]
                guard other == shape else {
                    throw EngineError.invalidSpec("\(layer.name): cannot add shortcut \(layer.shortcut!) of shape \(text(other)) to \(from) of shape \(text(shape)); "
                                                  + "a shortcut across a change of size needs a projection (a strided 1x1 convolution)")
                }
                shapes.append(shape)
            case .multiply:
                try image("a channel-wise multiply")
                let gate = shapes[wiring[i].operand!]
                guard gate == [shape[0], 1, 1] else {
                    throw EngineError.invalidSpec("\(layer.name): its gate \(layer.gate!) gives shape \(text(gate)), but scaling the \(shape[0]) channels of \(from) "
                                                  + "needs \(shape[0])x1x1 (a 1x1 convolution of globally pooled features)")
                }
                shapes.append(shape)
            case .dropout:
                guard let r = layer.rate, r >= 0, r < 1 else {
                    throw EngineError.invalidSpec("\(layer.name): dropout rate must be in [0, 1)")
                }
                shapes.append(shape)
            case .relu, .relu6, .sigmoid, .silu, .hardswish:
                shapes.append(shape)
            }
        }
        return shapes
    }
}

extension InputShape {
    /// The input a spec takes.
    public init(_ spec: NetworkSpec) { self.init(channels: spec.channels, height: spec.height, width: spec.width) }
}
