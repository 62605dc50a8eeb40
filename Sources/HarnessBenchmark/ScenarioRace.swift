// The whole real-scenario comparison, cold, against PyTorch (issue 27, item 5): the pretrained-
// backbone scenario of scripts/pretrained-scenario.sh (EfficientNet-Lite0 with its ImageNet
// weights, every strategy that keeps the backbone and training from scratch, on Fashion-MNIST's
// ten classes enlarged to SIZE px) as `harness compare` runs it, and as bench/torch_scenario.py
// runs the same strategies the way a PyTorch user would: a fresh network per strategy and seed,
// the frozen layers run forward in every step. Both in fresh processes, measured whole (wall
// time and the peak memory of the process tree); the accuracies are printed beside the times so
// that a fast side that learned less shows.
import Foundation

public struct ScenarioCase: Codable, Sendable {
    public var description: String
    public var strategies: [String]
    public var harnessSeconds: [Double] = []
    public var torchSeconds: [Double] = []
    public var harnessPeakBytes = 0
    public var torchPeakBytes = 0
    /// Mean test accuracy over the seeds of the last run, per strategy (scratch included).
    public var harnessAccuracy: [String: Double] = [:]
    public var torchAccuracy: [String: Double] = [:]
    /// Seconds per strategy over all seeds, last run (the harness's are its cells' own times,
    /// which overlap when two workers run side by side).
    public var harnessStrategySeconds: [String: Double] = [:]
    public var torchStrategySeconds: [String: Double] = [:]

    /// PyTorch's time over the harness's, the median of paired runs.
    public var speedup: Double { RepeatedMeasurement(torchSeconds).pairedRatio(to: RepeatedMeasurement(harnessSeconds)) }
    /// Peak memory, harness over PyTorch (the largest of each side's runs).
    public var memoryRatio: Double { torchPeakBytes > 0 ? Double(harnessPeakBytes) / Double(torchPeakBytes) : 0 }
}

public struct ScenarioRace {
    /// Every strategy of scripts/pretrained-scenario.sh; the harness adds scratch as its baseline,
    /// the PyTorch script runs it by name.
    public static let strategies = ["svm-codes", "softmax-codes", "partial-ft", "bn-only", "bitfit", "surgical-first", "surgical-last", "lp-ft", "finetune"]

    public var size: Int
    public var perClass: Int
    public var evalPerClass: Int
    public var seeds: Int
    public var batch = 32
    /// Training budget overrides for a quick run (nil: the comparison defaults on both sides:
    /// 10 epochs or 300 steps, whichever is more).
    public var epochs: Int?
    public var minSteps: Int?
    public var repeats: Int
    public var threads: Int
    public var executable: String
    public var python: String
    public var script: String
    public var pythonPath: String
    /// EfficientNet-Lite0's ImageNet .pth and the IDX folder of the target (Fashion-MNIST's by
    /// default; both sides read them), with the data's name for the description.
    public var weights: String
    public var idx: String
    public var dataName = "Fashion-MNIST"
    /// The strategies.json the harness side reads (the repository's; nil: the harness looks
    /// beside its sources, which a copied binary cannot).
    public var config: String?

    public init(size: Int, perClass: Int, evalPerClass: Int, seeds: Int, repeats: Int, threads: Int, executable: String,
                python: String, script: String, pythonPath: String, weights: String, idx: String) {
        (self.size, self.perClass, self.evalPerClass, self.seeds, self.repeats, self.threads) = (size, perClass, evalPerClass, seeds, repeats, threads)
        (self.executable, self.python, self.script, self.pythonPath, self.weights, self.idx) = (executable, python, script, pythonPath, weights, idx)
    }

    /// The options both sides share, by their common names.
    private var budget: [String] {
        (epochs.map { ["--epochs", "\($0)"] } ?? []) + (minSteps.map { ["--min-steps", "\($0)"] } ?? [])
    }

