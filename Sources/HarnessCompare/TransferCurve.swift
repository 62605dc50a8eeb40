// Yosinski et al.'s experiment as numbers: for each number n of copied layers, the accuracy of
// BnB, BnB+, AnB, AnB+ and the random-filter baseline, with baseB (training from scratch on B)
// as the reference; the paper's Table 1 analogue; and a reading of the result computed from the
// numbers, not written in advance.
import Foundation
import HarnessMetrics

public struct TransferCurve: Sendable {
    public enum Treatment: String, CaseIterable, Codable, Sendable {
        case bnb = "BnB", bnbPlus = "BnB+", anb = "AnB", anbPlus = "AnB+", random = "random"

        /// The configuration name used for this treatment at n in the results database.
        public func configuration(_ n: Int) -> String { "\(rawValue) n=\(n)" }
    }

    /// Training from scratch on B: the reference every treatment is read against.
    public static let baseB = "baseB"

    public let layers: [Int]
    public let baseB: Summary
    public let baseBRuns: [Double]
    /// Accuracy of every run, per treatment and n.
    public let runs: [Treatment: [Int: [Double]]]

    /// `cells` may hold several trials per point and seed (transfer-curve --trials): each point
    /// reports the trial selected on validation accuracy, as a leaderboard does.
    public init(cells all: [StoredCell], layers: [Int]) {
        self.layers = layers
        let cells = TrialSelection(all).reported
        // In seed order, not the order cells finished in: a sum's rounding must not depend on
        // which worker or cluster task finished first.
        func accuracies(_ name: String) -> [Double] {
            cells.filter { $0.cell.configuration == name }.sorted { ($0.cell.setting.key, $0.cell.seed) < ($1.cell.setting.key, $1.cell.seed) }
                .compactMap { $0.result.metrics?.accuracy }
        }
        baseBRuns = accuracies(Self.baseB)
        baseB = Summary(baseBRuns)
        var r: [Treatment: [Int: [Double]]] = [:]
        for t in Treatment.allCases {
            for n in layers { r[t, default: [:]][n] = accuracies(t.configuration(n)) }
        }
        runs = r
    }

    public func summary(_ t: Treatment, _ n: Int) -> Summary { Summary(runs[t]?[n] ?? []) }

    /// Whether stored cells hold a transfer-curve grid (baseB and at least one treatment).
    public static func isPresent(in cells: [StoredCell]) -> Bool {
        let names = Set(cells.map(\.cell.configuration))
        return names.contains(baseB) && names.contains { n in Treatment.allCases.contains { n.hasPrefix($0.rawValue + " n=") } }
    }

    /// The numbers of copied layers present in stored cells.
    public static func layers(in cells: [StoredCell]) -> [Int] {
        Set(cells.compactMap { c in c.cell.configuration.split(separator: "=").last.flatMap { Int($0) } }).sorted()
    }

    /// One panel per kind of split of the same data and budget: random halves (pooled over
    /// split seeds), dissimilar, explicit.
    public static func panels(from all: [StoredCell], like setting: ComparisonSetting) -> [(title: String, curve: TransferCurve)] {
        let similar = all.filter {
            let s = $0.cell.setting
            // The same data set (each split's target has its own fingerprint), budget and epochs.
            return s.data == setting.data && s.datasetName == setting.datasetName && s.targetPerClass == setting.targetPerClass && s.training == setting.training
        }
        func kind(_ s: ComparisonSetting) -> String { s.splitName.hasPrefix("random") ? "random" : s.splitName }
        return Dictionary(grouping: similar, by: { kind($0.cell.setting) })
            .filter { isPresent(in: $0.value) }
            .sorted { $0.key > $1.key }  // random before explicit before dissimilar
            .map { kind, cells in
                let settings = Dictionary(grouping: cells, by: { $0.cell.setting.key }).values.map { $0[0].cell.setting }
                let title = settings.count == 1
                    ? "\(settings[0].datasetName), \(settings[0].splitName): \(settings[0].sourceClasses) -> \(settings[0].targetClasses)"
                    : "\(settings[0].datasetName), \(kind) splits (\(settings.count), pooled)"
                return (title, TransferCurve(cells: cells, layers: layers(in: cells)))
            }
    }

