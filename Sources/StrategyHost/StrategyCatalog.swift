// The strategies as tables for the docs: what `harness strategies --format markdown` prints and
// docs/strategies.md embeds between markers. A test regenerates them and fails when the docs
// differ, so the lists of plugins and configurations cannot go stale.
import HarnessEngine
import HarnessSupport

public enum StrategyCatalog {
    /// Two Markdown tables: the plugins with their parameters, then the configurations of
    /// strategies.json as their untuned run uses them. Nothing machine-specific (no paths or hashes).
    public static func markdown(plugins: [PluginInfo], configurations: [(StrategyConfiguration, Result<StrategyBinding, Error>)]) -> String {
        var out = ["| plugin | version | what it does | parameters (type = default, allowed values) |", "|---|---|---|---|"]
        for p in plugins.sorted(by: { $0.name < $1.name }) {
            let parameters = p.parameters.map { q in
                "`\(q.name)`: \(q.kind.rawValue) = \(q.defaultValue)" + (q.range.map { ", \($0.phrase)" } ?? "")
            }
            out.append(row([p.name, p.version, p.summary, parameters.isEmpty ? "none" : parameters.joined(separator: "; ")]))
        }
        out += ["", "| configuration | plugin (values of the untuned run) | starts from | training | searched with `--trials` | description |",
                "|---|---|---|---|---|---|"]
        for (c, bound) in configurations {
            let plugin: String
            switch bound {
            case let .success(b): plugin = "\(c.strategy)(\((try? b.untuned())?.parameterSummary ?? b.parameterSummary))"
            case let .failure(error): plugin = "BROKEN: \(error)"
            }
            let training = c.training.map { "\($0.0.rawValue)=\(Hyperparameters.short($0.1))" }.joined(separator: ", ")
            let searched = c.searches.map { "\($0.name) \($0.space)" }.joined(separator: ", ")
            out.append(row([c.name, plugin, c.source == .self ? "self-transfer network" : "source network",
                            training.isEmpty ? "—" : training, searched.isEmpty ? "—" : searched, c.description]))
        }
        return out.joined(separator: "\n")
    }

    private static func row(_ cells: [String]) -> String {
        "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }.joined(separator: " | ") + " |"
    }
}
