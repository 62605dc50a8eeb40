// Max pooling on oneDNN, in whatever layout the layer below produced.
import CDNNL

final class MaxPooling: Layer {
    let name: String
    let size: Int
    let stride: Int

    private(set) var output: DNNLMemory!
    private(set) var outputGradient: DNNLMemory!
    private var input: DNNLMemory!
    private var inputGradient: DNNLMemory?
    private var forwardKernel: DNNLPrimitive!
    private var backwardKernel: DNNLPrimitive?
    /// Where each maximum came from, written by forward and read by backward.
    private var workspace: DNNLMemory!

    init(name: String, size: Int, stride: Int) {
        self.name = name
        self.size = size
        self.stride = stride
    }

    /// Floor mode, as Caffe's and PyTorch's default: a trailing row that does not fill a window is dropped.
    static func outputSize(_ size: Int, window: Int, stride: Int) -> Int { (size - window) / stride + 1 }

    func prepare(input: DNNLMemory, inputGradient: DNNLMemory?) -> DNNLMemory {
        self.input = input
        self.inputGradient = inputGradient
        let d = input.desc.shape
        let o = { MaxPooling.outputSize($0, window: self.size, stride: self.stride) }
        let outDims = [d[0], d[1], o(d[2]), o(d[3])]
        let strides = [dnnl_dim_t(stride), dnnl_dim_t(stride)]
        let kernel = [dnnl_dim_t(size), dnnl_dim_t(size)]
        let dilation: [dnnl_dim_t] = [0, 0]
        let padding: [dnnl_dim_t] = [0, 0]

        var src = input.desc, dst = MemoryDesc.any(outDims)
        var desc = dnnl_pooling_v2_desc_t()
        dnnlCheck(dnnl_pooling_v2_forward_desc_init(&desc, dnnl_forward_training, dnnl_pooling_max, &src, &dst,
                                                    strides, kernel, dilation, padding, padding),
                  "dnnl_pooling_v2_forward_desc_init(\(name))")
        let fwd = DNNLPrimitive("\(name) forward", opDesc: desc)
        forwardKernel = fwd
        output = DNNLMemory(fwd.desc(dnnl_query_dst_md))
        outputGradient = DNNLMemory(output.desc)
        workspace = DNNLMemory(fwd.desc(dnnl_query_workspace_md))

        if inputGradient != nil {
            var diffSrc = input.desc, diffDst = output.desc
            var bdesc = dnnl_pooling_v2_desc_t()
            dnnlCheck(dnnl_pooling_v2_backward_desc_init(&bdesc, dnnl_pooling_max, &diffSrc, &diffDst,
                                                         strides, kernel, dilation, padding, padding),
                      "dnnl_pooling_v2_backward_desc_init(\(name))")
            backwardKernel = DNNLPrimitive("\(name) backward", opDesc: bdesc, hint: fwd)
        }
        return output
    }

    var implementations: [(StepProfile.Phase, String)] {
        [(.forward, forwardKernel.implementation)] + (backwardKernel.map { [(.backwardData, $0.implementation)] } ?? [])
    }

    func forward(training: Bool) {
        forwardKernel.execute([(DNNL_ARG_SRC, input), (DNNL_ARG_DST, output), (DNNL_ARG_WORKSPACE, workspace)])
    }

    func backwardData() {
        guard let kernel = backwardKernel, let inputGradient else { return }
        kernel.execute([(DNNL_ARG_DIFF_DST, outputGradient), (DNNL_ARG_WORKSPACE, workspace),
                        (DNNL_ARG_DIFF_SRC, inputGradient)])
    }
}
