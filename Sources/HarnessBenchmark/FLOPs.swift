// Floating-point operations per image of each layer's forward pass, counting a multiply-add as
// two. A learnable layer's backward-data and backward-weights passes each cost the same again,
// hence the usual "3 x forward" for a training step.
import HarnessEngine

extension NetworkSpec {
    /// Forward FLOPs per image of each learnable layer, in order (batch normalisation, pooling, ReLU and additions are negligible beside them).
    public func forwardFLOPs() throws -> [(layer: String, flops: Double)] {
        let shapes = try validatedShapes(), wiring = try wiring()
        var result: [(String, Double)] = []
        for (i, (layer, output)) in zip(layers, shapes).enumerated() {
            let input = wiring[i].input < 0 ? [channels, height, width] : shapes[wiring[i].input]
            switch layer.kind {
            case .convolution:
                let k = Double(layer.kernel!)
                result.append((layer.name, 2 * Double(output.reduce(1, *)) * Double(input[0] / (layer.groups ?? 1)) * k * k))
            case .fullyConnected:
                result.append((layer.name, 2 * Double(input.reduce(1, *)) * Double(output[0])))
            default:
                break
            }
        }
        return result
    }

    public func forwardFLOPsPerImage() throws -> Double { try forwardFLOPs().reduce(0) { $0 + $1.flops } }
}
