// What every domain-adaptation strategy does, so each plugin says only which loss terms it adds:
// start from the source network whole (the two domains share their classes), train it on the
// labelled images (the source's, plus the target's few labelled ones when there are any) with
// the terms pulling the unlabelled target images' features toward the source's, and predict.

extension StrategyTask {
    /// The labelled images an adaptation strategy trains on: the source's training images and
    /// any labelled target images. Throws when the scenario has no source images or other classes.
    public func adaptationLabelledImages(strategy name: String) throws -> Images {
        guard let sourceTrain, sourceClasses == classes else {
            throw StrategyError("\(name) needs a domain-shift scenario: the source's labelled images with the target's classes "
                                + "(harness compare --source DATA --target DATA@TRANSFORM --target-labels K)")
        }
        return Images.joined([sourceTrain, train])
    }

    /// The target's unlabelled training images, or an error naming the strategy.
    public func unlabelledTarget(strategy name: String) throws -> Images {
        guard let unlabelled else {
            throw StrategyError("\(name) needs unlabelled target training images, and this task has none "
                                + "(run it on a domain-shift scenario: --target DATA@TRANSFORM --target-labels K)")
        }
        return unlabelled
    }
}

extension Engine {
    /// Trains a copy of the source network with `terms` and predicts the evaluation images.
    public func adapt(_ task: StrategyTask, strategy name: String, terms: [LossTerm]) throws -> [Int32] {
        let labelled = try task.adaptationLabelledImages(strategy: name)
        _ = try task.unlabelledTarget(strategy: name)
        let (net, _) = try transferNetwork(for: task, copying: { $0 })  // every unit, the classifier too
        var training = Training()
        training.terms = terms
        try train(net, on: labelled, training)
        return try predict(net, task.eval)
    }
}

/// The layers an adaptation term goes on, from a strategy's `layers` text: "penultimate" (the
/// features the classifier reads, in any network), layer or unit names ("fc6,fc7", "layer3.2": a
/// block means its output), or "lastK", the last K hidden units of this task's network, so one
/// configuration (DAN's "last2") means fc6,fc7 in the default network and the last two blocks of
/// a ResNet. Names are checked by the engine, which lists the network's layers when one is unknown.
public func adaptationLayers(_ text: String, network: Network) throws -> [String] {
    let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    guard !parts.isEmpty else { throw StrategyError("layers names at least one layer, e.g. penultimate, last2 or fc6,fc7") }
    return try parts.flatMap { part -> [String] in
        part.lowercased().hasPrefix("last") ? try LayerSelection.parse(part, layers: network.layers) : [part]
    }
}

#if canImport(Foundation)
import Foundation
#endif
