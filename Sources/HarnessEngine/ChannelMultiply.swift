// The channel-wise product of squeeze-and-excitation (EfficientNet-B0, MobileNetV3):
// y[n,c,h,w] = x[n,c,h,w] * gate[n,c], where the gate is another layer's C x 1 x 1 output (a
// sigmoid over a 1x1 convolution of the pooled features). On oneDNN's binary kernel with the
// gate broadcast over height and width; the gate is read in plain layout, whatever layout its
// producer chose.
//
// Backward: dx = dy * gate (the same broadcast product) and dgate[n,c] = sum over h,w of
// dy * x (a product, then oneDNN's sum reduction down to N x C x 1 x 1).
import CDNNL

final class ChannelMultiply: Layer {
    let name: String

    private(set) var output: DNNLMemory!
    private(set) var outputGradient: DNNLMemory!
    private var input: DNNLMemory!
    private var inputGradient: DNNLMemory?
    private var gateSource: DNNLMemory!
    private var gate: Relayout!
    private var gateGradient: DNNLMemory?
    private var forwardKernel: DNNLPrimitive!
    private var inputGradientKernel: DNNLPrimitive?
    /// dy * x, then its sum over h,w, delivered into the gate's gradient buffer.
    private var product: DNNLMemory?
    private var productKernel: DNNLPrimitive?
    private var reduceKernel: DNNLPrimitive?
    private var reducedGate: Relayout?

    init(name: String) { self.name = name }

    /// The gate and where its gradient goes; set by the network before `prepare`.
    func connect(gate: DNNLMemory, gradient: DNNLMemory?) {
        gateSource = gate
        gateGradient = gradient
    }

    private static func multiply(_ a: MemoryDesc, _ b: MemoryDesc, into y: MemoryDesc, _ label: String) -> DNNLPrimitive {
        var a = a, b = b, y = y
        var desc = dnnl_binary_desc_t()
        dnnlCheck(dnnl_binary_desc_init(&desc, dnnl_binary_mul, &a, &b, &y), "dnnl_binary_desc_init(\(label))")
        return DNNLPrimitive(label, opDesc: desc)
    }

    func prepare(input: DNNLMemory, inputGradient: DNNLMemory?) -> DNNLMemory {
        self.input = input
        self.inputGradient = inputGradient
        let dims = input.desc.shape
        let gateDims = [dims[0], dims[1], 1, 1]
        gate = Relayout(from: gateSource, as: .plain(gateDims))
        forwardKernel = Self.multiply(input.desc, gate.target.desc, into: input.desc, "\(name) forward")
        output = DNNLMemory(input.desc)
        outputGradient = DNNLMemory(input.desc)
        inputGradientKernel = inputGradient.map { Self.multiply(input.desc, gate.target.desc, into: $0.desc, "\(name) backward-data") }
        if let g = gateGradient {
            product = DNNLMemory(input.desc)
            productKernel = Self.multiply(input.desc, input.desc, into: input.desc, "\(name) backward-gate product")
            let reduced = Relayout(producing: .plain(gateDims), into: g)
            var src = input.desc, dst = reduced.source.desc
            if dims[2] * dims[3] == 1 {
                // A 1x1 map (EfficientNet's last blocks at 32 px) has nothing to sum, and oneDNN
                // refuses a reduction that keeps every dimension: a copy is the sum.
                reduceKernel = DNNLPrimitive(reorderFrom: src, to: dst)
            } else {
                var desc = dnnl_reduction_desc_t()
                dnnlCheck(dnnl_reduction_desc_init(&desc, dnnl_reduction_sum, &src, &dst, 0, 0), "dnnl_reduction_desc_init(\(name))")
                reduceKernel = DNNLPrimitive("\(name) backward-gate sum", opDesc: desc)
            }
            reducedGate = reduced
        } else {
            product = nil
            productKernel = nil
            reduceKernel = nil
            reducedGate = nil
        }
        return output
    }

    /// The product summed into the gate's gradient: made and used within the backward step.
    var backwardScratch: [DNNLMemory] { product.map { [$0] } ?? [] }

    var implementations: [(StepProfile.Phase, String)] {
        [(.forward, forwardKernel.implementation)] + (inputGradientKernel.map { [(.backwardData, $0.implementation)] } ?? [])
    }

    func forward(training: Bool) {
        gate.run()
        forwardKernel.execute([(DNNL_ARG_SRC_0, input), (DNNL_ARG_SRC_1, gate.target), (DNNL_ARG_DST, output)])
    }

    func backwardData() {
        if let kernel = inputGradientKernel, let inputGradient {
            kernel.execute([(DNNL_ARG_SRC_0, outputGradient), (DNNL_ARG_SRC_1, gate.target), (DNNL_ARG_DST, inputGradient)])
        }
        if let productKernel, let product, let reduceKernel, let reducedGate {
            productKernel.execute([(DNNL_ARG_SRC_0, outputGradient), (DNNL_ARG_SRC_1, input), (DNNL_ARG_DST, product)])
            reduceKernel.execute([(DNNL_ARG_SRC, product), (DNNL_ARG_DST, reducedGate.source)])
            reducedGate.run()
        }
    }
}
