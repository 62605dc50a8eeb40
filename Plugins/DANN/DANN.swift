// dann: the source network adapted adversarially: a domain discriminator on a layer's features
// learns to tell source from target, and the features learn to fool it through a
// gradient-reversal layer (Ganin et al. 2016), its weight warmed up from 0.
import StrategyAPI

struct DANN: Strategy {
    static let name = "dann"
    static let version = "1.0"
    static let summary = "domain adaptation: a domain discriminator behind gradient reversal (DANN)"
    @Parameter(help: "the layer whose features the discriminator reads") var layer = "penultimate"
    @Parameter(range: "0..", help: "lambda: the adversarial term's final weight") var weight = 1.0
    @Parameter(range: "1..", help: "width of the discriminator's two hidden layers") var hidden = 256
    @Parameter(help: "ramp the weight from 0 as 2/(1+exp(-10p))-1 over training") var warmUp = true

    func run(_ task: StrategyTask, engine: Engine) throws -> [Int32] {
        try engine.adapt(task, strategy: Self.name, terms: [LossTerm(.adversarial(hidden: hidden), layer: layer, weight: weight, warmUp: warmUp)])
    }
}

@_cdecl("harness_strategy_entry_v2")
public func entry() -> UnsafeRawPointer { export(DANN.self) }
