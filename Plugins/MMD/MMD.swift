// mmd: the source network adapted by minimising the MMD between source and target features,
// on one layer (DDC, Tzeng et al. 2014) or several with a family of Gaussian kernels (DAN, Long
// et al. 2015).
import StrategyAPI

struct MMD: Strategy {
    static let name = "mmd"
    static let version = "1.1"
    static let summary = "domain adaptation: multi-kernel MMD between source and target features (DDC on one layer, DAN on several)"
    static let parameters = [
        StrategyParameter("layers", .string, default: "penultimate", help: "layer(s) to align: penultimate, names (fc6,fc7; a block means its output) or lastK, the last K hidden units (DAN: last2)"),
        // Measured: at 0.3 the features of a network without batch normalisation collapsed to one
        // point (zero MMD, chance accuracy); 0.01-0.1 adapted.
        StrategyParameter("weight", .double, default: "0.1", range: "0..", help: "lambda: the MMD term's weight in the loss (too large collapses the features)"),
        StrategyParameter("bandwidths", .string, default: "0.25,0.5,1,2,4", help: "Gaussian kernel widths, multiples of the batch's mean squared distance"),
    ]

    let layers: String, weight: Double, bandwidths: [Double]
    init(_ values: StrategyValues) throws {
        layers = values.string("layers")
        weight = values.double("weight")
        bandwidths = try values.string("bandwidths").split(separator: ",").map {
            guard let b = Double($0.trimmingCharacters(in: .whitespaces)), b > 0 else {
                throw StrategyError("bandwidths are positive numbers separated by commas, like 0.25,0.5,1,2,4")
            }
            return b
        }
    }

    func run(_ task: Task, engine: Engine) throws -> [Int32] {
        try engine.adapt(task, strategy: Self.name, terms: try adaptationLayers(layers, network: task.source).map { LossTerm(.mmd(bandwidths: bandwidths), layer: $0, weight: weight) })
    }
}

@_cdecl("harness_strategy_entry_v2")
public func entry() -> UnsafeRawPointer { export(MMD.self) }
