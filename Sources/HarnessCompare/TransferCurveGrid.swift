// The transfer curve's experiment as configurations: baseB, and for every n BnB, BnB+, AnB, AnB+
// and random frozen filters, built on the layer-transfer, random-filters and scratch plugins.
// With trials, each point searches what its n = 3 configuration in strategies.json searches
// (scratch for baseB), except the layers the grid fixes.
import Foundation
import HarnessSupport
import StrategyHost

extension TransferCurve {
    /// The configurations of the curve over `layers` (numbers of copied units).
    public static func grid(layers: [Int], tunedLike file: StrategiesFile? = nil) -> [StrategyConfiguration] {
        func configuration(_ name: String, _ plugin: String, _ params: [(String, ParameterValue)], source: SourceRole, like model: String) -> StrategyConfiguration {
            var c = StrategyConfiguration(name: name, strategy: plugin, parameters: params, source: source, description: "", place: "transfer-curve")
            if let file, let m = file.configurations.first(where: { $0.name == model }) {
                c.training = m.training
                c.searches = m.searches.filter { !["layers", "trainable", "n"].contains($0.name) }
            }
            return c
        }
        var grid = [configuration(baseB, "scratch", [], source: .base, like: "scratch")]
        for n in layers {
            let copied: (String, ParameterValue) = ("layers", .string("1-\(n)"))
            grid += [
                configuration(Treatment.bnb.configuration(n), "layer-transfer", [copied, ("trainable", .bool(false))], source: .self, like: "bnb3"),
                configuration(Treatment.bnbPlus.configuration(n), "layer-transfer", [copied, ("trainable", .bool(true))], source: .self, like: "bnb3+"),
                configuration(Treatment.anb.configuration(n), "layer-transfer", [copied, ("trainable", .bool(false))], source: .base, like: "anb3"),
                configuration(Treatment.anbPlus.configuration(n), "layer-transfer", [copied, ("trainable", .bool(true))], source: .base, like: "anb3+"),
                configuration(Treatment.random.configuration(n), "random-filters", [("n", .int(n))], source: .base, like: "random3"),
            ]
        }
        return grid
    }

    /// The numbers of copied layers from "1-7" or "1,3,5" (nil: 1...max), checked against the
    /// network's `max` copyable units.
    public static func layerCounts(_ text: String?, max: Int) throws -> [Int] {
        let layers = text ?? "1-\(max)"
        var ns = Set<Int>()
        for part in layers.split(separator: ",") {
            let bounds = part.split(separator: "-").compactMap { Int($0) }
            guard (1...2).contains(bounds.count), bounds.count == part.split(separator: "-").count, bounds[0] <= bounds.last! else {
                throw ComparisonError("--layers takes a range like 1-7 or a list like 1,3,5, not '\(layers)'")
            }
            ns.formUnion(bounds[0]...bounds.last!)
        }
        guard let top = ns.max(), ns.min()! >= 1, top <= max else {
            throw ComparisonError("--layers must lie in 1-\(max): the network has \(max + 1) transfer units (harness networks NAME numbers them) and its classifier is never copied")
        }
        return ns.sorted()
    }

    /// The Markdown report: the table, the paper's Table 1 analogue, the reading and any failed runs.
    /// `protocol` says how points were chosen; `baseA` the source networks' own accuracies.
    public func report(title: String, seeds: Int, splits: Int, protocol: String, baseA: [Double], failures: [StoredCell]) -> String {
        let reading = self.reading.map { "- " + $0 }.joined(separator: "\n")
        let failed = failures.map { "- \($0.cell.configuration), seed \($0.cell.seed): \($0.result.error ?? "failed")" }
        return """
            # Transfer curve: \(title)

            Test accuracy (%) on the target classes, mean ± 95% confidence interval over \(seeds) seed(s)\(splits > 1 ? " x \(splits) splits" : "") (Student's t).
            \(`protocol`)
            \(baseA.isEmpty ? "" : "baseA (the source network on its own classes) reaches " + baseA.map { String(format: "%.2f%%", $0 * 100) }.joined(separator: ", ") + ".")

            \(table)

            How much AnB+ beats baseB and BnB+ (the paper's Table 1), averaged over layer ranges:

            \(boostTable)

            ## Reading

            \(reading)
            \(failed.isEmpty ? "" : "\n## Failed runs\n\n" + failed.joined(separator: "\n") + "\n")
            """
    }
}
