// `harness bench`: parses the options into a BenchRun (HarnessCore, where the races live) and
// prints its result.
import ArgumentParser
import Foundation
import HarnessCore

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Race the engine against PyTorch on this machine: throughput, per-layer breakdown, the whole comparison.",
        discussion: """
            Needs Debian's python3-torch and python3-liblinear for the peer (scripts/bench.sh installs them and runs this). \
            Example: harness bench                      (about 15 minutes)
                     harness bench --quick              (a minute or two; what CI runs so the benchmark never rots)
                     harness bench --network resnet20 --skip-loading   (throughput and breakdown of ResNet-20)
            """)

    @OptionGroup var dataset: DatasetOptions

    @OptionGroup var network: NetworkOptions

    @Flag(help: "A small, fast run that exercises every part (figures are not meaningful).")
    var quick = false

    @Option(parsing: .unconditional, help: "Runs of each engine per case, alternating (default: 5, or 2 with --quick).")
    var repeats: Int?

    @OptionGroup var threading: ThreadOptions
    /// The bench compares like with like: every core this process may use unless told, whatever else runs.
    var threads: Int { threading.requested ?? AvailableCores.count }

    @Option(help: ArgumentHelp("The Python with python3-torch (Debian's, not a virtual environment's).", valueName: "path"))
    var python: String = "/usr/bin/python3"

    @Option(help: ArgumentHelp("The folder with the PyTorch peer scripts (default: bench/ beside the harness sources).", valueName: "dir"))
    var peerDir: String?

    @Option(parsing: .unconditional, help: "Timed runs of the whole comparison on each side, alternating.")
    var compareRuns: Int = 1

    @Flag(help: "Skip the whole-comparison race.")
    var skipCompare = false

    @Flag(help: "Skip the image-folder loading race.")
    var skipLoading = false

    @Flag(help: "Run only the image-folder loading race (harness's libvips loading against torchvision's ImageFolder).")
    var loadingOnly = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Train and test images per class in the loading race's folder (default: 200, or 20 with --quick).", valueName: "K"))
    var loadingPerClass: Int?

    @Option(help: ArgumentHelp("Zoo networks of the backbone race, against PyTorch's own modules (comma-separated).", valueName: "names"))
    var backbones = "resnet18,efficientnet_lite0"

    @Option(parsing: .unconditional, help: ArgumentHelp("Input size of the backbone race (default: 224, or 64 with --quick).", valueName: "pixels"))
    var backboneSize: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Batch size of the backbone race (default: 32, or 8 with --quick).", valueName: "n"))
    var backboneBatch: Int?

    @Flag(help: "Skip the photo comparison (EfficientNet-Lite0 fine-tuned on a folder of photos at the backbone size, harness against a PyTorch script: peak memory and time).")
    var skipPhotoComparison = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Training (and test) images per class in the photo comparison (default: 200, or 10 with --quick).", valueName: "K"))
    var photoPerClass: Int?

    @Flag(help: "Skip the backbone race.")
    var skipBackbones = false

    @Flag(help: "Skip the real-scenario race (scripts/pretrained-scenario.sh, EfficientNet-Lite0 at 64 px with ten strategies and 3 seeds, against bench/torch_scenario.py).")
    var skipScenario = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Training images per class in the real-scenario race (default: 10, or 2 with --quick).", valueName: "K"))
    var scenarioPerClass: Int?

    @Flag(help: "Skip the shared-machine race (training beside a process that keeps one core busy, harness against PyTorch).")
    var skipSharedMachine = false

    @Flag(help: "Print one JSON object with every figure as the last line of standard output.")
    var json = false

    func validate() throws {
        guard (repeats ?? 1) >= 1, compareRuns >= 1 else {
            throw ValidationError("--repeats and --compare-runs must be at least 1")
        }
        _ = try backboneNetworks()
        guard (scenarioPerClass ?? 1) >= 1 else { throw ValidationError("--scenario-per-class must be at least 1") }
        guard (backboneSize ?? 224) >= 32, (backboneBatch ?? 1) >= 1 else {
            throw ValidationError("--backbone-size must be at least 32 (the zoo networks halve it five times) and --backbone-batch at least 1")
        }
    }

    func run() throws {
        guard let executable = Installation.executablePath else { throw CLIError("cannot locate the harness binary") }
        var bench = BenchRun(source: try dataset.source, threads: threads, python: python, peers: try peerDirectory(), executable: executable)
        bench.split = dataset.splitChoice
        bench.splitSeed = dataset.splitSeed
        bench.dataDirectory = dataset.data
        bench.network = network.choice
        bench.quick = quick
        bench.repeats = repeats
        bench.compareRuns = compareRuns
        bench.skipCompare = skipCompare
        bench.skipLoading = skipLoading
        bench.loadingOnly = loadingOnly
        bench.loadingPerClass = loadingPerClass
        bench.backbones = try backboneNetworks()
        bench.backboneSize = backboneSize
        bench.backboneBatch = backboneBatch
        bench.skipPhotoComparison = skipPhotoComparison
        bench.photoPerClass = photoPerClass
        bench.skipBackbones = skipBackbones
        bench.skipScenario = skipScenario
        bench.scenarioPerClass = scenarioPerClass
        bench.skipSharedMachine = skipSharedMachine
        let result: BenchResult
        do { result = try bench.execute(log: note) } catch let failure as BenchRun.Failure { throw CLIError(failure.description) }
        if loadingOnly, let loading = result.loading {
            print(BenchReport.loadingText(loading, threads: threads).joined(separator: "\n"))
        } else {
            print(BenchReport(result).text)
        }
        if json { try printJSON(result) }
    }

    private func backboneNetworks() throws -> [Architecture] {
        try backbones.split(separator: ",").map { name in
            guard let a = Architecture(rawValue: String(name)), a.nativeShape.channels == 3 else {
                throw ValidationError("--backbones: '\(name)' is not an ImageNet network of the zoo (resnet18, resnet34, resnet50, mobilenet_v2, efficientnet_b0, efficientnet_lite0-4)")
            }
            return a
        }
    }

    private func peerDirectory() throws -> String {
        let candidates = peerDir.map { [$0] } ?? ["bench", Installation.sourceRoot.map { $0 + "/bench" }].compactMap { $0 }
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0 + "/torch_throughput.py") }) else {
            throw CLIError("no bench/torch_throughput.py in \(candidates.joined(separator: ", ")). help: pass --peer-dir with the repository's bench/ folder")
        }
        return (found as NSString).standardizingPath
    }
}
