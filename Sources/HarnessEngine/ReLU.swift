// Rectified linear unit on oneDNN's eltwise kernels, in the layout of its input.
import CDNNL

final class ReLU: Layer {
    let name: String

    private(set) var output: DNNLMemory!
    private(set) var outputGradient: DNNLMemory!
    private var input: DNNLMemory!
    private var inputGradient: DNNLMemory?
    private var forwardKernel: DNNLPrimitive!
    private var backwardKernel: DNNLPrimitive?

    init(name: String) { self.name = name }

    func prepare(input: DNNLMemory, inputGradient: DNNLMemory?) -> DNNLMemory {
        self.input = input
        self.inputGradient = inputGradient
        var data = input.desc
        var desc = dnnl_eltwise_desc_t()
        dnnlCheck(dnnl_eltwise_forward_desc_init(&desc, dnnl_forward_training, dnnl_eltwise_relu, &data, 0, 0),
                  "dnnl_eltwise_forward_desc_init(\(name))")
        let fwd = DNNLPrimitive("\(name) forward", opDesc: desc)
        forwardKernel = fwd
        output = DNNLMemory(input.desc)
        outputGradient = DNNLMemory(input.desc)
        if inputGradient != nil {
            var diff = input.desc
            var bdesc = dnnl_eltwise_desc_t()
            dnnlCheck(dnnl_eltwise_backward_desc_init(&bdesc, dnnl_eltwise_relu, &diff, &data, 0, 0),
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
