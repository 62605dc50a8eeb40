// `harness transfer-curve`: Yosinski et al. 2014's experiment in one command. For every n, copy
// the first n layers from a network trained on A (AnB, AnB+) or on B itself (BnB, BnB+), frozen or
// fine-tuned, plus random frozen filters; baseB trains from scratch on B. Every run is a cell of
// the same machinery as compare: cached source networks, worker processes, the results database.
import ArgumentParser
import Foundation
import HarnessCore

struct TransferCurveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer-curve",
        abstract: "Reproduce Yosinski et al.'s transfer curve: BnB, BnB+, AnB, AnB+ and random filters for n = 1..7.",
        discussion: """
            Writes the figure (SVG, PNG), the tables and a plain-language reading to --out, and stores \
            every run in the results database. --quick runs a small preset in a few minutes.
            """)

    @OptionGroup var comparison: ComparisonOptions

    @Option(help: ArgumentHelp("Which numbers of copied layers (transfer units, as harness networks NAME numbers them) to run, "
                               + "e.g. 1-7 or 1,3,5,7 (default: every one but the classifier, 1-7 in the default network).", valueName: "list"))
    var layers: String?

    @Option(help: "How many random class splits (split seeds --split-seed, +1, …) to run the grid on; results pool over them.")
    var splitSeeds: Int = 1

    @Flag(help: "A small preset: 1 seed, 5 epochs, a source network on 1,000 images per class for 2 epochs.")
    var quick = false

    @Option(help: ArgumentHelp("Where to write figure.svg, figure.png, tables and reading.", valueName: "dir"))
    var out: String = "results/transfer-curve"

    func run() throws {
        var c = comparison
        if quick {
            c.seeds = 1
            // The preset fills what the user left out; a given --epochs or --base-epochs wins.
            if c.hyperparameters.epochs == nil { c.hyperparameters.epochs = 5 }
            if c.sourceHyperparameters.baseEpochs == nil { c.sourceHyperparameters.baseEpochs = 2 }
            if c.sourcePerClass == 0 { c.sourcePerClass = 1000 }
        }
        // The layers the curve can copy: every learnable layer but the classifier, of the network
        // the source is (the file's, or --network's at any input shape: the count does not depend on it).
        let network = try c.transfer.sourceModel.map { try SavedModel.read(from: $0).network.spec }
            ?? c.architecture.choice.spec(classes: 2, shape: InputShape(channels: 1, height: 28, width: 28))
        let ns = try TransferCurve.layerCounts(layers, max: network.units.count - 1)
        let grid = try TransferCurve.grid(layers: ns, from: try c.plugins.strategiesFile(), tuned: c.trials > 1)
        let configured = try c.plugins.registry().bind(grid, checkingWith: try c.plugins.scanner())
        guard splitSeeds >= 1 else { throw CLIError("--split-seeds must be at least 1") }
        guard splitSeeds == 1 || c.transfer.target == nil else { throw CLIError("--split-seeds splits one data set; with --target the source and target are given") }
        guard splitSeeds == 1 || c.data.split == "random" else { throw CLIError("--split-seeds needs --split random: the dissimilar split is one fixed split") }
        var cells: [StoredCell] = []
        var baseA: [Double] = []
        let firstSplit = c.data.splitSeed
        for s in 0..<UInt64(splitSeeds) {
            c.data.splitSeed = firstSplit + s
            let (plan, these) = try c.run(configured)
            cells += these
            if let a = plan.sourceAccuracy { baseA.append(a) }
        }
        if c.noWait {
            note("submitted to Slurm; once the cells have run (harness status shows them), run the same command without --no-wait to write the curve")
            return
        }
        let curve = TransferCurve(cells: cells, layers: ns)
        let setting = cells.first?.cell.setting
        let splits = splitSeeds == 1 ? setting.map { "\($0.splitName): \($0.sourceClasses) -> \($0.targetClasses)" } ?? ""
            : "random splits, split seeds \(firstSplit)-\(firstSplit + UInt64(splitSeeds) - 1)"
        let title = "\(setting?.datasetName ?? "transfer curve"), \(splits)"

        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        // One split: a panel for every split of this data and budget in the database (random,
        // dissimilar). Several split seeds: one panel pooling them.
        let all = try ResultsDatabase(path: c.db).cells()
        let panels = splitSeeds == 1 ? setting.map { TransferCurve.panels(from: all, like: $0) } ?? [] : []
        let figure = TransferCurveFigure.svg(panels: panels.isEmpty ? [(title, curve)] : panels)
        let failures = cells.filter { $0.result.status == .failed }
        let chosen = c.trials > 1
            ? "Every point tuned: per seed, the best of up to \(c.trials) trials (\(c.search) search) by accuracy on validation images held out of the training images (\(c.validation?.description ?? "")); its test accuracy is shown."
            : "Untuned: every point at its default configuration."
        let text = curve.report(title: title, seeds: c.seeds, splits: splitSeeds, protocol: chosen, baseA: baseA, failures: failures)
        try figure.write(toFile: out + "/figure.svg", atomically: true, encoding: .utf8)
        try text.write(toFile: out + "/transfer-curve.md", atomically: true, encoding: .utf8)
        try curve.csv.write(toFile: out + "/transfer-curve.csv", atomically: true, encoding: .utf8)
        let png = convertToPNG(out + "/figure.svg")
        print(text)
        note("wrote \(out)/figure.svg\(png.map { ", \($0)" } ?? ""), transfer-curve.md and transfer-curve.csv; runs are in \(c.db)")
        if !failures.isEmpty { throw ExitCode(3) }
    }

    /// A PNG beside the SVG, with rsvg-convert (Debian: librsvg2-bin); nil with a note if it is missing.
    private func convertToPNG(_ svg: String) -> String? {
        let png = (svg as NSString).deletingPathExtension + ".png"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/rsvg-convert")
        p.arguments = ["--zoom", "2", "-o", png, svg]
        guard (try? p.run()) != nil else {
            note("no PNG: rsvg-convert is missing (apt-get install librsvg2-bin)")
            return nil
        }
        p.waitUntilExit()
        return p.terminationStatus == 0 ? png : nil
    }
}