    private func pct(_ x: Double) -> String { x.isNaN ? "—" : String(format: "%.2f", x * 100) }
    private func cell(_ s: Summary) -> String { s.n == 0 ? "—" : pct(s.mean) + (s.confidence95.map { " ± " + pct($0) } ?? "") }

    /// Accuracy per n and treatment, mean ± 95% CI over runs, as a Markdown table.
    public var table: String {
        var out = ["| n | " + Treatment.allCases.map(\.rawValue).joined(separator: " | ") + " |",
                   "|---|" + Treatment.allCases.map { _ in "---:" }.joined(separator: "|") + "|",
                   "| 0 (baseB) | " + Treatment.allCases.map { _ in cell(baseB) }.joined(separator: " | ") + " |"]
        for n in layers { out.append("| \(n) | " + Treatment.allCases.map { cell(summary($0, n)) }.joined(separator: " | ") + " |") }
        return out.joined(separator: "\n")
    }

    public var csv: String {
        var out = ["n,treatment,runs,mean,ci95,sd"]
        out.append("0,baseB,\(baseB.n),\(baseB.mean),\(baseB.confidence95.map { "\($0)" } ?? ""),\(baseB.standardDeviation)")
        for n in layers {
            for t in Treatment.allCases {
                let s = summary(t, n)
                out.append("\(n),\(t.rawValue),\(s.n),\(s.n > 0 ? "\(s.mean)" : ""),\(s.confidence95.map { "\($0)" } ?? ""),\(s.standardDeviation)")
            }
        }
        return out.joined(separator: "\n")
    }

    /// The paper's Table 1: how much AnB+ beats baseB and BnB+, averaged over layer ranges.
    public struct Boost: Sendable {
        public var range: ClosedRange<Int>
        public var overBaseB: Double?
        public var overBnBPlus: Double?
    }

    public var boosts: [Boost] {
        [1...7, 3...7, 5...7].map { range in
            let ns = layers.filter { range.contains($0) }
            func mean(_ t: Treatment) -> [Double] { ns.compactMap { n in summary(t, n).n > 0 ? summary(t, n).mean : nil } }
            let anb = mean(.anbPlus), bnb = mean(.bnbPlus)
            let overBase = anb.isEmpty || baseB.n == 0 ? nil : anb.reduce(0, +) / Double(anb.count) - baseB.mean
            let overBnb = anb.isEmpty || bnb.count != anb.count ? nil : zip(anb, bnb).map { $0 - $1 }.reduce(0, +) / Double(anb.count)
            return Boost(range: range, overBaseB: overBase, overBnBPlus: overBnb)
        }
    }

    public var boostTable: String {
        var out = ["| layers | AnB+ − baseB (pp) | AnB+ − BnB+ (pp) |", "|---|---:|---:|"]
        for b in boosts {
            out.append("| \(b.range.lowerBound)-\(b.range.upperBound) | \(b.overBaseB.map { String(format: "%+.2f", $0 * 100) } ?? "—") | "
                       + "\(b.overBnBPlus.map { String(format: "%+.2f", $0 * 100) } ?? "—") |")
        }
        return out.joined(separator: "\n")
    }

