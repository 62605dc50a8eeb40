// A learnable tensor (a layer's weights or bias) with everything training needs next to it.
//
// Values and gradients are kept in the plain layout PyTorch uses (OIHW for convolutions, OI for
// fully connected layers), so that transfer, penalties and saved files never see oneDNN's
// blocked layouts. Layers reorder into their kernels' layout when `version` changes.

public final class Parameter {
    /// `layer.weight` or `layer.bias`, as in the saved safetensors file.
    public let name: String
    public let shape: [Int]
    /// Scales the learning rate for this tensor; 0 freezes it (Caffe's `lr_mult`).
    public var learningRateMultiplier: Float = 1
    /// Scales weight decay and L1 for this tensor (Caffe's `decay_mult`): 1 for weights, 0 for biases.
    public var decayMultiplier: Float

    let value: DNNLMemory
    let gradient: DNNLMemory
    /// SGD momentum buffer, allocated on first use.
    package var momentum: [Float] = []
    /// Bumped on every change to `value`, so layers know when to refresh their kernel-layout copy.
    private(set) var version = 0

    init(name: String, shape: [Int], decayMultiplier: Float) {
        self.name = name
        self.shape = shape
        self.decayMultiplier = decayMultiplier
        value = DNNLMemory(plain: shape)
        gradient = DNNLMemory(plain: shape)
    }

    public var count: Int { shape.reduce(1, *) }
    public var isFrozen: Bool { learningRateMultiplier == 0 }

    /// The values in plain (PyTorch) layout.
    public var values: [Float] {
        get { Array(UnsafeBufferPointer(start: value.floats, count: count)) }
        set {
            precondition(newValue.count == count, "\(name): \(newValue.count) values for shape \(shape)")
            newValue.withUnsafeBufferPointer { value.floats.update(from: $0.baseAddress!, count: count) }
            markChanged()
        }
    }

    /// The gradient of the last backward pass (plus any penalty added since), plain layout.
    public var gradients: [Float] { Array(UnsafeBufferPointer(start: gradient.floats, count: count)) }

    /// Direct access for the optimiser and penalties; call `markChanged()` after writing values.
    public var valuePointer: UnsafeMutablePointer<Float> { value.floats }
    public var gradientPointer: UnsafeMutablePointer<Float> { gradient.floats }

    public func markChanged() { version &+= 1 }

    /// Copies the values of another parameter of the same shape (layer transfer).
    public func copy(from other: Parameter) throws {
        guard other.shape == shape else {
            throw EngineError.shapeMismatch(parameter: name, expected: shape, found: other.shape)
        }
        value.floats.update(from: other.value.floats, count: count)
        momentum = []
        markChanged()
    }
}

/// Keeps a kernel-layout copy of a parameter in step with its plain values.
final class ParameterView {
    let parameter: Parameter
    private let relayout: Relayout
    private var seenVersion = -1

    /// `plain` describes the parameter's bytes in the shape the kernel expects (defaults to the
    /// parameter's own shape); `wanted` is the kernel's layout.
    init(_ parameter: Parameter, plain: MemoryDesc? = nil, as wanted: MemoryDesc) {
        self.parameter = parameter
        let source = plain.map { DNNLMemory(aliasing: parameter.value, as: $0) } ?? parameter.value
        relayout = Relayout(from: source, as: wanted)
    }

    /// The parameter in the kernel's layout, refreshed if the plain values changed.
    var memory: DNNLMemory {
        if seenVersion != parameter.version {
            relayout.run()
            seenVersion = parameter.version
        }
        return relayout.target
    }
}
