// The element-wise sum of a residual connection, y = x + shortcut, on oneDNN's binary kernel.
// The output takes the input's layout; the shortcut is reordered to it when the two differ.
// Backward hands the output's gradient unchanged to both operands (the network adds the
// shortcut's share to whatever else its producer's output feeds).
import CDNNL

final class Addition: Layer {
    let name: String

    private(set) var output: DNNLMemory!
    private(set) var outputGradient: DNNLMemory!
    private var input: DNNLMemory!
    private var inputGradient: DNNLMemory?
    private var shortcutSource: DNNLMemory!
    private var shortcut: Relayout!
    private var shortcutGradient: DNNLMemory?
    private var shortcutGradientReorder: DNNLPrimitive?
    private var kernel: DNNLPrimitive!

    init(name: String) { self.name = name }

    /// The second operand and where its gradient goes; set by the network before `prepare`.
    func connect(shortcut: DNNLMemory, gradient: DNNLMemory?) {
        shortcutSource = shortcut
        shortcutGradient = gradient
    }

    func prepare(input: DNNLMemory, inputGradient: DNNLMemory?) -> DNNLMemory {
        self.input = input
        self.inputGradient = inputGradient
        shortcut = Relayout(from: shortcutSource, as: input.desc)
        var a = input.desc, b = input.desc, y = input.desc
        var desc = dnnl_binary_desc_t()
        dnnlCheck(dnnl_binary_desc_init(&desc, dnnl_binary_add, &a, &b, &y), "dnnl_binary_desc_init(\(name))")
        kernel = DNNLPrimitive("\(name) forward", opDesc: desc)
        output = DNNLMemory(input.desc)
        outputGradient = DNNLMemory(input.desc)
        if let g = shortcutGradient, !g.desc.sameLayout(as: input.desc) {
            shortcutGradientReorder = DNNLPrimitive(reorderFrom: input.desc, to: g.desc)
        } else {
            shortcutGradientReorder = nil
        }
        return output
    }

    var implementations: [(StepProfile.Phase, String)] { [(.forward, kernel.implementation)] }

    func forward(training: Bool) {
        shortcut.run()
        kernel.execute([(DNNL_ARG_SRC_0, input), (DNNL_ARG_SRC_1, shortcut.target), (DNNL_ARG_DST, output)])
    }

    func backwardData() {
        if let inputGradient { inputGradient.floats.update(from: outputGradient.floats, count: outputGradient.storageCount) }
        guard let g = shortcutGradient else { return }
        if let reorder = shortcutGradientReorder {
            reorder.execute([(DNNL_ARG_FROM, outputGradient), (DNNL_ARG_TO, g)])
        } else {
            g.floats.update(from: outputGradient.floats, count: outputGradient.storageCount)
        }
    }
}
