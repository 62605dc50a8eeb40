// Element-wise activations on oneDNN's eltwise kernels, in the layout of their input, each as
// PyTorch defines it: ReLU, ReLU6 (MobileNet, EfficientNet-Lite), sigmoid, SiLU (swish with
// beta 1, EfficientNet) and hard-swish (MobileNetV3). Backward passes read the input.
import CDNNL

final class Activation: Layer {
    enum Function: String, CaseIterable {
        case relu, relu6, sigmoid, silu, hardswish

        /// oneDNN's algorithm and its alpha and beta.
        var eltwise: (dnnl_alg_kind_t, Float, Float) {
            switch self {
            case .relu: return (dnnl_eltwise_relu, 0, 0)
            // clip_v2's gradient is zero at both bounds, as PyTorch's hardtanh backward (0 < x < 6).
            case .relu6: return (dnnl_eltwise_clip_v2, 0, 6)
            case .sigmoid: return (dnnl_eltwise_logistic, 0, 0)
            case .silu: return (dnnl_eltwise_swish, 1, 0)
            case .hardswish: return (dnnl_eltwise_hardswish, 0, 0)
            }
        }
    }

    let name: String
    let function: Function

    private(set) var output: DNNLMemory!
    private(set) var outputGradient: DNNLMemory!
    private var input: DNNLMemory!
    private var inputGradient: DNNLMemory?
    private var forwardKernel: DNNLPrimitive!
    private var backwardKernel: DNNLPrimitive?

    init(name: String, function: Function) {
        self.name = name
        self.function = function
    }

    func prepare(input: DNNLMemory, inputGradient: DNNLMemory?) -> DNNLMemory {
        self.input = input
        self.inputGradient = inputGradient
        var data = input.desc
        let (algorithm, alpha, beta) = function.eltwise
        var desc = dnnl_eltwise_desc_t()
        dnnlCheck(dnnl_eltwise_forward_desc_init(&desc, dnnl_forward_training, algorithm, &data, alpha, beta),
                  "dnnl_eltwise_forward_desc_init(\(name))")
        let fwd = DNNLPrimitive("\(name) forward", opDesc: desc)
        forwardKernel = fwd
        output = DNNLMemory(input.desc)
        outputGradient = DNNLMemory(input.desc)
        if inputGradient != nil {
            var diff = input.desc
            var bdesc = dnnl_eltwise_desc_t()
            dnnlCheck(dnnl_eltwise_backward_desc_init(&bdesc, algorithm, &diff, &data, alpha, beta),
                      "dnnl_eltwise_backward_desc_init(\(name))")
            backwardKernel = DNNLPrimitive("\(name) backward", opDesc: bdesc, hint: fwd)
        }
        return output
    }

    var implementations: [(StepProfile.Phase, String)] {
        [(.forward, forwardKernel.implementation)] + (backwardKernel.map { [(.backwardData, $0.implementation)] } ?? [])
    }

    func forward(training: Bool) {
        forwardKernel.execute([(DNNL_ARG_SRC, input), (DNNL_ARG_DST, output)])
    }

    func backwardData() {
        guard let kernel = backwardKernel, let inputGradient else { return }
        kernel.execute([(DNNL_ARG_SRC, input), (DNNL_ARG_DIFF_DST, outputGradient), (DNNL_ARG_DIFF_SRC, inputGradient)])
    }
}
