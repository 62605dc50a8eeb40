// A network built from a spec: layers in order, forward and backward over a batch, and the
// operations transfer strategies need (copy layers, freeze them, re-initialise them, read
// features at a layer). Kernels are built once per batch size and reused.
import HarnessSupport

public final class Network {
    public let spec: NetworkSpec
    let layers: [Layer]
    /// Every learnable tensor, in layer order.
    public let parameters: [Parameter]

    private(set) var batchSize = 0
    /// The precision the kernels were built in: another rebuilds them.
    private var builtPrecision = Precision.fp32
    private(set) var input: DNNLMemory!
    private(set) var inputGradient: DNNLMemory?

    public init(spec: NetworkSpec, seed: UInt64, initializer: Initializer = .xavier) throws {
        let shapes = try spec.validatedShapes()
        let wiring = try spec.wiring()
        self.spec = spec
        bytesPerImage = shapes.reduce(spec.channels * spec.height * spec.width) { $0 + $1.reduce(1, *) } * MemoryLayout<Float>.stride * 4
        var layers: [Layer] = []
        for (i, (layer, outShape)) in zip(spec.layers, shapes).enumerated() {
            let inShape = wiring[i].input < 0 ? [spec.channels, spec.height, spec.width] : shapes[wiring[i].input]
            switch layer.kind {
            case .convolution:
                layers.append(Convolution(name: layer.name, inChannels: inShape[0], outChannels: outShape[0],
                                          kernel: layer.kernel!, stride: layer.stride ?? 1, padding: layer.padding ?? 0,
                                          tfSame: layer.tfSame ?? false, groups: layer.groups ?? 1, bias: layer.hasBias))
            case .fullyConnected:
                layers.append(FullyConnected(name: layer.name, inputs: inShape.reduce(1, *), outputs: outShape[0], bias: layer.hasBias))
            case .maxPool:
                layers.append(Pooling(name: layer.name, window: .max(size: layer.kernel!, stride: layer.stride ?? layer.kernel!, padding: layer.padding ?? 0)))
            case .avgPool:
                layers.append(Pooling(name: layer.name, window: .average(size: layer.kernel!, stride: layer.stride ?? layer.kernel!, padding: layer.padding ?? 0)))
            case .globalAvgPool:
                layers.append(Pooling(name: layer.name, window: .globalAverage))
            case .batchNorm:
                layers.append(BatchNormalization(name: layer.name, channels: inShape[0], epsilon: layer.eps ?? BatchNormalization.defaultEpsilon))
            case .add:
                layers.append(Addition(name: layer.name))
            case .multiply:
                layers.append(ChannelMultiply(name: layer.name))
            case .relu, .relu6, .sigmoid, .silu, .hardswish:
                layers.append(Activation(name: layer.name, function: Activation.Function(rawValue: layer.kind.rawValue)!))
            case .dropout:
                layers.append(Dropout(name: layer.name, rate: layer.rate!, seed: seed))
            }
        }
        self.layers = layers
        inputOf = wiring.map(\.input)
        operandOf = wiring.map(\.operand)
        unitOfLayer = spec.unitOfLayer
        parameters = layers.flatMap(\.parameters)
        buffers = layers.flatMap(\.buffers)
        for layer in layers where !layer.parameters.isEmpty { try reinitialize(layer: layer.name, with: initializer, seed: seed) }
    }

    /// Which layer each layer reads (-1: the images) and, for an addition or a channel-wise
    /// multiply, its second operand (shortcut or gate).
    let inputOf: [Int]
    let operandOf: [Int?]
    private let unitOfLayer: [String?]
    /// Running statistics of batch normalisation layers: saved and copied, never trained.
    public let buffers: [Parameter]
    /// Everything that makes the network compute what it computes: parameters and buffers.
    public var state: [Parameter] { parameters + buffers }

    public var classes: Int { spec.classes }
    public var imageSize: Int { spec.channels * spec.height * spec.width }
    /// The units "the first n layers" counts (`NetworkSpec.units`); the last is the classifier.
    public var units: [String] { spec.units }
    public var layerNames: [String] { spec.layers.map(\.name) }
    /// Layers that hold parameters (convolution, fully connected, batch normalisation), in order.
    public var parameterLayerNames: [String] { spec.parameterLayerNames }

