// Model selection, done once for every table: per configuration and seed, the trial with the best
// validation accuracy is selected (ties go to the lower trial number, so the untuned configuration
// wins a tie), and its test accuracy is what gets reported, or that of its refit on training +
// validation images when one was run. Only validation accuracy is ever compared here; a failed or
// diverged trial has none and is never selected. Without a validation split there is nothing to
// select on, and trial 0 (the untuned configuration) is reported.

public struct TrialSelection: Sendable {
    /// The outcome for one configuration at one seed.
    public struct Choice: Sendable {
        public var configuration: String
        public var seed: UInt64
        /// Every trial stored for it, failed ones included, by trial number.
        public var trials: [StoredCell]
        /// The selected trial (nil when every trial failed).
        public var selected: StoredCell?
        /// The selected configuration retrained on training + validation images, if run.
        public var refit: StoredCell?

        /// The cell whose test accuracy is reported: the refit when it finished, else the selected trial.
        public var reported: StoredCell? {
            if let refit, refit.result.status == .ok { return refit }
            return selected
        }
    }

    /// By configuration, then seed.
    public let choices: [String: [UInt64: Choice]]

    public init(_ cells: [StoredCell]) {
        let refits = Dictionary(cells.filter { $0.cell.refit == true }.map { ($0.cell.key, $0) }, uniquingKeysWith: { a, _ in a })
        let trials = cells.filter { $0.cell.refit != true }
        var out: [String: [UInt64: Choice]] = [:]
        for (configuration, ofConfiguration) in Dictionary(grouping: trials, by: { $0.cell.configuration }) {
            for (seed, group) in Dictionary(grouping: ofConfiguration, by: { $0.cell.seed }) {
                let sorted = group.sorted { ($0.cell.trial ?? 0, $0.cell.key) < ($1.cell.trial ?? 0, $1.cell.key) }
                let selected = Self.select(sorted)
                out[configuration, default: [:]][seed] = Choice(
                    configuration: configuration, seed: seed, trials: sorted, selected: selected,
                    refit: selected.flatMap { refits[Self.refitCell(of: $0.cell).key] })
            }
        }
        choices = out
    }

    /// The best validation accuracy among finished trials; the first such trial on a tie.
    static func select(_ trials: [StoredCell]) -> StoredCell? {
        let finished = trials.filter { $0.result.status == .ok && $0.result.metrics != nil }
        let validated = finished.filter { $0.result.validation != nil }
        guard !validated.isEmpty else {
            // Nothing to select on: the untuned configuration, if it finished.
            return finished.first { ($0.cell.trial ?? 0) == 0 } ?? (finished.count == 1 ? finished[0] : nil)
        }
        var best = validated[0]
        for t in validated.dropFirst() where t.result.validation!.accuracy > best.result.validation!.accuracy { best = t }
        return best
    }

    /// The cell that retrains a selected trial on its training and validation images.
    public static func refitCell(of selected: Cell) -> Cell {
        var c = selected
        c.refit = true
        return c
    }

    /// The cells whose test accuracy the tables report: one per configuration and seed.
    public var reported: [StoredCell] { choices.values.flatMap { $0.values.compactMap(\.reported) } }

    /// Whether any configuration ran more than one trial.
    public var isTuned: Bool { choices.values.contains { $0.values.contains { $0.trials.count > 1 } } }
}
