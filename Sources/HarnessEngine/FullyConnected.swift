// Fully connected (inner product) layer, with or without a bias, on oneDNN.
//
// On a 4-D input (after the last pooling layer) the kernel reads the activations in their
// blocked layout directly, with the weights seen as (out, C, H, W); the plain weights are
// PyTorch's (out, C*H*W) for an input flattened in C, H, W order, so no flatten copy is needed.
import CDNNL

final class FullyConnected: WeightedLayer {
    let outputs: Int

    init(name: String, inputs: Int, outputs: Int, bias: Bool = true) {
        self.outputs = outputs
        super.init(name: name, weightShape: [outputs, inputs], outputs: outputs, bias: bias)
    }

    override func outputDims(input: [Int]) -> [Int] { [input[0], outputs] }
    override func kernelWeightDims(input: [Int]) -> [Int] { [outputs] + input.dropFirst() }
    /// Dropout and the loss read the output as a plain (batch, outputs) matrix.
    override func outputDesc(dims: [Int]) -> MemoryDesc { .plain(dims) }

    override func makeForward(src: MemoryDesc, weights: MemoryDesc, bias: MemoryDesc?, dst: MemoryDesc) -> DNNLPrimitive {
        var (s, w, d) = (src, weights, dst)
        var desc = dnnl_inner_product_desc_t()
        dnnlCheck(withOptionalPointer(bias) { b in dnnl_inner_product_forward_desc_init(&desc, dnnl_forward_training, &s, &w, b, &d) },
                  "dnnl_inner_product_forward_desc_init(\(name))")
        return DNNLPrimitive("\(name) forward", opDesc: desc)
    }

    override func makeBackwardData(diffSrc: MemoryDesc, weights: MemoryDesc, diffDst: MemoryDesc, hint: DNNLPrimitive) -> DNNLPrimitive {
        var (s, w, d) = (diffSrc, weights, diffDst)
        var desc = dnnl_inner_product_desc_t()
        dnnlCheck(dnnl_inner_product_backward_data_desc_init(&desc, &s, &w, &d),
                  "dnnl_inner_product_backward_data_desc_init(\(name))")
        return DNNLPrimitive("\(name) backward-data", opDesc: desc, hint: hint)
    }

    override func makeBackwardWeights(src: MemoryDesc, diffWeights: MemoryDesc, diffBias: MemoryDesc?, diffDst: MemoryDesc, hint: DNNLPrimitive) -> DNNLPrimitive {
        var (s, w, d) = (src, diffWeights, diffDst)
        var desc = dnnl_inner_product_desc_t()
        dnnlCheck(withOptionalPointer(diffBias) { b in dnnl_inner_product_backward_weights_desc_init(&desc, &s, &w, b, &d) },
                  "dnnl_inner_product_backward_weights_desc_init(\(name))")
        return DNNLPrimitive("\(name) backward-weights", opDesc: desc, hint: hint)
    }
}