    // MARK: Transfer operations

    /// The layers a name stands for: every layer of a unit (a residual block, or a convolution
    /// with its batch normalisation), or one layer by its own name.
    private func layers(named name: String) throws -> [Layer] {
        let inUnit = layers.indices.filter { unitOfLayer[$0] == name }.map { layers[$0] }
        if !inUnit.isEmpty { return inUnit }
        guard let l = layers.first(where: { $0.name == name }) else {
            let units = self.units
            throw EngineError.unknownLayer(name, known: units + layerNames.filter { !units.contains($0) })
        }
        return [l]
    }

    /// The parameters of a unit or a layer.
    public func parameters(of layer: String) throws -> [Parameter] {
        try layers(named: layer).flatMap(\.parameters)
    }

    /// Copies the named units' or layers' weights, biases and running statistics from another
    /// network with the same shapes (Caffe's copy-by-layer-name).
    public func copyLayers(_ names: [String], from source: Network) throws {
        for name in names {
            let mine = try layers(named: name), theirs = try source.layers(named: name)
            guard mine.map(\.name) == theirs.map(\.name) else {
                throw EngineError.layersDiffer("\(name) holds layers \(mine.map(\.name)) here but \(theirs.map(\.name)) in the source network")
            }
            for (p, q) in zip(mine.flatMap { $0.parameters + $0.buffers }, theirs.flatMap { $0.parameters + $0.buffers }) { try p.copy(from: q) }
        }
    }

    /// Sets the learning-rate multiplier of the named units or layers; 0 freezes them.
    public func setLearningRateMultiplier(_ multiplier: Float, layers names: [String]) throws {
        for name in names { try parameters(of: name).forEach { $0.learningRateMultiplier = multiplier } }
    }

    /// Kinds of parameters a strategy can select (BitFit trains the biases, BN-only tuning the
    /// batch-norm parameters): a convolution's or fully connected layer's `weight` and `bias`, and
    /// batch normalisation's scale and shift (`bn`). The shift is batch normalisation's bias, so
    /// `bias` takes it too: in a network whose convolutions have no bias (a ResNet), it is the
    /// only additive term there is.
    public enum ParameterKind: String, CaseIterable, Sendable {
        case all, weight, bias, bn

        func contains(_ p: Parameter, inBatchNorm: Bool) -> Bool {
            switch self {
            case .all: return true
            case .weight: return !inBatchNorm && p.name.hasSuffix(".weight")
            case .bias: return p.name.hasSuffix(".bias")
            case .bn: return inBatchNorm
            }
        }
    }

    /// The learning-rate multiplier of one kind of parameter of the named units or layers, or
    /// of every layer for "*"; other parameters keep theirs. Returns how many parameters it set.
    @discardableResult
    public func setLearningRateMultiplier(_ multiplier: Float, kind: ParameterKind, layers names: [String]) throws -> Int {
        let chosen = names == ["*"] ? layers : try names.flatMap { try layers(named: $0) }
        var set = 0
        for layer in chosen {
            let inBatchNorm = layer is BatchNormalization
            for p in layer.parameters where kind.contains(p, inBatchNorm: inBatchNorm) {
                p.learningRateMultiplier = multiplier
                set += 1
            }
        }
        return set
    }

    /// Draws the weights of the unit's or layer's layers afresh (biases to zero; batch
    /// normalisation back to the identity), each layer from a stream of its own so that
    /// re-initialising one layer never changes another's draw.
    public func reinitialize(layer name: String, with initializer: Initializer, seed: UInt64) throws {
        for layer in try layers(named: name) {
            if let bn = layer as? BatchNormalization { bn.reset(); continue }
            var generator = SeededGenerator(seed: seed, stream: "init/\(layer.name)")
            for p in layer.parameters {
                if p.decayMultiplier == 0 {
                    p.valuePointer.update(repeating: 0, count: p.count)
                } else {
                    initializer.fill(p.valuePointer, shape: p.shape, using: &generator)
                }
                p.momentum = []
                p.markChanged()
            }
        }
    }

