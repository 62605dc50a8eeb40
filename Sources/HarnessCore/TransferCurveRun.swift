// Yosinski et al.'s experiment end to end: the curve's grid run as comparisons over one or more
// class splits, then the curve, its figure, tables and plain-language reading written to a
// folder. The front end supplies how a comparison runs (its launcher, progress display); this
// file owns the loop over splits and what is written.
import Foundation

public struct TransferCurveRun {
    /// The comparison of the first split; further splits differ only by their split seed.
    public var request: ComparisonRequest
    /// For several splits: the source and target of the split drawn by a split seed (nil when
    /// source and target are given, which is one split).
    public var resplit: ((UInt64) throws -> DataPair)?
    public var splitSeeds = 1
    public var layers: [Int]
    /// Where figure.svg, figure.png, transfer-curve.md and transfer-curve.csv go.
    public var out: String
    /// The results database the comparisons store into (its other splits become panels).
    public var database: String

    public init(request: ComparisonRequest, layers: [Int], out: String, database: String) {
        self.request = request
        self.layers = layers
        self.out = out
        self.database = database
    }

    public struct Outcome {
        /// The Markdown report (what transfer-curve.md holds).
        public var text: String
        public var files: [String]
        public var failures: [StoredCell]
        /// A note for what was not written (no PNG without rsvg-convert).
        public var notes: [String]
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public func validate() throws(Invalid) {
        guard splitSeeds >= 1 else { throw Invalid(description: "--split-seeds must be at least 1") }
        if splitSeeds > 1 && resplit == nil {
            throw Invalid(description: "--split-seeds splits one data set; with --target the source and target are given")
        }
    }

    /// Runs every split's comparison through `compare` (which stores cells and returns them),
    /// then writes the curve. With `wait` false (a cluster run submitted without waiting),
    /// returns nil after submitting.
    public func execute(strategies: [StrategyBinding], wait: Bool = true,
                        compare: (ComparisonRequest) throws -> (ComparisonPlan, [StoredCell])) throws -> Outcome? {
        try validate()
        var cells: [StoredCell] = [], baseA: [Double] = []
        let firstSeed = request.splitSeed
        for s in 0..<UInt64(splitSeeds) {
            var r = request
            if s > 0, let resplit {
                r.splitSeed = firstSeed + s
                r.data = try resplit(r.splitSeed)
            }
            let (plan, these) = try compare(r)
            cells += these
            if let a = plan.sourceAccuracy { baseA.append(a) }
        }
        guard wait else { return nil }

        let curve = TransferCurve(cells: cells, layers: layers)
        let setting = cells.first?.cell.setting
        let splits = splitSeeds == 1 ? setting.map { "\($0.splitName): \($0.sourceClasses) -> \($0.targetClasses)" } ?? ""
            : "random splits, split seeds \(firstSeed)-\(firstSeed + UInt64(splitSeeds) - 1)"
        let title = "\(setting?.datasetName ?? "transfer curve"), \(splits)"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        // One split: a panel for every split of this data and budget in the database (random,
        // dissimilar). Several split seeds: one panel pooling them.
        let all = try ResultsDatabase(path: database).cells()
        let panels = splitSeeds == 1 ? setting.map { TransferCurve.panels(from: all, like: $0) } ?? [] : []
        let figure = TransferCurveFigure.svg(panels: panels.isEmpty ? [(title, curve)] : panels)
        let failures = cells.filter { $0.result.status == .failed }
        let chosen = request.trials > 1
            ? "Every point tuned: per seed, the best of up to \(request.trials) trials (\(request.search) search) by accuracy on validation images held out of the training images (\(request.validation?.description ?? "")); its test accuracy is shown."
            : "Untuned: every point at its default configuration."
        let text = curve.report(title: title, seeds: request.seeds, splits: splitSeeds, protocol: chosen, baseA: baseA, failures: failures)
        let svg = out + "/figure.svg"
        try figure.write(toFile: svg, atomically: true, encoding: .utf8)
        try text.write(toFile: out + "/transfer-curve.md", atomically: true, encoding: .utf8)
        try curve.csv.write(toFile: out + "/transfer-curve.csv", atomically: true, encoding: .utf8)
        var files = [svg], notes: [String] = []
        switch SVGRasterizer.png(from: svg) {
        case let .success(png): files.append(png)
        case let .failure(missing): notes.append("no PNG: \(missing)")
        }
        files += [out + "/transfer-curve.md", out + "/transfer-curve.csv"]
        return Outcome(text: text, files: files, failures: failures, notes: notes)
    }
}
