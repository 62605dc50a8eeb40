// The leaderboard of one comparison setting, computed from stored cells alone (so it can be
// redrawn any time without retraining). Every configuration gets a row, even one whose every
// cell failed: a missing row would be a silent lie.

public struct LeaderboardRow: Codable, Sendable {
    public var rank: Int?
    public var configuration: String
    public var strategy: String
    public var parameters: String
    public var source: String
    /// Test accuracy over the seeds that finished.
    public var accuracy: Summary
    public var seeds: [UInt64]
    /// "seed 2: crashed: signal 11 (Segmentation fault)", one per failed cell.
    public var failures: [String]
    /// Seeds that were expected but have no stored cell (an interrupted comparison).
    public var missing: Int = 0
    /// "seed 2: predicts Coat for every image", one per finished cell whose model collapsed.
    public var collapsed: [String] = []
    /// Against the baseline, paired by seed; nil for the baseline itself or without one.
    public var versusBaseline: PairedTTest?
    public var meanSeconds: Double
    public var trainableParameters: Int
}

public struct Leaderboard: Sendable {
    public var rows: [LeaderboardRow]
    public var baseline: String
    public var setting: ComparisonSetting?

    /// `order` lists configurations to show (and their order when tied); nil shows all stored.
    /// `expectedSeeds`, when known, makes seeds without a stored cell show as missing.
    public init(cells: [StoredCell], baseline: String = "scratch", order: [String]? = nil, expectedSeeds: Int? = nil) {
        self.baseline = baseline
        setting = cells.first?.cell.setting
        let byConfiguration = Dictionary(grouping: cells, by: { $0.cell.configuration })
        let names = order ?? byConfiguration.keys.sorted()
        func accuracies(_ c: [StoredCell]) -> [UInt64: Double] {
            Dictionary(c.compactMap { s in s.result.metrics.map { (s.cell.seed, $0.accuracy) } }, uniquingKeysWith: { a, _ in a })
        }
        let base = byConfiguration[baseline].map(accuracies) ?? [:]
        var rows: [LeaderboardRow] = names.map { name in
            let c = byConfiguration[name] ?? []
            let ok = c.filter { $0.result.status == .ok }.sorted { $0.cell.seed < $1.cell.seed }
            let failed = c.filter { $0.result.status == .failed }.sorted { $0.cell.seed < $1.cell.seed }
            let acc = accuracies(ok)
            let paired = acc.keys.filter { base[$0] != nil }.sorted()
            let versus: PairedTTest? = name == baseline || paired.isEmpty
                ? nil : PairedTTest(paired.map { acc[$0]! }, paired.map { base[$0]! })
            let seconds = c.isEmpty ? 0 : c.map(\.result.seconds).reduce(0, +) / Double(c.count)
            let missing = max(0, (expectedSeeds ?? 0) - Set(c.map(\.cell.seed)).count)
            let collapsed = ok.compactMap { s -> String? in
                guard let m = s.result.metrics, m.isCollapsed, let only = m.predictedClasses.first else { return nil }
                let name = s.cell.setting.targetClassNames.map { $0.indices.contains(only) ? $0[only] : "class \(only)" } ?? "class \(only)"
                return "seed \(s.cell.seed): predicts \(name) for every image"
            }
            return LeaderboardRow(
                rank: nil, configuration: name, strategy: c.first?.cell.strategy ?? "?",
                parameters: c.first?.cell.parameterSummary ?? "", source: c.first?.cell.source ?? "base",
                accuracy: Summary(ok.map { $0.result.metrics!.accuracy }), seeds: ok.map(\.cell.seed),
                failures: failed.map { "seed \($0.cell.seed): \($0.result.error ?? "failed")" },
                missing: missing, collapsed: collapsed, versusBaseline: versus, meanSeconds: seconds,
                trainableParameters: ok.map(\.result.trainableParameters).max() ?? 0)
        }
        // Rows with results by mean accuracy, best first; rows with none at the bottom, unranked.
        rows.sort { a, b in
            switch (a.accuracy.n > 0, b.accuracy.n > 0) {
            case (true, true): return a.accuracy.mean > b.accuracy.mean
            case (true, false): return true
            case (false, true): return false
            case (false, false): return a.configuration < b.configuration
            }
        }
        for i in rows.indices where rows[i].accuracy.n > 0 { rows[i].rank = i + 1 }
        self.rows = rows
    }

    public var hasFailures: Bool { rows.contains { !$0.failures.isEmpty || $0.missing > 0 } }
}
