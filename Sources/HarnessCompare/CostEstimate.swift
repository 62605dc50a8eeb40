// How long cells will take, from the speed of cells stored earlier: printed before a comparison
// starts, and what --budget divides. A cell's time scales with its epochs and training images;
// the estimate takes seconds per epoch and image from stored cells of the same strategy (of the
// same setting when there are any), and from all strategies when a strategy has no history.

public struct CostEstimate: Sendable {
    private var rates: [String: Double] = [:]
    private var settingRates: [String: Double] = [:]
    private var overall: Double?
    /// How many stored cells the estimate rests on.
    public let basis: Int

    public init(history: [StoredCell]) {
        let ok = history.filter { $0.result.status == .ok && $0.result.seconds > 0 }
        basis = ok.count
        func rate(_ cells: [StoredCell]) -> Double? {
            let work = cells.map { Self.work($0.cell) }.reduce(0, +)
            return work > 0 ? cells.map(\.result.seconds).reduce(0, +) / work : nil
        }
        for (strategy, cells) in Dictionary(grouping: ok, by: { $0.cell.strategy }) { rates[strategy] = rate(cells) }
        for (key, cells) in Dictionary(grouping: ok, by: { $0.cell.strategy + "/" + $0.cell.setting.key }) { settingRates[key] = rate(cells) }
        overall = rate(ok)
    }

    /// Epochs x training images: what a cell's time is proportional to.
    static func work(_ cell: Cell) -> Double {
        let images = Double((cell.setting.targetPerClass ?? 6000) * max(cell.setting.targetClasses.count, 1))
        return Double(cell.training.epochs) * images
    }

    /// Seconds one cell will take, or nil without any history.
    public func seconds(for cell: Cell) -> Double? {
        guard let rate = settingRates[cell.strategy + "/" + cell.setting.key] ?? rates[cell.strategy] ?? overall else { return nil }
        return rate * Self.work(cell)
    }

    /// Wall-clock seconds for cells run `jobs` at a time, or nil without any history.
    public func seconds(for cells: [Cell], jobs: Int) -> Double? {
        guard basis > 0 else { return nil }
        return cells.compactMap { seconds(for: $0) }.reduce(0, +) / Double(max(jobs, 1))
    }
}
