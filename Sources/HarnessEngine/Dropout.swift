// Inverted dropout: during training each activation is zeroed with probability `rate` and the
// survivors are scaled by 1/(1-rate), so inference is the identity. Element-wise, so it works
// in any layout (padding stays zero). Its random stream comes from the network's seed.
import HarnessSupport

final class Dropout: Layer {
    let name: String
    let rate: Float

    private(set) var output: DNNLMemory!
    private(set) var outputGradient: DNNLMemory!
    private var input: DNNLMemory!
    private var inputGradient: DNNLMemory?
    /// The scale applied to each element in the last training forward pass (0 or 1/(1-rate)).
    private var mask: [Float] = []
    private var generator: SeededGenerator
    /// For gradient checks: replay the last mask instead of drawing a new one.
    var reusesMask = false

    init(name: String, rate: Float, seed: UInt64) {
        self.name = name
        self.rate = rate
        generator = SeededGenerator(seed: seed, stream: "dropout/\(name)")
    }

    func prepare(input: DNNLMemory, inputGradient: DNNLMemory?) -> DNNLMemory {
        self.input = input
        self.inputGradient = inputGradient
        output = DNNLMemory(input.desc)
        outputGradient = DNNLMemory(input.desc)
        mask = [Float](repeating: 1, count: input.storageCount)
        return output
    }

    func forward(training: Bool) {
        let n = input.storageCount
        let x = input.floats, y = output.floats
        guard training, rate > 0 else {
            y.update(from: x, count: n)
            return
        }
        let keep = 1 - rate, scale = 1 / keep
        mask.withUnsafeMutableBufferPointer { m in
            for i in 0..<n {
                if !reusesMask { m[i] = generator.nextUnit() < keep ? scale : 0 }
                y[i] = x[i] * m[i]
            }
        }
    }

    func backwardData() {
        guard let inputGradient else { return }
        let dy = outputGradient.floats, dx = inputGradient.floats
        mask.withUnsafeBufferPointer { m in
            for i in 0..<m.count { dx[i] = dy[i] * m[i] }
        }
    }
}
