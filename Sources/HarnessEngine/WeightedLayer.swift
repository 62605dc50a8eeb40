// What convolution and fully connected layers share: a forward kernel, a backward-data kernel
// and a backward-weights kernel from oneDNN, weights kept plain and viewed in each kernel's
// layout, and reorders only where a kernel chose a different layout from its neighbours.
// Subclasses say only how to describe their three kernels.
//
// Under Precision.bf16 the kernels read bf16 copies of their inputs, weights and output
// gradients (the reorders that already adapt layouts also convert) and write fp32 outputs and
// gradients: PyTorch's autocast for convolutions and matrix products, with fp32 weights kept.
import CDNNL

class WeightedLayer: Layer {
    let name: String
    let weight: Parameter
    /// nil when the spec leaves the bias out (a convolution before batch normalisation).
    let bias: Parameter?
    var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }

    private(set) var output: DNNLMemory!
    private(set) var outputGradient: DNNLMemory!
    private(set) var inputGradient: DNNLMemory?

    private var forwardKernel: DNNLPrimitive!
    private var forwardSource: Relayout!
    private var forwardWeights: ParameterView!
    private var forwardBias: ParameterView?

    private struct WeightsPass {
        let kernel: DNNLPrimitive
        let source: Relayout
        let outputGradient: Relayout
        let weightGradient: Relayout
        let biasGradient: Relayout?
    }
    private var weightsPass: WeightsPass!

    private struct DataPass {
        let kernel: DNNLPrimitive
        let weights: ParameterView
        let outputGradient: Relayout
        let inputGradient: Relayout
    }
    private var dataPass: DataPass?

    init(name: String, weightShape: [Int], outputs: Int, bias: Bool) {
        self.name = name
        weight = Parameter(name: "\(name).weight", shape: weightShape, decayMultiplier: 1)
        self.bias = bias ? Parameter(name: "\(name).bias", shape: [outputs], decayMultiplier: 0) : nil
    }

    // MARK: What a subclass provides

    func outputDims(input: [Int]) -> [Int] { fatalError("subclass") }
    /// The weights' dimensions as the kernel sees them for this input (may differ from the
    /// plain `weight.shape`, e.g. (out, C, H, W) for a fully connected layer on a 4-D input).
    func kernelWeightDims(input: [Int]) -> [Int] { weight.shape }
    func makeForward(src: MemoryDesc, weights: MemoryDesc, bias: MemoryDesc?, dst: MemoryDesc) -> DNNLPrimitive { fatalError("subclass") }
    func makeBackwardData(diffSrc: MemoryDesc, weights: MemoryDesc, diffDst: MemoryDesc, hint: DNNLPrimitive) -> DNNLPrimitive { fatalError("subclass") }
    func makeBackwardWeights(src: MemoryDesc, diffWeights: MemoryDesc, diffBias: MemoryDesc?, diffDst: MemoryDesc, hint: DNNLPrimitive) -> DNNLPrimitive { fatalError("subclass") }
    /// The layout the layer's output should have: `any` lets oneDNN choose.
    func outputDesc(dims: [Int]) -> MemoryDesc { .any(dims) }

    // MARK: Layer

    func prepare(input: DNNLMemory, inputGradient: DNNLMemory?) -> DNNLMemory {
        let inDims = input.desc.shape
        let outDims = outputDims(input: inDims)
        let wDims = kernelWeightDims(input: inDims)
        let plainWeights: MemoryDesc = .plain(wDims)
        let biasDesc: MemoryDesc? = bias.map { .plain([$0.count]) }
        let products = Precision.current == .bf16 ? dnnl_bf16 : dnnl_f32

        let fwd = makeForward(src: .anyCompute(inDims, products), weights: .anyCompute(wDims, products), bias: biasDesc, dst: outputDesc(dims: outDims))
        forwardKernel = fwd
        forwardSource = Relayout(from: input, as: fwd.desc(dnnl_query_src_md))
        forwardWeights = ParameterView(weight, plain: plainWeights, as: fwd.desc(dnnl_query_weights_md))
        forwardBias = bias.map { ParameterView($0, as: fwd.desc(dnnl_query_weights_md, 1)) }
        output = DNNLMemory(fwd.desc(dnnl_query_dst_md))
        outputGradient = DNNLMemory(output.desc)

        let bww = makeBackwardWeights(src: .anyCompute(inDims, products), diffWeights: .any(wDims), diffBias: biasDesc,
                                      diffDst: .anyCompute(outDims, products), hint: fwd)
        weightsPass = WeightsPass(
            kernel: bww,
            source: Relayout(from: forwardSource.target, as: bww.desc(dnnl_query_src_md)),
            outputGradient: Relayout(from: outputGradient, as: bww.desc(dnnl_query_diff_dst_md)),
            weightGradient: Relayout(producing: bww.desc(dnnl_query_diff_weights_md),
                                     into: DNNLMemory(aliasing: weight.gradient, as: plainWeights)),
            biasGradient: bias.map { Relayout(producing: bww.desc(dnnl_query_diff_weights_md, 1), into: $0.gradient) })

        self.inputGradient = inputGradient
        if let inputGradient {
            let bwd = makeBackwardData(diffSrc: .any(inDims), weights: .anyCompute(wDims, products), diffDst: .anyCompute(outDims, products), hint: fwd)
            dataPass = DataPass(
                kernel: bwd,
                weights: ParameterView(weight, plain: plainWeights, as: bwd.desc(dnnl_query_weights_md)),
                outputGradient: Relayout(from: outputGradient, as: bwd.desc(dnnl_query_diff_dst_md)),
                inputGradient: Relayout(producing: bwd.desc(dnnl_query_diff_src_md), into: inputGradient))
        } else {
            dataPass = nil
        }
        return output
    }

    /// The kernel-layout (or bf16) copies the backward kernels read and write: made and used
    /// within this layer's backward step.
    var backwardScratch: [DNNLMemory] {
        var copies = [weightsPass.source, weightsPass.outputGradient].filter { !$0.isIdentity }.map(\.target)
        if let p = dataPass {
            if !p.outputGradient.isIdentity && !copies.contains(where: { $0 === p.outputGradient.target }) { copies.append(p.outputGradient.target) }
            if !p.inputGradient.isIdentity { copies.append(p.inputGradient.source) }
        }
        return copies
    }

    var implementations: [(StepProfile.Phase, String)] {
        var kernels: [(StepProfile.Phase, DNNLPrimitive)] = [(.forward, forwardKernel), (.backwardWeights, weightsPass.kernel)]
        if let dataPass { kernels.append((.backwardData, dataPass.kernel)) }
        return kernels.map { ($0.0, $0.1.implementation) }
    }

    func forward(training: Bool) {
        forwardSource.run()
        var args = [(DNNL_ARG_SRC, forwardSource.target), (DNNL_ARG_WEIGHTS, forwardWeights.memory), (DNNL_ARG_DST, output!)]
        if let forwardBias { args.append((DNNL_ARG_BIAS, forwardBias.memory)) }
        forwardKernel.execute(args)
    }

    func backwardWeights() {
        let p = weightsPass!
        p.source.run()
        p.outputGradient.run()
        var args = [(DNNL_ARG_SRC, p.source.target), (DNNL_ARG_DIFF_DST, p.outputGradient.target),
                    (DNNL_ARG_DIFF_WEIGHTS, p.weightGradient.source)]
        if let b = p.biasGradient { args.append((DNNL_ARG_DIFF_BIAS, b.source)) }
        p.kernel.execute(args)
        p.weightGradient.run()
        p.biasGradient?.run()
    }

    func backwardData() {
        guard let p = dataPass else { return }
        p.outputGradient.run()
        p.kernel.execute([
            (DNNL_ARG_DIFF_DST, p.outputGradient.target), (DNNL_ARG_WEIGHTS, p.weights.memory),
            (DNNL_ARG_DIFF_SRC, p.inputGradient.source),
        ])
        p.inputGradient.run()
    }
}
