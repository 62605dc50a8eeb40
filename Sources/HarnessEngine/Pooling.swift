// Pooling on oneDNN, in whatever layout the layer below produced: max pooling over square
// windows, padded as PyTorch pads them (padding never wins a maximum), and global average pooling (one window the size of the whole feature map, as
// residual networks use before their classifier).
import CDNNL

final class Pooling: Layer {
    enum Window {
        case max(size: Int, stride: Int, padding: Int)
        /// PyTorch's AvgPool2d: padding counts in the divisor (count_include_pad=True).
        case average(size: Int, stride: Int, padding: Int)
        case globalAverage
    }

    let name: String
    let window: Window

    private(set) var output: DNNLMemory!
    private(set) var outputGradient: DNNLMemory!
    private var input: DNNLMemory!
    private var inputGradient: DNNLMemory?
    private var forwardKernel: DNNLPrimitive!
    private var backwardKernel: DNNLPrimitive?
    /// Max pooling: where each maximum came from, written by forward and read by backward.
    private var workspace: DNNLMemory?

    init(name: String, window: Window) {
        self.name = name
        self.window = window
    }

    /// Floor mode, as Caffe's and PyTorch's default: a trailing row that does not fill a window is
    /// dropped. `padding` is added on both sides, as PyTorch's MaxPool2d(padding=) does.
    static func outputSize(_ size: Int, window: Int, stride: Int, padding: Int = 0) -> Int { (size + 2 * padding - window) / stride + 1 }

    func prepare(input: DNNLMemory, inputGradient: DNNLMemory?) -> DNNLMemory {
        self.input = input
        self.inputGradient = inputGradient
        let d = input.desc.shape
        let (kernel, strides, pad, algorithm): ([Int], [Int], Int, dnnl_alg_kind_t)
        switch window {
        case let .max(size, stride, padding):
            kernel = [size, size]
            strides = [stride, stride]
            pad = padding
            algorithm = dnnl_pooling_max
        case let .average(size, stride, padding):
            kernel = [size, size]
            strides = [stride, stride]
            pad = padding
            algorithm = dnnl_pooling_avg_include_padding
        case .globalAverage:
            kernel = [d[2], d[3]]
            strides = [1, 1]
            pad = 0
            algorithm = dnnl_pooling_avg_exclude_padding
        }
        let outDims = [d[0], d[1], Pooling.outputSize(d[2], window: kernel[0], stride: strides[0], padding: pad),
                       Pooling.outputSize(d[3], window: kernel[1], stride: strides[1], padding: pad)]
        let k = kernel.map { dnnl_dim_t($0) }, s = strides.map { dnnl_dim_t($0) }
        let dilation: [dnnl_dim_t] = [0, 0]
        // Left and right alike; the floor in outputSize drops what a right pad would not fill,
        // which is PyTorch's ceil_mode=False.
        let padding: [dnnl_dim_t] = [dnnl_dim_t(pad), dnnl_dim_t(pad)]

        var src = input.desc, dst = MemoryDesc.any(outDims)
        var desc = dnnl_pooling_v2_desc_t()
        dnnlCheck(dnnl_pooling_v2_forward_desc_init(&desc, dnnl_forward_training, algorithm, &src, &dst,
                                                    s, k, dilation, padding, padding),
                  "dnnl_pooling_v2_forward_desc_init(\(name))")
        let fwd = DNNLPrimitive("\(name) forward", opDesc: desc)
        forwardKernel = fwd
        output = DNNLMemory(fwd.desc(dnnl_query_dst_md))
        outputGradient = DNNLMemory(output.desc)
        let workspaceDesc = fwd.desc(dnnl_query_workspace_md)
        workspace = workspaceDesc.ndims > 0 ? DNNLMemory(workspaceDesc) : nil

        if inputGradient != nil {
            var diffSrc = input.desc, diffDst = output.desc
            var bdesc = dnnl_pooling_v2_desc_t()
            dnnlCheck(dnnl_pooling_v2_backward_desc_init(&bdesc, algorithm, &diffSrc, &diffDst,
                                                         s, k, dilation, padding, padding),
                      "dnnl_pooling_v2_backward_desc_init(\(name))")
            backwardKernel = DNNLPrimitive("\(name) backward", opDesc: bdesc, hint: fwd)
        } else {
            backwardKernel = nil
        }
        return output
    }

    var implementations: [(StepProfile.Phase, String)] {
        [(.forward, forwardKernel.implementation)] + (backwardKernel.map { [(.backwardData, $0.implementation)] } ?? [])
    }

    func forward(training: Bool) {
        var args = [(DNNL_ARG_SRC, input!), (DNNL_ARG_DST, output!)]
        if let workspace { args.append((DNNL_ARG_WORKSPACE, workspace)) }
        forwardKernel.execute(args)
    }

    func backwardData() {
        guard let kernel = backwardKernel, let inputGradient else { return }
        var args = [(DNNL_ARG_DIFF_DST, outputGradient!), (DNNL_ARG_DIFF_SRC, inputGradient)]
        if let workspace { args.append((DNNL_ARG_WORKSPACE, workspace)) }
        kernel.execute(args)
    }
}
