import Foundation
import HarnessEngine

// Everything one `harness bench` invocation measured, as data: the report formats it, --json
// prints it.

public struct BenchResult: Codable, Sendable {
    public var threads: Int
    public var cores: Int
    public var onednn: String
    public var torch = "?"
    /// The network raced (--network); nil in results from before the option, which raced the default.
    public var network: String?
    /// Forward FLOPs of one image through the benchmarked network, in GFLOP.
    public var forwardGFLOPPerImage: Double
    public var gemmPeakGFLOPS = 0.0
    public var cases: [CaseResult] = []
    public var breakdowns: [Breakdown] = []
    public var comparison: ComparisonRace?
    public var loading: LoadingRace?
    public var backbones: [BackboneCase] = []
    /// A 224-px comparison on photos, whole, against a PyTorch script (peak memory and time).
    public var photoComparison: PhotoComparisonCase?
    /// The same with half the backbone frozen for several epochs: the prefix cache against
    /// PyTorch running the frozen layers every epoch.
    public var frozenPrefixComparison: PhotoComparisonCase?
    /// The pretrained-backbone scenario (ten strategies, several seeds), whole and cold, against
    /// a PyTorch script of the same strategies.
    public var scenario: ScenarioCase?
    /// Training beside a process that keeps a core busy, harness against PyTorch.
    public var sharedMachine: SharedMachineCase?

    public init(threads: Int, cores: Int, onednn: String, forwardGFLOPPerImage: Double) {
        self.threads = threads
        self.cores = cores
        self.onednn = onednn
        self.forwardGFLOPPerImage = forwardGFLOPPerImage
    }

    /// Achieved GFLOP/s at a throughput: 3 x forward FLOPs per trained image, 1 x per inferred one.
    public func gflops(imagesPerSecond: Double, training: Bool) -> Double {
        imagesPerSecond * forwardGFLOPPerImage * (training ? 3 : 1)
    }

    /// The yardstick for a breakdown's layers: the median GEMM peak measured beside that batch
    /// size's runs (else the start-of-run peak).
    public func layerPeak(batch: Int) -> Double {
        cases.first { $0.training && $0.batch == batch }.map { $0.gemmPeaks.median } ?? gemmPeakGFLOPS
    }

    /// The case's achieved GFLOP/s as a fraction of the GEMM peak measured beside each run.
    public func fractionOfPeak(_ c: CaseResult) -> Double {
        gflops(imagesPerSecond: c.imagesPerSecondPerPeakGFLOPS, training: c.training)
    }
}

/// One throughput case (e.g. training at batch 64), every side's runs in the order they ran.
public struct CaseResult: Codable, Sendable {
    public var name: String
    public var training: Bool
    public var batch: Int
    public var harness: RepeatedMeasurement
    public var torchNCHW: RepeatedMeasurement
    public var torchChannelsLast: RepeatedMeasurement
    /// The GEMM peak measured just before each harness run, so that "fraction of the peak" is a
    /// paired ratio too (a slow spell lowers both).
    public var gemmPeaks: RepeatedMeasurement

    public init(name: String, training: Bool, batch: Int, harness: RepeatedMeasurement,
                torchNCHW: RepeatedMeasurement, torchChannelsLast: RepeatedMeasurement, gemmPeaks: RepeatedMeasurement) {
        self.gemmPeaks = gemmPeaks
        self.name = name
        self.training = training
        self.batch = batch
        self.harness = harness
        self.torchNCHW = torchNCHW
        self.torchChannelsLast = torchChannelsLast
    }

    public var versusNCHW: Double { harness.pairedRatio(to: torchNCHW) }
    public var versusChannelsLast: Double { harness.pairedRatio(to: torchChannelsLast) }
    /// Images per second per GFLOP/s of GEMM peak, median over paired runs.
    public var imagesPerSecondPerPeakGFLOPS: Double { harness.pairedRatio(to: gemmPeaks) }

    /// Against the faster torch setting of each pair.
    public var versusBest: Double {
        let best = RepeatedMeasurement(zip(torchNCHW.values, torchChannelsLast.values).map { max($0, $1) })
        return harness.pairedRatio(to: best)
    }
}

/// Where one profiled training run's time went, per step.
public struct Breakdown: Codable, Sendable {
    public struct Row: Codable, Sendable {
        public var stage: String
        /// Milliseconds per step in each phase (0 where the stage has no such phase).
        public var forward: Double
        public var backwardData: Double
        public var backwardWeights: Double
        public var other: Double
        /// Forward FLOPs per image (learnable layers only; 0 otherwise).
        public var forwardFLOPs: Double
        /// oneDNN's implementation per phase, e.g. "forward jit:avx2, backward-weights gemm:jit".
        public var kernels: String
        public var total: Double { forward + backwardData + backwardWeights + other }
    }

    public var batch: Int
    public var steps: Int
    /// Wall time of the profiled run, per step, in milliseconds.
    public var wallPerStep: Double
    public var rows: [Row]

