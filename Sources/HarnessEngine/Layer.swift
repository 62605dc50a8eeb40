// The contract every layer implements: Caffe's verbs (set up, forward, backward) over oneDNN
// buffers. Layers are internal; users see `Network`, `NetworkSpec` and `Parameter`.
//
// The one rule that keeps layouts simple: a layer's `inputGradient` has the same layout as the
// `input` it was given, so the gradient handed down the stack always fits the layer below.

protocol Layer: AnyObject {
    var name: String { get }
    var parameters: [Parameter] { get }
    /// State that travels with the layer (saved, copied) but is not trained: batch
    /// normalisation's running statistics.
    var buffers: [Parameter] { get }

    /// Builds kernels for `input` (whose layout the layer below chose) and returns the output.
    /// `inputGradient` is the buffer to write the input's gradient into (the layer below's
    /// `outputGradient`); nil for the first layer, which saves a whole backward-data pass.
    func prepare(input: DNNLMemory, inputGradient: DNNLMemory?) -> DNNLMemory

    func forward(training: Bool)

    /// Reads `outputGradient` and writes the parameters' gradients. Only called on layers that
    /// train (some parameter not frozen).
    func backwardWeights()

    /// Reads `outputGradient` and writes the input's gradient. Not called for the lowest layer
    /// that trains: nothing below it needs a gradient.
    func backwardData()

    /// The kernel behind each phase (oneDNN's implementation name), so a profile can say which
    /// implementation a slow layer runs on: that is where the next optimisation starts.
    var implementations: [(StepProfile.Phase, String)] { get }

    /// Set by `prepare`. The gradient of the output, same layout as the output; the layer above
    /// (or the loss) writes it.
    var output: DNNLMemory! { get }
    var outputGradient: DNNLMemory! { get }

    /// Buffers read and written only inside the layer's own backward step (a kernel-layout
    /// copy of the output gradient, say), which the network's gradient pool may share.
    var backwardScratch: [DNNLMemory] { get }
}

extension Layer {
    var parameters: [Parameter] { [] }
    var buffers: [Parameter] { [] }
    func backwardWeights() {}
    var implementations: [(StepProfile.Phase, String)] { [] }
    var backwardScratch: [DNNLMemory] { [] }
    var isTrainable: Bool { parameters.contains { !$0.isFrozen } }
}
