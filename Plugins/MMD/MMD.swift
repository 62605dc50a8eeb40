// mmd: the source network adapted by minimising the MMD between source and target features,
// on one layer (DDC, Tzeng et al. 2014) or several with a family of Gaussian kernels (DAN, Long
// et al. 2015).
import StrategyAPI

struct MMD: Strategy {
    static let name = "mmd"
    static let version = "1.1"
    static let summary = "domain adaptation: multi-kernel MMD between source and target features (DDC on one layer, DAN on several)"
    @Parameter(help: "layer(s) to align: penultimate, names (fc6,fc7; a block means its output) or lastK, the last K hidden units (DAN: last2)") var layers = "penultimate"
    // Measured: at 0.3 the features of a network without batch normalisation collapsed to one
    // point (zero MMD, chance accuracy); 0.01-0.1 adapted.
    @Parameter(range: "0..", help: "lambda: the MMD term's weight in the loss (too large collapses the features)") var weight = 0.1
    @Parameter(help: "Gaussian kernel widths, multiples of the batch's mean squared distance") var bandwidths = "0.25,0.5,1,2,4"

    /// The widths as numbers; configure refuses a list that does not parse.
    func widths() throws -> [Double] {
        try bandwidths.split(separator: ",").map {
            guard let b = Double($0.trimmingCharacters(in: .whitespaces)), b > 0 else {
                throw StrategyError("bandwidths are positive numbers separated by commas, like 0.25,0.5,1,2,4")
            }
            return b
        }
    }

    func validate() throws { _ = try widths() }

    func run(_ task: StrategyTask, engine: Engine) throws -> [Int32] {
        let widths = try widths()
        return try engine.adapt(task, strategy: Self.name, terms: try adaptationLayers(layers, network: task.source).map { LossTerm(.mmd(bandwidths: widths), layer: $0, weight: weight) })
    }
}

@_cdecl("harness_strategy_entry_v2")
public func entry() -> UnsafeRawPointer { export(MMD.self) }
