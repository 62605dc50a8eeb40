// 2-D convolution (cross-correlation, as in Caffe and PyTorch) with bias, on oneDNN; grouped
// (`groups` > 1) or depthwise (groups = input channels, MobileNet's) as PyTorch's Conv2d(groups=):
// the weight keeps PyTorch's [out, in / groups, k, k], which in memory is the kernel's
// [groups, out / groups, in / groups, k, k].
import CDNNL

final class Convolution: WeightedLayer {
    let kernel: Int
    let stride: Int
    let padding: Int
    /// TensorFlow's "same" padding: the total a stride needs for ceil(size / stride) outputs,
    /// the odd pixel at the bottom and right (EfficientNet-Lite's weights expect it). Computed
    /// for each input size in `prepare`; `padding` is then unused.
    let tfSame: Bool
    let outChannels: Int
    let groups: Int
    /// (top, left) and (bottom, right) padding for the prepared input size.
    private var low: [Int], high: [Int]

    init(name: String, inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int, tfSame: Bool = false, groups: Int = 1, bias: Bool = true) {
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.tfSame = tfSame
        self.outChannels = outChannels
        self.groups = groups
        low = [padding, padding]
        high = [padding, padding]
        super.init(name: name, weightShape: [outChannels, inChannels / groups, kernel, kernel], outputs: outChannels, bias: bias)
    }

    override func kernelWeightDims(input: [Int]) -> [Int] {
        guard groups > 1 else { return weight.shape }
        return [groups, outChannels / groups, weight.shape[1], kernel, kernel]
    }

    /// Set by `prepare` when the weight gradient is computed as a GEMM (few input channels).
    private var lowered: LoweredWeightGradient?

    /// TensorFlow's "same" padding of one dimension: (before, after).
    static func tfSamePadding(_ size: Int, kernel: Int, stride: Int) -> (Int, Int) {
        let total = max(((size + stride - 1) / stride - 1) * stride + kernel - size, 0)
        return (total / 2, total - total / 2)
    }

    override func prepare(input: DNNLMemory, inputGradient: DNNLMemory?) -> DNNLMemory {
        if tfSame {
            let shape = input.desc.shape
            let (h, w) = (Self.tfSamePadding(shape[2], kernel: kernel, stride: stride), Self.tfSamePadding(shape[3], kernel: kernel, stride: stride))
            (low, high) = ([h.0, w.0], [h.1, w.1])
        }
        let output = super.prepare(input: input, inputGradient: inputGradient)
        let plain = input.desc.sameLayout(as: .plain(input.desc.shape))
        // The lowered GEMM computes one group's weights with symmetric padding; grouped and
        // TF-padded convolutions keep oneDNN's kernel.
        lowered = groups == 1 && !tfSame && LoweredWeightGradient.applies(inputChannels: input.desc.shape[1], inputIsPlain: plain)
            ? LoweredWeightGradient(input: input, outputGradient: outputGradient, weightGradient: weight.gradient.floats,
                                    biasGradient: bias?.gradient.floats, kernel: kernel, stride: stride, padding: padding)
            : nil
        return output
    }

    override func backwardWeights() {
        if let lowered { lowered.run() } else { super.backwardWeights() }
    }

    override var implementations: [(StepProfile.Phase, String)] {
        super.implementations.map { phase, name in (phase, phase == .backwardWeights && lowered != nil ? "im2col+sgemm" : name) }
    }

    static func outputSize(_ size: Int, kernel: Int, stride: Int, padding: Int) -> Int {
        (size + 2 * padding - kernel) / stride + 1
    }

    override func outputDims(input: [Int]) -> [Int] {
        let o = { (size: Int, d: Int) in (size + self.low[d] + self.high[d] - self.kernel) / self.stride + 1 }
        return [input[0], outChannels, o(input[2], 0), o(input[3], 1)]
    }

    private var geometry: (strides: [dnnl_dim_t], low: [dnnl_dim_t], high: [dnnl_dim_t]) {
        ([dnnl_dim_t(stride), dnnl_dim_t(stride)], low.map { dnnl_dim_t($0) }, high.map { dnnl_dim_t($0) })
    }

    override func makeForward(src: MemoryDesc, weights: MemoryDesc, bias: MemoryDesc?, dst: MemoryDesc) -> DNNLPrimitive {
        var (s, w, d) = (src, weights, dst)
        var desc = dnnl_convolution_desc_t()
        dnnlCheck(withOptionalPointer(bias) { b in
            dnnl_convolution_forward_desc_init(&desc, dnnl_forward_training, dnnl_convolution_direct,
                                               &s, &w, b, &d, geometry.strides, geometry.low, geometry.high)
        },
                  "dnnl_convolution_forward_desc_init(\(name))")
        return DNNLPrimitive("\(name) forward", opDesc: desc)
    }

    override func makeBackwardData(diffSrc: MemoryDesc, weights: MemoryDesc, diffDst: MemoryDesc, hint: DNNLPrimitive) -> DNNLPrimitive {
        var (s, w, d) = (diffSrc, weights, diffDst)
        var desc = dnnl_convolution_desc_t()
        dnnlCheck(dnnl_convolution_backward_data_desc_init(&desc, dnnl_convolution_direct, &s, &w, &d,
                                                           geometry.strides, geometry.low, geometry.high),
                  "dnnl_convolution_backward_data_desc_init(\(name))")
        return DNNLPrimitive("\(name) backward-data", opDesc: desc, hint: hint)
    }

    override func makeBackwardWeights(src: MemoryDesc, diffWeights: MemoryDesc, diffBias: MemoryDesc?, diffDst: MemoryDesc, hint: DNNLPrimitive) -> DNNLPrimitive {
        var (s, w, d) = (src, diffWeights, diffDst)
        var desc = dnnl_convolution_desc_t()
        dnnlCheck(withOptionalPointer(diffBias) { b in
            dnnl_convolution_backward_weights_desc_init(&desc, dnnl_convolution_direct, &s, &w, b, &d,
                                                        geometry.strides, geometry.low, geometry.high)
        },
                  "dnnl_convolution_backward_weights_desc_init(\(name))")
        return DNNLPrimitive("\(name) backward-weights", opDesc: desc, hint: hint)
    }
}
