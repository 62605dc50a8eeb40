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

    @Option(parsing: .unconditional, help: "How many random class splits (split seeds --split-seed, +1, …) to run the grid on; results pool over them.")
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
        guard splitSeeds == 1 || c.data.split == "random" else { throw ValidationError("--split-seeds needs --split random: the dissimilar split is one fixed split") }
        var run = TransferCurveRun(request: try c.request(), layers: ns, out: out, database: c.db)
        run.splitSeeds = splitSeeds
        if c.transfer.target == nil {
            run.resplit = { seed in
                var options = c
                options.data.splitSeed = seed
                return try options.dataPair()
            }
        }
        do { try run.validate() } catch { throw ValidationError("\(error)") }
        guard let outcome = try run.execute(strategies: configured, wait: !c.noWait, compare: { try c.run(configured, request: $0) }) else {
            note("submitted to Slurm; once the cells have run (harness status shows them), run the same command without --no-wait to write the curve")
            return
        }
        print(outcome.text)
        outcome.notes.forEach(note)
        note("wrote \(outcome.files.joined(separator: ", ")); runs are in \(c.db)")
        if !outcome.failures.isEmpty { throw ExitCode(3) }
    }
}