    /// Number of parameters that training would change.
    public var trainableParameterCount: Int {
        parameters.filter { !$0.isFrozen }.reduce(0) { $0 + $1.count }
    }

    // MARK: Running a batch

    /// Builds (or rebuilds, if the size changed) every kernel for batches of `size` images.
    /// `inputGradient` asks for the gradient with respect to the images too (gradient checks).
    package func prepare(batch size: Int, inputGradient wantsInputGradient: Bool = false) {
        guard size != batchSize || wantsInputGradient != (inputGradient != nil) || Precision.current != builtPrecision else { return }
        batchSize = size
        builtPrecision = Precision.current
        input = DNNLMemory(plain: [size, spec.channels, spec.height, spec.width])
        inputGradient = wantsInputGradient ? DNNLMemory(input.desc) : nil
        // A layer's output may feed several layers (a residual block's input feeds its first
        // convolution and its shortcut). The first consumer writes the output's gradient buffer;
        // each other consumer writes a buffer of its own, added in before the producer's backward.
        extraGradients = Array(repeating: [], count: layers.count)
        var claimed = Set<Int>()
        // Each gradient buffer of a layer's output, with the layer whose backward step writes it.
        var gradients: [GradientLife] = []
        func gradientBuffer(for producer: Int, writtenBy consumer: Int) -> DNNLMemory? {
            guard producer >= 0 else { return inputGradient }
            let buffer: DNNLMemory
            if claimed.insert(producer).inserted {
                buffer = layers[producer].outputGradient
            } else {
                buffer = DNNLMemory(layers[producer].output.desc)
                extraGradients[producer].append(buffer)
            }
            gradients.append(GradientLife(buffer: buffer, readAt: producer, writtenAt: consumer))
            return buffer
        }
        for (i, layer) in layers.enumerated() {
            let producer = inputOf[i]
            let x: DNNLMemory = producer < 0 ? input : layers[producer].output
            let dx = gradientBuffer(for: producer, writtenBy: i)
            if let addition = layer as? Addition, let s = operandOf[i] {
                addition.connect(shortcut: layers[s].output, gradient: gradientBuffer(for: s, writtenBy: i))
            }
            if let multiply = layer as? ChannelMultiply, let g = operandOf[i] {
                multiply.connect(gate: layers[g].output, gradient: gradientBuffer(for: g, writtenBy: i))
            }
            _ = layer.prepare(input: x, inputGradient: dx)
        }
        // The loss writes the last layer's gradient before the backward pass starts.
        if !claimed.contains(layers.count - 1) {
            gradients.append(GradientLife(buffer: layers[layers.count - 1].outputGradient, readAt: layers.count - 1, writtenAt: layers.count))
        }
        for (i, layer) in layers.enumerated() {
            gradients += layer.backwardScratch.map { GradientLife(buffer: $0, readAt: i, writtenAt: i) }
        }
        gradientStorage = poolsGradients ? GradientLife.pool(gradients) : []
    }

    /// Whether gradient buffers share memory by lifetime (GradientLife); off only to check that
    /// pooling changes nothing.
    package var poolsGradients = true
    /// The shared allocations behind the gradient buffers (GradientLife.pool), for accounting.
    private(set) var gradientStorage: [SharedStorage] = []

    /// The memory evaluation may grow the kernels to: 2 GiB of layer buffers.
    static let evaluationMemoryBudget = 2 << 30

    /// The largest batch whose layer buffers fit the evaluation budget (at least 1).
    static func evaluationBatchLimit(bytesPerImage: Int) -> Int {
        max(1, evaluationMemoryBudget / max(bytesPerImage, 1))
    }

    /// What one image of a batch costs in layer buffers: each layer's output and output
    /// gradient, plus as much again for oneDNN's blocked copies and workspaces (measured: the
    /// backbone race's peaks are 2.5-3x the plain outputs). Set once, from the shapes `init` checks.
    let bytesPerImage: Int

    /// Per layer, gradient buffers of its output's other consumers (see `prepare`).
    private var extraGradients: [[DNNLMemory]] = []

