// `harness bench`: races the engine against PyTorch on this machine, in one invocation. Training
// and inference throughput alternate engine and peer run by run (ratios, not timings, are what
// survive a noisy machine), a per-layer breakdown says where the engine's time goes, the GEMM
// peak says how close to the processor's limit it runs, and the whole default comparison is
// timed against a PyTorch script of the same protocol.
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

    @Option(help: "Runs of each engine per case, alternating (default: 5, or 2 with --quick).")
    var repeats: Int?

    @OptionGroup var threading: ThreadOptions
    var threads: Int { threading.threads }

    @Option(help: ArgumentHelp("The Python with python3-torch (Debian's, not a virtual environment's).", valueName: "path"))
    var python: String = "/usr/bin/python3"

    @Option(help: ArgumentHelp("The folder with the PyTorch peer scripts (default: bench/ beside the harness sources).", valueName: "dir"))
    var peerDir: String?

    @Option(help: "Timed runs of the whole comparison on each side, alternating.")
    var compareRuns: Int = 1

    @Flag(help: "Skip the whole-comparison race.")
    var skipCompare = false

    @Flag(help: "Skip the image-folder loading race.")
    var skipLoading = false

    @Flag(help: "Run only the image-folder loading race (harness's libvips loading against torchvision's ImageFolder).")
    var loadingOnly = false

    @Option(help: ArgumentHelp("Train and test images per class in the loading race's folder (default: 200, or 20 with --quick).", valueName: "K"))
    var loadingPerClass: Int?

    @Flag(help: "Print one JSON object with every figure as the last line of standard output.")
    var json = false

    func validate() throws {
        guard (repeats ?? 1) >= 1, compareRuns >= 1 else {
            throw ValidationError("--repeats and --compare-runs must be at least 1")
        }
    }

    func run() throws {
        EngineThreads.set(threads)
        let source = try dataset.source
        guard let idx = source.idxDirectory else {
            throw CLIError("the benchmark's PyTorch peer reads IDX files; \(source) has none. help: use --dataset fashion-mnist or an IDX folder")
        }
        let peers = try peerDirectory()
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw CLIError("\(python) not found: the PyTorch peer needs Debian's python3 with python3-torch. help: bash scripts/bench.sh installs it, or pass --python")
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("harness-bench-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        if loadingOnly {
            var result = BenchResult(threads: threads, cores: ProcessInfo.processInfo.activeProcessorCount, onednn: EngineInfo.oneDNNVersion, forwardGFLOPPerImage: 0)
            result.loading = try raceLoading(source: source, peers: peers, scratch: scratch)
            print(BenchReport.loadingText(result.loading!, threads: threads).joined(separator: "\n"))
            if json { try printJSON(result) }
            return
        }
        var full = try source.load()
        _ = full.normalizeWithTrainingStatistics()
        let spec = try network.choice.spec(classes: full.classCount, shape: InputShape(full.train))
        let plan = BenchPlan(quick: quick, repeats: repeats)
        var result = BenchResult(threads: threads, cores: ProcessInfo.processInfo.activeProcessorCount, onednn: EngineInfo.oneDNNVersion,
                                 forwardGFLOPPerImage: try spec.forwardFLOPsPerImage() / 1e9)
        result.network = network.choice.description

        note("measuring the GEMM peak (oneDNN sgemm, \(threads) threads)")
        result.gemmPeakGFLOPS = GEMMPeak.measure()

        note("starting the PyTorch peer (\(python) \(peers)/torch_throughput.py)")
        // Both PyTorch scripts build their network from this file, so neither can drift from the engine's.
        let specFile = scratch.appendingPathComponent("spec.json")
        try HarnessJSON.encoder.encode(spec).write(to: specFile)
        let peer = try TorchPeer(python: python, script: peers + "/torch_throughput.py", specFile: specFile, data: idx, threads: threads,
                                 log: scratch.appendingPathComponent("torch-throughput.log"))
        result.torch = peer.version

        for c in plan.cases {
            let network = try Network(spec: spec, seed: 1)
            var harness: [Double] = [], nchw: [Double] = [], channelsLast: [Double] = []
            // Every engine run is profiled: a clock read per layer and phase costs microseconds
            // in a step of tens of milliseconds, and medians over runs make a steady breakdown.
            var profiles: [StepProfile] = [], seconds: [Double] = [], peaks: [Double] = []
            for r in 1...plan.repeats {
                peaks.append(GEMMPeak.measure(sizes: [1024], repeats: 3))
                let profile = StepProfile()
                let mine = c.training
                    ? try EngineBenchmark.training(network, on: full.train, batch: c.batch, steps: c.steps, warmup: c.warmup, profile: profile)
                    : EngineBenchmark.inference(network, on: full.train, batch: c.batch, steps: c.steps, warmup: c.warmup)
                harness.append(mine.imagesPerSecond)
                profiles.append(profile)
                seconds.append(mine.seconds)
                nchw.append(try peer.measure(training: c.training, layout: .nchw, batch: c.batch, steps: c.steps, warmup: c.warmup).imagesPerSecond)
                channelsLast.append(try peer.measure(training: c.training, layout: .channelsLast, batch: c.batch, steps: c.steps, warmup: c.warmup).imagesPerSecond)
                note(String(format: "%@: run %d/%d: harness %.0f, torch NCHW %.0f, channels_last %.0f images/s",
                            c.name, r, plan.repeats, harness.last!, nchw.last!, channelsLast.last!))
            }
            result.cases.append(CaseResult(name: c.name, training: c.training, batch: c.batch, harness: RepeatedMeasurement(harness),
                                           torchNCHW: RepeatedMeasurement(nchw), torchChannelsLast: RepeatedMeasurement(channelsLast),
                                           gemmPeaks: RepeatedMeasurement(peaks)))
            if c.training {
                result.breakdowns.append(Breakdown(batch: c.batch, steps: c.steps, seconds: seconds, profiles: profiles, network: network))
            }
        }

        if !skipLoading { result.loading = try raceLoading(source: source, peers: peers, scratch: scratch) }
        if !skipCompare && network.choice != .standard {
            note("skipping the whole-comparison race: its PyTorch script reproduces the default network's protocol only (--network \(network.choice) races throughput)")
        } else if !skipCompare {
            let split = try dataset.classSplit(for: full)
            result.comparison = try raceComparison(split: split, plan: plan, idx: idx, peers: peers, specFile: specFile, scratch: scratch)
        }
        print(BenchReport(result).text)
        if json { try printJSON(result) }
    }

    /// Image-folder loading: a folder of JPEGs of mixed sizes and colour made from the data set,
    /// brought to 1x28x28 by harness and by torchvision, runs alternating.
    private func raceLoading(source: DataSource, peers: String, scratch: URL) throws -> LoadingRace {
        let folder = scratch.appendingPathComponent("photos").path
        let perClass = loadingPerClass ?? (quick ? 20 : 200)
        note("image loading: writing \(perClass) train and test images per class as JPEGs of mixed sizes and colour to \(folder)")
        let made = try LoadingRace.makeFolder(from: try source.load(), perClass: perClass, at: folder)
        guard let executable = Installation.executablePath else { throw CLIError("cannot locate the harness binary") }
        return try LoadingRace.run(folder: folder, description: made.description, shape: InputShape(channels: 1, height: 28, width: 28),
                                   decoders: DecoderProcesses(executable: executable, processes: threads),
                                   repeats: repeats ?? (quick ? 2 : 5), python: python, script: peers + "/torch_imagefolder.py",
                                   scratch: scratch.appendingPathComponent("image-cache").path, progress: { note($0) })
    }

    private func peerDirectory() throws -> String {
        let candidates = peerDir.map { [$0] } ?? ["bench", Installation.sourceRoot.map { $0 + "/bench" }].compactMap { $0 }
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0 + "/torch_throughput.py") }) else {
            throw CLIError("no bench/torch_throughput.py in \(candidates.joined(separator: ", ")). help: pass --peer-dir with the repository's bench/ folder")
        }
        return (found as NSString).standardizingPath
    }

    /// The whole default comparison, cold (empty cache and database), against the PyTorch script
    /// of the same protocol; the two alternate when run more than once.
    private func raceComparison(split: ClassSplit, plan: BenchPlan, idx: String, peers: String, specFile: URL, scratch: URL) throws -> ComparisonRace {
        guard let executable = Installation.executablePath else { throw CLIError("cannot locate the harness binary") }
        let protocolArguments = plan.compareProtocol.flatMap { ["--\($0.0)", $0.1] }
        let dataArguments = dataset.data.map { ["--data", $0] } ?? []
        var race = ComparisonRace(protocolArguments: protocolArguments.joined(separator: " "))
        for run in 1...compareRuns {
            note("comparison race \(run)/\(compareRuns): harness compare --strategies freeze3,finetune,svm-codes (empty cache)")
            /// `harness compare` with this run's cache and a database of its own (`name`).
            func harnessCompare(_ name: String) throws -> MeasuredRun {
                let result = try MeasuredProcess.run(
                    executable, ["compare", "--strategies", "freeze3,finetune,svm-codes", "--db", scratch.appendingPathComponent("\(name).db").path,
                                 "--format", "json", "--threads", "\(threads)"] + protocolArguments + dataArguments,
                    environment: ["HARNESS_CACHE_DIR": scratch.appendingPathComponent("cache-\(run)").path],
                    log: scratch.appendingPathComponent("\(name).log"))
                guard result.status == 0 else { throw CLIError("harness compare (\(name)) failed (exit \(result.status)):\n\(result.log.suffix(2000))") }
                return result
            }
            let mine = try harnessCompare("harness-\(run)-cold")
            note("comparison race \(run)/\(compareRuns): the PyTorch script of the same protocol")
            let theirs = try MeasuredProcess.run(
                python, [peers + "/torch_compare.py", "--spec", specFile.path, "--data", idx,
                         "--source-classes", split.a.map(String.init).joined(separator: ","),
                         "--target-classes", split.b.map(String.init).joined(separator: ","),
                         "--threads", "\(threads)", "--layout", "channels_last"] + protocolArguments,
                log: scratch.appendingPathComponent("torch-compare-\(run).log"))
            guard theirs.status == 0 else { throw CLIError("the PyTorch comparison script failed (exit \(theirs.status)):\n\(theirs.log.suffix(2000))") }
            race.record(harness: mine, torch: theirs)
            note("comparison race \(run)/\(compareRuns): harness compare again with the source network cached (a fresh results database)")
            let warm = try harnessCompare("harness-\(run)-cached-source")
            race.harnessWarmSeconds.append(warm.seconds)
            race.harnessPeakBytes = max(race.harnessPeakBytes, warm.peakResidentBytes)
            note(String(format: "comparison race %d/%d: harness %.1f s (%.1f s with the source network cached), PyTorch %.1f s",
                        run, compareRuns, mine.seconds, warm.seconds, theirs.seconds))
        }
        return race
    }

}

