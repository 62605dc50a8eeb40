// Batch normalisation (Ioffe & Szegedy 2015) on oneDNN, in the layout of its input:
//   y = gamma * (x - mean) / sqrt(var + eps) + beta, per channel.
// In training it normalises with the batch's own statistics and folds them into running
// statistics (PyTorch's rule: momentum 0.1, the unbiased variance); in inference, and in training
// when its statistics are frozen, it normalises with the running statistics. gamma and beta are
// parameters (`name.weight`, `name.bias`); the running statistics are buffers
// (`name.running_mean`, `name.running_var`), saved and copied with the layer but never trained.
import CDNNL

final class BatchNormalization: Layer {
    let name: String
    let channels: Int
    /// Added to the variance: PyTorch's default 1e-5, or the layer's own (EfficientNet's 1e-3).
    let epsilon: Float
    static let defaultEpsilon: Float = 1e-5
    /// PyTorch's default: running = (1 - momentum) * running + momentum * batch.
    static let momentum: Float = 0.1

    let scale: Parameter
    let shift: Parameter
    let runningMean: Parameter
    let runningVariance: Parameter
    var parameters: [Parameter] { [scale, shift] }
    var buffers: [Parameter] { [runningMean, runningVariance] }

    /// Training normalises with the running statistics and leaves them alone (a frozen layer of
    /// a fine-tuned network, Keras's habit), instead of with each batch's.
    var freezesStatistics = false
    /// When set, training forward passes average the batch statistics with equal weights into
    /// the running ones (a fresh estimate, AdaBN) and count the batches here.
    var estimatedBatches: Int?

    private(set) var output: DNNLMemory!
    private(set) var outputGradient: DNNLMemory!
    private var input: DNNLMemory!
    private var inputGradient: DNNLMemory!
    private var batchMean: DNNLMemory!
    private var batchVariance: DNNLMemory!
    /// Per statistics source (batch, running): the forward and the backward kernel.
    private var kernels: [Bool: (forward: DNNLPrimitive, backward: DNNLPrimitive)] = [:]
    /// The statistics the last forward pass used, so backward differentiates the same function.
    private var lastUsedRunning = false
    /// backward runs once per step and yields all gradients; set when backwardWeights ran it.
    private var backwardDone = false
    /// Elements per channel in a batch (N x H x W), for the unbiased variance.
    private var perChannel = 1

    init(name: String, channels: Int, epsilon: Float = BatchNormalization.defaultEpsilon) {
        self.name = name
        self.channels = channels
        self.epsilon = epsilon
        scale = Parameter(name: "\(name).weight", shape: [channels], decayMultiplier: 0)
        shift = Parameter(name: "\(name).bias", shape: [channels], decayMultiplier: 0)
        runningMean = Parameter(name: "\(name).running_mean", shape: [channels], decayMultiplier: 0)
        runningVariance = Parameter(name: "\(name).running_var", shape: [channels], decayMultiplier: 0)
        for buffer in buffers { buffer.learningRateMultiplier = 0 }
        reset()
    }

    /// gamma 1, beta 0, running mean 0, running variance 1: the identity on standardised input.
    func reset() {
        scale.valuePointer.update(repeating: 1, count: channels)
        shift.valuePointer.update(repeating: 0, count: channels)
        runningMean.valuePointer.update(repeating: 0, count: channels)
        runningVariance.valuePointer.update(repeating: 1, count: channels)
        for p in parameters + buffers { p.momentum = []; p.markChanged() }
    }

    func prepare(input: DNNLMemory, inputGradient: DNNLMemory?) -> DNNLMemory {
        self.input = input
        // The backward kernel always writes the input's gradient; without a layer below that
        // wants it, into scratch.
        self.inputGradient = inputGradient ?? DNNLMemory(input.desc)
        let dims = input.desc.shape
        perChannel = dims.reduce(1, *) / dims[1]
        output = DNNLMemory(input.desc)
        outputGradient = DNNLMemory(input.desc)
        batchMean = DNNLMemory(plain: [channels])
        batchVariance = DNNLMemory(plain: [channels])
        kernels = [:]
        for running in [false, true] {
            var flags = dnnl_use_scale.rawValue | dnnl_use_shift.rawValue
            if running { flags |= dnnl_use_global_stats.rawValue }
            var data = input.desc, diff = input.desc
            var desc = dnnl_batch_normalization_desc_t()
            dnnlCheck(dnnl_batch_normalization_forward_desc_init(&desc, dnnl_forward_training, &data, epsilon, flags),
                      "dnnl_batch_normalization_forward_desc_init(\(name))")
            let fwd = DNNLPrimitive("\(name) forward", opDesc: desc)
            var bdesc = dnnl_batch_normalization_desc_t()
            dnnlCheck(dnnl_batch_normalization_backward_desc_init(&bdesc, dnnl_backward, &diff, &data, epsilon, flags),
                      "dnnl_batch_normalization_backward_desc_init(\(name))")
            kernels[running] = (fwd, DNNLPrimitive("\(name) backward", opDesc: bdesc, hint: fwd))
        }
        return output
    }

    var implementations: [(StepProfile.Phase, String)] {
        guard let k = kernels[false] else { return [] }
        return [(.forward, k.forward.implementation), (.backwardData, k.backward.implementation)]
    }

    func forward(training: Bool) {
        backwardDone = false
        let running = !training || freezesStatistics
        lastUsedRunning = running
        let (mean, variance) = running ? (runningMean.value, runningVariance.value) : (batchMean!, batchVariance!)
        kernels[running]!.forward.execute([
            (DNNL_ARG_SRC, input), (DNNL_ARG_DST, output), (DNNL_ARG_MEAN, mean), (DNNL_ARG_VARIANCE, variance),
            (DNNL_ARG_SCALE, scale.value), (DNNL_ARG_SHIFT, shift.value),
        ])
        if !running { updateRunningStatistics() }
    }

    private func updateRunningStatistics() {
        let m: Float
        if let n = estimatedBatches {
            m = 1 / Float(n + 1)
            estimatedBatches = n + 1
        } else {
            m = Self.momentum
        }
        let unbiased = Float(perChannel) / Float(max(perChannel - 1, 1))
        let rm = runningMean.valuePointer, rv = runningVariance.valuePointer
        let bm = batchMean.floats, bv = batchVariance.floats
        for c in 0..<channels {
            rm[c] = (1 - m) * rm[c] + m * bm[c]
            rv[c] = (1 - m) * rv[c] + m * bv[c] * unbiased
        }
        runningMean.markChanged()
        runningVariance.markChanged()
    }

    private func backward() {
        let running = lastUsedRunning
        let (mean, variance) = running ? (runningMean.value, runningVariance.value) : (batchMean!, batchVariance!)
        kernels[running]!.backward.execute([
            (DNNL_ARG_SRC, input), (DNNL_ARG_MEAN, mean), (DNNL_ARG_VARIANCE, variance), (DNNL_ARG_DIFF_DST, outputGradient),
            // oneDNN 2.6 refuses the backward pass without the shift too, though it does not read it.
            (DNNL_ARG_SCALE, scale.value), (DNNL_ARG_SHIFT, shift.value), (DNNL_ARG_DIFF_SRC, inputGradient),
            (DNNL_ARG_DIFF_SCALE, scale.gradient), (DNNL_ARG_DIFF_SHIFT, shift.gradient),
        ])
    }

    func backwardWeights() {
        backward()
        backwardDone = true
    }

    func backwardData() {
        if backwardDone { backwardDone = false } else { backward() }
    }
}