    /// The batch input buffer: batchSize images, plain NCHW.
    var inputBuffer: UnsafeMutablePointer<Float> { input.floats }
    var inputGradientBuffer: UnsafeMutablePointer<Float>? { inputGradient?.floats }
    /// Output of the last layer: plain (batchSize, classes).
    var logits: UnsafeMutablePointer<Float> { layers.last!.output.floats }
    /// Gradient of the loss with respect to the logits, written by the loss before `backward`.
    var logitsGradient: UnsafeMutablePointer<Float> { layers.last!.outputGradient.floats }

    /// The oneDNN implementation behind each layer's phases at the current batch size, e.g.
    /// ("conv1", .backwardWeights, "gemm:jit").
    public var kernelImplementations: [(layer: String, phase: StepProfile.Phase, implementation: String)] {
        layers.flatMap { l in l.implementations.map { (l.name, $0.0, $0.1) } }
    }

    /// When set, every layer's forward and backward passes are timed into it.
    public var profile: StepProfile?

    /// Runs every layer from `first` on (after a frozen prefix, `first` is the layer after it,
    /// and the prefix's output was loaded in its place).
    func forward(training: Bool, from first: Int = 0) {
        for layer in layers[first...] { profile.time(layer.name, .forward) { layer.forward(training: training) } }
    }

    /// Extra gradients added into layers' output gradients during backward (feature distillation,
    /// domain losses): each is called with its layer's output-gradient storage once the layers
    /// above have written it, before the layer itself runs backward.
    private var gradientTaps: [(id: Int, layer: Int, add: (UnsafeMutablePointer<Float>) -> Void)] = []
    private var nextTap = 0

    /// Registers a tap; returns what `removeGradientTap` takes.
    func addGradientTap(layer: Int, _ add: @escaping (UnsafeMutablePointer<Float>) -> Void) -> Int {
        nextTap += 1
        gradientTaps.append((nextTap, layer, add))
        return nextTap
    }

    func removeGradientTap(_ id: Int) { gradientTaps.removeAll { $0.id == id } }

    /// Back-propagates from `logitsGradient`. Stops below the lowest layer that trains, so
    /// frozen early layers (the AnB case) cost no backward work at all.
    func backward() {
        let lowest = inputGradient != nil ? 0 : (layers.firstIndex { $0.isTrainable } ?? layers.count)
        var i = layers.count - 1
        while i >= lowest {
            let layer = layers[i]
            for extra in extraGradients[i] { extra.accumulate(into: layer.outputGradient.floats) }
            for tap in gradientTaps where tap.layer == i { tap.add(layer.outputGradient.floats) }
            if layer.isTrainable { profile.time(layer.name, .backwardWeights) { layer.backwardWeights() } }
            if i > lowest || inputGradient != nil { profile.time(layer.name, .backwardData) { layer.backwardData() } }
            i -= 1
        }
    }

    /// A layer name that means the same in every network: the features the classifier reads, the
    /// last layer before it that is not dropout (relu7 in the default network, relu4 in LeNet-5,
    /// avgpool in ResNet-20), so strategies and configurations that read "the features" need not
    /// know the architecture. A block's name (layer3.2) means the block's output.
    public static let penultimate = "penultimate"

    package func layerIndex(_ name: String) throws -> Int {
        if name == Network.penultimate, let classifier = layers.lastIndex(where: { $0 is FullyConnected }),
           let features = layers[..<classifier].lastIndex(where: { !($0 is Dropout) }) {
            return features
        }
        if let i = layers.firstIndex(where: { $0.name == name }) { return i }
        // A unit that is not itself a layer (a residual block): its output, the last layer in it.
        if let i = layers.indices.last(where: { unitOfLayer[$0] == name && !(layers[$0] is Dropout) }) { return i }
        throw EngineError.unknownLayer(name, known: layerNames + units.filter { !layerNames.contains($0) } + [Network.penultimate])
    }

    /// Runs `images` (count x imageSize floats) through the network in batches and hands each
    /// batch's rows of the chosen output to `body` (plain layout). The last batch is padded.
    func run(images: UnsafeBufferPointer<Float>, count: Int, batch: Int, upTo layerIndex: Int,
             _ body: (_ rows: UnsafePointer<Float>, _ first: Int, _ n: Int, _ width: Int) -> Void) {
        run(count: count, batch: batch, upTo: layerIndex, fill: { start, n, into in
            into.update(from: images.baseAddress! + start * imageSize, count: n * imageSize)
        }, body)
    }

