// 2-D convolution (cross-correlation, as in Caffe and PyTorch) with bias, on oneDNN; grouped
// (`groups` > 1) or depthwise (groups = input channels, MobileNet's) as PyTorch's Conv2d(groups=):
// the weight keeps PyTorch's [out, in / groups, k, k], which in memory is the kernel's
// [groups, out / groups, in / groups, k, k].
import CDNNL

final class Convolution: WeightedLayer {
    let kernel: Int
    let stride: Int
    let padding: Int
    let outChannels: Int
    let groups: Int

    init(name: String, inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int, groups: Int = 1, bias: Bool = true) {
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.outChannels = outChannels
        self.groups = groups
        super.init(name: name, weightShape: [outChannels, inChannels / groups, kernel, kernel], outputs: outChannels, bias: bias)
    }

    override func kernelWeightDims(input: [Int]) -> [Int] {
        guard groups > 1 else { return weight.shape }
        return [groups, outChannels / groups, weight.shape[1], kernel, kernel]
    }

    /// Set by `prepare` when the weight gradient is computed as a GEMM (few input channels).
    private var lowered: LoweredWeightGradient?

    override func prepare(input: DNNLMemory, inputGradient: DNNLMemory?) -> DNNLMemory {
        let output = super.prepare(input: input, inputGradient: inputGradient)
        let plain = input.desc.sameLayout(as: .plain(input.desc.shape))
        // The lowered GEMM computes one group's weights; grouped convolutions keep oneDNN's kernel.
        lowered = groups == 1 && LoweredWeightGradient.applies(inputChannels: input.desc.shape[1], inputIsPlain: plain)
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
        let o = { Convolution.outputSize($0, kernel: self.kernel, stride: self.stride, padding: self.padding) }
        return [input[0], outChannels, o(input[2]), o(input[3])]
    }

    private var geometry: (strides: [dnnl_dim_t], padding: [dnnl_dim_t]) {
        ([dnnl_dim_t(stride), dnnl_dim_t(stride)], [dnnl_dim_t(padding), dnnl_dim_t(padding)])
    }

    override func makeForward(src: MemoryDesc, weights: MemoryDesc, bias: MemoryDesc?, dst: MemoryDesc) -> DNNLPrimitive {
        var (s, w, d) = (src, weights, dst)
        var desc = dnnl_convolution_desc_t()
        dnnlCheck(withOptionalPointer(bias) { b in
            dnnl_convolution_forward_desc_init(&desc, dnnl_forward_training, dnnl_convolution_direct,
                                               &s, &w, b, &d, geometry.strides, geometry.padding, geometry.padding)
        },
                  "dnnl_convolution_forward_desc_init(\(name))")
        return DNNLPrimitive("\(name) forward", opDesc: desc)
    }

    override func makeBackwardData(diffSrc: MemoryDesc, weights: MemoryDesc, diffDst: MemoryDesc, hint: DNNLPrimitive) -> DNNLPrimitive {
        var (s, w, d) = (diffSrc, weights, diffDst)
        var desc = dnnl_convolution_desc_t()
        dnnlCheck(dnnl_convolution_backward_data_desc_init(&desc, dnnl_convolution_direct, &s, &w, &d,
                                                           geometry.strides, geometry.padding, geometry.padding),
                  "dnnl_convolution_backward_data_desc_init(\(name))")
        return DNNLPrimitive("\(name) backward-data", opDesc: desc, hint: hint)
    }

    override func makeBackwardWeights(src: MemoryDesc, diffWeights: MemoryDesc, diffBias: MemoryDesc?, diffDst: MemoryDesc, hint: DNNLPrimitive) -> DNNLPrimitive {
        var (s, w, d) = (src, diffWeights, diffDst)
        var desc = dnnl_convolution_desc_t()
        dnnlCheck(withOptionalPointer(diffBias) { b in
            dnnl_convolution_backward_weights_desc_init(&desc, dnnl_convolution_direct, &s, &w, b, &d,
                                                        geometry.strides, geometry.padding, geometry.padding)
        },
                  "dnnl_convolution_backward_weights_desc_init(\(name))")
        return DNNLPrimitive("\(name) backward-weights", opDesc: desc, hint: hint)
    }
}