    /// What the numbers say, in sentences, each test stated with its margin.
    public var reading: [String] {
        guard baseB.n > 0 else { return ["No baseB runs finished, so nothing can be read against it."] }
        var out: [String] = []
        let base = baseB.mean
        out.append("baseB (from scratch on B) reaches \(pct(base))%" + (baseB.confidence95.map { " ± \(pct($0))" } ?? "") + ".")
        func margin(_ s: Summary) -> Double { s.confidence95 ?? 0 }
        // One seed has no interval: say so rather than claim a difference beyond one.
        let oneSeed = baseB.confidence95 == nil
        let beyond = oneSeed ? " (one seed, so no confidence interval: a single run's difference)" : ", beyond its confidence interval"
        // 1. Where frozen transferred features stop being good enough (Yosinski: AnB drops from n = 3-4).
        let anb = layers.map { (n: $0, s: summary(.anb, $0)) }.filter { $0.s.n > 0 }
        if let drop = anb.first(where: { $0.s.mean + margin($0.s) < base }) {
            out.append("AnB first falls below baseB at n = \(drop.n): \(pct(drop.s.mean))% vs \(pct(base))%\(beyond); "
                       + "frozen features from the source classes stop fitting the target from layer \(drop.n) on.")
        } else if !anb.isEmpty {
            out.append("AnB never falls below baseB" + (oneSeed ? "" : " beyond its confidence interval") + ": frozen source features serve the target at every n tested.")
        }
        // 2. Fragile co-adaptation: BnB dips in the middle layers and recovers at the top.
        let bnb = layers.map { (n: $0, s: summary(.bnb, $0)) }.filter { $0.s.n > 0 }
        let middle = bnb.filter { (3...5).contains($0.n) }
        if let low = middle.min(by: { $0.s.mean < $1.s.mean }), let top = bnb.last {
            let dips = low.s.mean + margin(low.s) < base
            let recovers = top.n > low.n && top.s.mean > low.s.mean + margin(low.s)
            out.append(dips
                ? "BnB dips in the middle layers (n = \(low.n): \(pct(low.s.mean))%, \(String(format: "%.2f", (base - low.s.mean) * 100)) pp below baseB)"
                    + (recovers ? " and recovers by n = \(top.n) (\(pct(top.s.mean))%): the fragile co-adaptation the paper reports." : ", without recovering by n = \(top.n).")
                : "BnB shows no dip below baseB" + (oneSeed ? "" : " beyond its confidence interval") + " in layers 3-5 (lowest \(pct(low.s.mean))% at n = \(low.n)): no sign of fragile co-adaptation at this scale.")
        }
        // 3. Transfer plus fine-tuning helps generalisation (AnB+ above baseB).
        let anbPlus = layers.map { (n: $0, s: summary(.anbPlus, $0)) }.filter { $0.s.n > 0 }
        if !anbPlus.isEmpty {
            let below = anbPlus.filter { $0.s.mean < base }
            out.append(below.isEmpty
                ? "AnB+ stays at or above baseB at every n (lowest \(pct(anbPlus.map(\.s.mean).min()!))%): transferring and fine-tuning never hurts here."
                : "AnB+ falls below baseB at n = \(below.map { "\($0.n)" }.joined(separator: ", ")): fine-tuned transfer does not always help at this scale.")
        }
        if let b = boosts.first, let over = b.overBaseB {
            out.append(String(format: "Averaged over layers 1-7, AnB+ beats baseB by %+.2f pp", over * 100)
                       + (b.overBnBPlus.map { String(format: " and BnB+ by %+.2f pp", $0 * 100) } ?? "") + " (the paper: +2.1 and +1.6 on ImageNet).")
        }
        // 4. Random filters: the paper finds them far worse than transferred ones from n = 2-3.
        let random = layers.map { (n: $0, s: summary(.random, $0)) }.filter { $0.s.n > 0 }
        if let worst = random.min(by: { $0.s.mean < $1.s.mean }) {
            out.append("Random frozen filters reach \(pct(worst.s.mean))% at their worst (n = \(worst.n))"
                       + (anb.first(where: { $0.n == worst.n }).map { ", against \(pct($0.s.mean))% for transferred frozen filters (AnB)." } ?? "."))
        }
        return out
    }
}
