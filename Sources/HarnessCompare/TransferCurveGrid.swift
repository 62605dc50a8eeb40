// The transfer curve's experiment as configurations: baseB, and for every n BnB, BnB+, AnB, AnB+
// and random frozen filters. Each point's template is the configuration of strategies.json whose
// "curve" names it (with the parameter the curve sets to n), so which plugins and parameters make
// the curve is data; this file only varies n.
import Foundation
import HarnessSupport
import StrategyHost

extension TransferCurve {
    /// The configurations of the curve over `layers` (numbers of copied units), from the
    /// templates in `file`. Untuned, the templates' search spaces are left out; tuned, each point
    /// searches what its template searches, except the copied count the curve fixes.
    public static func grid(layers: [Int], from file: StrategiesFile, tuned: Bool) throws -> [StrategyConfiguration] {
        var templates: [String: StrategyConfiguration] = [:]
        for c in file.configurations { if let p = c.curve?.point, templates[p] == nil { templates[p] = c } }
        func point(_ name: String, _ pointName: String, n: Int?) throws -> StrategyConfiguration {
            guard var c = templates[pointName] else {
                throw ComparisonError("\(file.path) has no configuration with \"curve\": { \"point\": \"\(pointName)\" }; the transfer curve "
                                      + "takes one template for each of \(CurvePoints.all.joined(separator: ", ")) (see anb3 in the bundled strategies.json)")
            }
            c.name = name
            if let n, let copies = c.curve?.copies {
                guard let i = c.parameters.firstIndex(where: { $0.0 == copies }) else {
                    throw ComparisonError("\(c.place): the curve template for \(pointName) must fix \"\(copies)\", the parameter the curve sets to n")
                }
                switch c.parameters[i].1 {
                case .int: c.parameters[i].1 = .int(n)
                case .string: c.parameters[i].1 = .string("1-\(n)")
                default: throw ComparisonError("\(c.place): \"\(copies)\" must be an integer (n) or a string (\"1-n\") for the curve to set it")
                }
                c.searches.removeAll { $0.name == copies }
            }
            if !tuned { c.searches = [] }
            return c
        }
        var grid = [try point(baseB, CurvePoints.baseline, n: nil)]
        for n in layers {
            for t in Treatment.allCases { grid.append(try point(t.configuration(n), t.rawValue, n: n)) }
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