    /// From the profiles of several runs of `steps` steps each: every figure is the median over
    /// the runs, so one disturbed run does not move the breakdown.
    public init(batch: Int, steps: Int, seconds: [Double], profiles: [StepProfile], network: Network) {
        let spec = network.spec
        let implementations = network.kernelImplementations
        self.batch = batch
        self.steps = steps
        wallPerStep = RepeatedMeasurement(seconds).median / Double(steps) * 1000
        let flops = Dictionary(uniqueKeysWithValues: ((try? spec.forwardFLOPs()) ?? []).map { ($0.layer, $0.flops) })
        var order: [String] = []
        for p in profiles { for e in p.entries where !order.contains(e.stage) { order.append(e.stage) } }
        let perStep = { (stage: String, phase: StepProfile.Phase) in
            RepeatedMeasurement(profiles.map { $0.seconds(stage, phase) }).median / Double(steps) * 1000
        }
        rows = order.map { stage in
            Row(stage: stage, forward: perStep(stage, .forward), backwardData: perStep(stage, .backwardData),
                backwardWeights: perStep(stage, .backwardWeights), other: perStep(stage, .step), forwardFLOPs: flops[stage] ?? 0,
                kernels: Self.describe(implementations.filter { $0.layer == stage }.map { ($0.phase, $0.implementation) }))
        }
    }

    /// "jit:avx2" when every phase uses one implementation, else "forward jit:avx2, backward-weights gemm:jit".
    static func describe(_ kernels: [(StepProfile.Phase, String)]) -> String {
        let names = Set(kernels.map(\.1))
        if names.count <= 1 { return names.first ?? "" }
        return kernels.map { "\($0.0.rawValue) \($0.1)" }.joined(separator: ", ")
    }

    /// GFLOP/s of a learnable layer's phase in this run (nil for a phase it did not run).
    public func gflops(_ row: Row, milliseconds: Double) -> Double? {
        guard row.forwardFLOPs > 0, milliseconds > 0 else { return nil }
        return row.forwardFLOPs * Double(batch) / (milliseconds / 1000) / 1e9
    }
}

/// The whole comparison on both sides, cold: wall time, peak memory, where the time went and
/// the accuracies each side got (the same protocol should give about the same answers).
public struct ComparisonRace: Codable, Sendable {
    public var protocolArguments: String
    public var harnessSeconds: [Double] = []
    public var torchSeconds: [Double] = []
    /// The harness again with the source network in its cache (as for a user's second comparison
    /// on the same classes); every cell reruns. The PyTorch script has no cache to use.
    public var harnessWarmSeconds: [Double] = []
    public var harnessPeakBytes = 0
    public var torchPeakBytes = 0
    public var harnessAccuracy: [String: Double] = [:]
    public var torchAccuracy: [String: Double] = [:]
    /// Seconds of the last run per stage: "source network", then each strategy over all its
    /// seeds (for the harness, the sum of its cells' times; cells may overlap in wall time).
    public var harnessStages: [String: Double] = [:]
    public var torchStages: [String: Double] = [:]

    public init(protocolArguments: String) { self.protocolArguments = protocolArguments }

    /// How many times faster the harness was: median of torch/harness over paired runs.
    public var speedup: Double { RepeatedMeasurement(torchSeconds).pairedRatio(to: RepeatedMeasurement(harnessSeconds)) }

    /// The same with the harness's source network cached.
    public var warmSpeedup: Double? {
        harnessWarmSeconds.count == torchSeconds.count && !torchSeconds.isEmpty
            ? RepeatedMeasurement(torchSeconds).pairedRatio(to: RepeatedMeasurement(harnessWarmSeconds)) : nil
    }

    /// Adds one pair of runs: `harness compare --format json` (stdout, and its log on stderr)
    /// and bench/torch_compare.py's JSON line.
    public mutating func record(harness: MeasuredRun, torch: MeasuredRun) {
        harnessSeconds.append(harness.seconds)
        torchSeconds.append(torch.seconds)
        harnessPeakBytes = max(harnessPeakBytes, harness.peakResidentBytes)
        torchPeakBytes = max(torchPeakBytes, torch.peakResidentBytes)
        (harnessAccuracy, harnessStages) = Self.parseHarness(output: harness.output, log: harness.log)
        (torchAccuracy, torchStages) = Self.parseTorch(output: torch.output)
    }

    static func parseHarness(output: String, log: String) -> (accuracy: [String: Double], stages: [String: Double]) {
        var accuracy: [String: Double] = [:], stages: [String: Double] = [:]
        // `harness compare --format json`: {"comparisons": [{"rows": [...]}]} (ResultsExport).
        if let start = output.firstIndex(of: "{"),
           let doc = try? JSONSerialization.jsonObject(with: Data(output[start...].utf8)) as? [String: Any],
           let comparisons = doc["comparisons"] as? [[String: Any]] {
            for row in comparisons.flatMap({ $0["rows"] as? [[String: Any]] ?? [] }) {
                guard let name = row["strategy"] as? String else { continue }
                if let mean = row["accuracy_mean"] as? Double { accuracy[name] = mean }
                if let mean = row["mean_seconds"] as? Double, let seeds = row["seeds"] as? [Any] { stages[name] = mean * Double(seeds.count) }
            }
        }
        // "source network: 90.54% test accuracy on its own classes (trained in 84.1 s)"
        for line in log.split(separator: "\n") where line.hasPrefix("source network:") {
            if let open = line.range(of: "(trained in "), let seconds = Double(line[open.upperBound...].prefix { $0 != " " }) {
                stages["source network"] = seconds
            }
        }
        return (accuracy, stages)
    }

    static func parseTorch(output: String) -> (accuracy: [String: Double], stages: [String: Double]) {
        guard let line = output.split(separator: "\n").last,
              let doc = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return ([:], [:]) }
        let accuracy = (doc["accuracy"] as? [String: [Double]] ?? [:]).mapValues { $0.reduce(0, +) / Double(max($0.count, 1)) }
        var stages = doc["strategy_seconds"] as? [String: Double] ?? [:]
        if let s = doc["seconds"] as? [String: Double], let source = s["source network"] { stages["source network"] = source }
        return (accuracy, stages)
    }
}