    /// Builds kernels for evaluating `count` images about `batch` at a time and returns the batch
    /// they run at: `batch` unless the kernels already built are at least that big (evaluating
    /// at a training size of 64 wastes kernel efficiency on thousands of images, and rebuilding
    /// costs milliseconds; training rebuilds its own size when it resumes).
    func prepareForEvaluation(batch: Int, count: Int) -> Int {
        var wanted = max(1, min(batch, count))
        // Growing the kernels for evaluation stays within a memory budget: every layer keeps its
        // output and its gradient for the whole batch, and at 224 px EfficientNet-Lite0 at batch
        // 256 needed over 40 GiB (a comparison was killed by the OOM killer).
        if wanted > batchSize { wanted = max(batchSize, min(wanted, Self.evaluationBatchLimit(bytesPerImage: bytesPerImage))) }
        if batchSize < wanted || builtPrecision != Precision.current { prepare(batch: max(batchSize, wanted)) }
        return batchSize
    }

    /// As above, with `fill` writing images start..<start + n as floats into the input buffer,
    /// or, when `first` > 0, loading those images' outputs of layer first - 1 (a frozen prefix's,
    /// through `PrefixLoader`) while the input buffer is not read. `training` runs the layers'
    /// training forward passes (a frozen prefix's outputs as a training step computes them).
    func run(count: Int, batch: Int, upTo layerIndex: Int, from first: Int = 0, training: Bool = false,
             fill: (_ start: Int, _ n: Int, _ into: UnsafeMutablePointer<Float>) -> Void,
             _ body: (_ rows: UnsafePointer<Float>, _ first: Int, _ n: Int, _ width: Int) -> Void) {
        let batch = prepareForEvaluation(batch: batch, count: count)
        let layer = layers[layerIndex]
        let dims = layer.output.desc.shape
        let width = dims.dropFirst().reduce(1, *)
        let plain = Relayout(from: layer.output, as: .plain(dims))
        var start = 0
        while start < count {
            let n = min(batch, count - start)
            fill(start, n, inputBuffer)
            if n < batch, first == 0 { (inputBuffer + n * imageSize).update(repeating: 0, count: (batch - n) * imageSize) }
            for l in layers[first...layerIndex] { l.forward(training: training) }
            plain.run()
            body(plain.target.floats, start, n, width)
            start += n
        }
    }

    /// Logits (count x classes, row-major) for a set of images.
    public func logits(for images: [Float], batch: Int = 256) -> [Float] {
        try! features(at: layers.last!.name, for: images, batch: batch)
    }

    /// Predicted class for each image.
    public func predict(_ images: [Float], batch: Int = 256) -> [Int] {
        Network.argmax(logits(for: images, batch: batch), classes: classes)
    }

    /// The class with the largest logit in each row of `classes` values.
    package static func argmax(_ z: [Float], classes k: Int) -> [Int] {
        (0..<(z.count / k)).map { i in
            var best = 0
            for c in 1..<k where z[i * k + c] > z[i * k + best] { best = c }
            return best
        }
    }

    /// The first learnable tensor holding a NaN or an infinity, if any.
    public var firstNonFiniteParameter: Parameter? {
        parameters.first { p in !UnsafeBufferPointer(start: p.valuePointer, count: p.count).allSatisfy { $0.isFinite } }
    }

    /// The output of a named layer for each image (count x width, plain C, H, W order): the
    /// "CNN codes" a linear classifier can be trained on.
    public func features(at layerName: String, for images: [Float], batch: Int = 256) throws -> [Float] {
        let index = try layerIndex(layerName)
        let count = images.count / imageSize
        var out: [Float] = []
        images.withUnsafeBufferPointer { buf in
            run(images: buf, count: count, batch: batch, upTo: index) { rows, _, n, width in
                if out.isEmpty { out.reserveCapacity(count * width) }
                out.append(contentsOf: UnsafeBufferPointer(start: rows, count: n * width))
            }
        }
        return out
    }
}