/// What one invocation measures, full or quick.
struct BenchPlan {
    struct Case {
        var name: String
        var training: Bool
        var batch: Int
        var steps: Int
        var warmup: Int
    }
    let cases: [Case]
    let repeats: Int
    /// The comparison's options on both sides: the defaults in full, a toy protocol in quick mode.
    let compareProtocol: [(String, String)]

    init(quick: Bool, repeats: Int?) {
        self.repeats = repeats ?? (quick ? 2 : 5)
        cases = quick
            ? [Case(name: "train batch 64", training: true, batch: 64, steps: 6, warmup: 1),
               Case(name: "train batch 256", training: true, batch: 256, steps: 2, warmup: 1),
               Case(name: "infer batch 256", training: false, batch: 256, steps: 4, warmup: 1)]
            : [Case(name: "train batch 64", training: true, batch: 64, steps: 60, warmup: 5),
               Case(name: "train batch 256", training: true, batch: 256, steps: 15, warmup: 2),
               Case(name: "infer batch 256", training: false, batch: 256, steps: 30, warmup: 2)]
        compareProtocol = quick
            ? [("seeds", "1"), ("epochs", "1"), ("base-epochs", "1"), ("source-per-class", "40"), ("target-per-class", "10"), ("eval-per-class", "20")]
            : []
    }
}