    public func run(scratch: URL, log: (String) -> Void) throws -> ScenarioCase {
        let model = try ImportedLite0.model(size: size, weights: weights, executable: executable, scratch: scratch, log: log)
        let budgetText = epochs == nil && minSteps == nil ? "10 epochs or 300 steps, whichever is more" : budget.joined(separator: " ")
        var result = ScenarioCase(
            description: "EfficientNet-Lite0 (ImageNet weights) transferred to every class of \(dataName) at \(size)x\(size), \(perClass) training "
                + "images per class, \(evalPerClass) test images per class, \(seeds) seed\(seeds == 1 ? "" : "s"), batch \(batch), \(budgetText): "
                + "scratch and \(Self.strategies.joined(separator: ", "))",
            strategies: ["scratch"] + Self.strategies)
        for r in 1...repeats {
            let runDir = scratch.appendingPathComponent("scenario-run-\(r)")
            try FileManager.default.createDirectory(at: runDir, withIntermediateDirectories: true)
            log("scenario race \(r)/\(repeats): harness compare, \(Self.strategies.count + 1) strategies x \(seeds) seeds (empty caches)")
            // Cold: a database and caches of its own (decoded images, source features, prefixes).
            let mine = try MeasuredProcess.run(
                executable, ["compare", "--source-model", model, "--target", idx, "--target-per-class", "\(perClass)",
                             "--eval-per-class", "\(evalPerClass)", "--strategies", Self.strategies.joined(separator: ","), "--batch", "\(batch)",
                             "--seeds", "\(seeds)", "--threads", "\(threads)", "--db", runDir.appendingPathComponent("r.sqlite").path,
                             "--format", "json"] + budget + (config.map { ["--config", $0] } ?? []),
                environment: ["HARNESS_CACHE_DIR": runDir.appendingPathComponent("cache").path], directory: runDir.path,
                log: scratch.appendingPathComponent("scenario-harness.log"))
            guard mine.status == 0 else { throw BenchmarkError("the harness side of the scenario race failed (exit \(mine.status)):\n" + mine.log.suffix(1500)) }
            log("scenario race \(r)/\(repeats): bench/torch_scenario.py, the same strategies in PyTorch")
            let theirs = try MeasuredProcess.run(
                python, [script, "--data", idx, "--weights", weights, "--size", "\(size)", "--per-class", "\(perClass)", "--eval-per-class", "\(evalPerClass)",
                         "--seeds", "\(seeds)", "--batch", "\(batch)", "--threads", "\(threads)",
                         "--strategies", (["scratch"] + Self.strategies).joined(separator: ",")] + budget,
                environment: ["PYTHONPATH": pythonPath], log: scratch.appendingPathComponent("scenario-torch.log"))
            guard theirs.status == 0 else { throw BenchmarkError("the PyTorch side of the scenario race failed (exit \(theirs.status)):\n" + theirs.log.suffix(1500)) }
            result.harnessSeconds.append(mine.seconds)
            result.torchSeconds.append(theirs.seconds)
            result.harnessPeakBytes = max(result.harnessPeakBytes, mine.peakResidentBytes)
            result.torchPeakBytes = max(result.torchPeakBytes, theirs.peakResidentBytes)
            (result.harnessAccuracy, result.harnessStrategySeconds) = ComparisonRace.parseHarness(output: mine.output, log: "")
            (result.torchAccuracy, result.torchStrategySeconds) = ComparisonRace.parseTorch(output: theirs.output)
            let missing = result.strategies.filter { result.harnessAccuracy[$0] == nil || result.torchAccuracy[$0] == nil }
            guard missing.isEmpty else {
                throw BenchmarkError("the scenario race's results lack \(missing.joined(separator: ", ")): harness rows \(result.harnessAccuracy.keys.sorted()), "
                                     + "PyTorch rows \(result.torchAccuracy.keys.sorted())")
            }
            log(String(format: "scenario race %d/%d: harness %.1f s (peak %.2f GiB), PyTorch %.1f s (peak %.2f GiB)", r, repeats,
                       mine.seconds, Double(mine.peakResidentBytes) / 1_073_741_824, theirs.seconds, Double(theirs.peakResidentBytes) / 1_073_741_824))
        }
        return result
    }
}

/// EfficientNet-Lite0's ImageNet weights imported at one input size, once per bench (the photo
/// and scenario races share the file in the bench's scratch folder).
enum ImportedLite0 {
    static func model(size: Int, weights: String, executable: String, scratch: URL, log: (String) -> Void) throws -> String {
        let model = scratch.appendingPathComponent("lite0-\(size).safetensors").path
        guard !FileManager.default.fileExists(atPath: model) else { return model }
        log("importing EfficientNet-Lite0's ImageNet weights at \(size)x\(size)")
        // The port's normalisation (TensorFlow's), and the gray garments stretched to the input, as scripts/pretrained-scenario.sh does.
        let run = try MeasuredProcess.run(executable, ["import", weights, "--network", "efficientnet_lite0", "--input", "3x\(size)x\(size)",
                                                       "--mean", "0.498,0.498,0.498", "--std", "0.502,0.502,0.502", "--framing", "stretch", "--out", model],
                                          log: scratch.appendingPathComponent("import-\(size).log"))
        guard run.status == 0 else { throw BenchmarkError("harness import of EfficientNet-Lite0 at \(size) px failed (exit \(run.status)):\n" + run.log.suffix(1500)) }
        return model
    }
}
