// Trials: the configurations a tuned comparison runs for one strategy. Trial 0 is the untuned
// configuration (fixed values, each space's "default", the plugin's and the comparison's
// defaults); trials 1... draw every searched hyperparameter (random search) or walk a grid. Each
// trial is bound to the plugin again, so a drawn value is checked like a written one.
import HarnessSupport
import HarnessEngine

public enum SearchMethod: String, CaseIterable, Codable, Sendable {
    /// Independent draws from each space (DomainBed's choice: as good as a grid in few trials,
    /// and better when only some hyperparameters matter; Bergstra & Bengio 2012).
    case random
    /// Evenly spaced points per space (every choice), crossed, in order.
    case grid
}

/// One configuration of a strategy in a search.
public struct Trial: Sendable {
    /// 0 for the untuned configuration.
    public var index: Int
    public var binding: StrategyBinding
    public var training: Hyperparameters
}

extension StrategyBinding {
    /// Up to `count` distinct trials, trial 0 first. A configuration without search spaces has one.
    public func trials(_ count: Int, defaults: Hyperparameters, method: SearchMethod = .random, gridPoints: Int = 3) throws -> [Trial] {
        let searches = configuration.searches
        var base = defaults
        for (setting, value) in configuration.training { base[setting] = value }
        func trial(_ index: Int, _ values: [String: ParameterValue]) throws -> Trial {
            var training = base
            for s in searches where s.scope == .training {
                if let v = values[s.name] { training[Hyperparameter(rawValue: s.name)!] = v }
            }
            do { training = try training.validated() } catch {
                throw PluginError.badHyperparameters(configuration: configuration.name, place: configuration.place, reason: "\(error)")
            }
            return Trial(index: index, binding: try fixing(values), training: training)
        }
        var out = [try trial(0, untunedValues)]
        guard !searches.isEmpty, count > 1 else { return out }

        var seen = Set([out[0].signature])
        func add(_ values: [String: ParameterValue]) throws {
            let t = try trial(out.count, values)
            if seen.insert(t.signature).inserted { out.append(t) }
        }
        switch method {
        case .random:
            // A draw repeating an earlier trial (small choice spaces) is drawn again, a bounded number of times.
            var draw = 1
            while out.count < count && draw < count * 20 {
                try add(Dictionary(uniqueKeysWithValues: searches.map { s in
                    var g = SeededGenerator(seed: UInt64(draw), stream: "trial/\(configuration.name)/\(s.scope.rawValue)/\(s.name)")
                    return (s.name, s.space.draw(using: &g))
                }))
                draw += 1
            }
        case .grid:
            var points: [[String: ParameterValue]] = [[:]]
            for s in searches {
                points = points.flatMap { p in s.space.grid(points: gridPoints).map { v in p.merging([s.name: v]) { $1 } } }
            }
            for p in points where out.count < count { try add(p) }
        }
        return out
    }
}

extension StrategyBinding {
    /// The searched hyperparameters' values of the untuned configuration: each space's "default".
    var untunedValues: [String: ParameterValue] {
        Dictionary(uniqueKeysWithValues: configuration.searches.compactMap { s in s.defaultValue.map { (s.name, $0) } })
    }

    /// This configuration with its searched plugin parameters fixed at `values` (the others at
    /// their defaults), bound again so that every value is checked like a written one.
    func fixing(_ values: [String: ParameterValue]) throws -> StrategyBinding {
        var c = configuration
        c.searches = []
        for s in configuration.searches where s.scope == .parameter {
            guard let v = values[s.name] else { continue }
            c.parameters.append((s.name, v))
            c.parameterPlaces[s.name] = s.place
        }
        return try StrategyBinding(c, plugin: plugin)
    }

    /// The plugin parameters the untuned configuration (trial 0) runs with.
    public func untuned() throws -> StrategyBinding { try fixing(untunedValues) }
}

extension Trial {
    /// What decides the run, for spotting a repeated draw.
    var signature: String { binding.parameterSummary + "; " + training.canonicalJSON }
}
