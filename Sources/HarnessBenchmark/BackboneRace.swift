// Standard backbones at ImageNet size (issue 23, item 6): training and inference throughput of
// zoo networks (ResNet-18, EfficientNet-Lite0) at 224x224 against PyTorch's own modules
// (torchvision's ResNet, PyPI's efficientnet-lite-pytorch) on the same machine in the same run.
// Each side runs in a fresh process of its own, so each one's peak memory (its whole process
// tree, from outside) is its own; the sides alternate run by run and ratios are medians of
// paired runs. The images are random (throughput does not depend on them), 1000 classes.
import Foundation
import HarnessData
import HarnessEngine
import HarnessSupport

public struct BackboneCase: Codable, Sendable {
    public var network: String
    public var size: Int
    public var batch: Int
    public var training: Bool
    /// Images per second, one value per alternating run.
    public var harness: RepeatedMeasurement
    public var torch: RepeatedMeasurement
    /// The largest peak resident memory of any run of each side (its process tree).
    public var harnessPeakBytes: Int
    public var torchPeakBytes: Int
    /// Training only: the harness with augmentation (random resized crops and flips), one run
    /// beside each plain one; what augmenting costs.
    public var harnessAugmented: RepeatedMeasurement?

    /// fp32 or bf16 (nil in results stored before bf16: fp32).
    public var precision: String?
    /// Why the PyTorch side could not run this case (its last error line), when it could not:
    /// Debian's PyTorch 1.13 has no bf16 backward for ReLU6, so autocast cannot train EfficientNet-Lite.
    public var torchFailure: String?

    public var name: String { "\(network) \(training ? "train" : "infer") \(size)px batch \(batch)\(precision.map { " \($0)" } ?? "")" }
    /// harness / PyTorch, the median of paired runs (NaN when PyTorch could not run it).
    public var ratio: Double { torch.values.isEmpty ? .nan : harness.pairedRatio(to: torch) }
    /// Augmented over plain harness training, the median of paired runs.
    public var augmentedRatio: Double? { harnessAugmented.map { $0.pairedRatio(to: harness) } }
}

public struct BackboneRace {
    public var networks: [Architecture]
    public var size: Int
    public var batch: Int
    public var steps: Int
    public var warmup: Int
    public var repeats: Int
    public var threads: Int
    /// The harness binary (its hidden `bench-backbone` command is the engine's side).
    public var executable: String
    public var python: String
    public var script: String
    /// Where PyPI's efficientnet-lite-pytorch was unpacked (scripts/bootstrap.sh --bench).
    public var pythonPath: String
    /// Each case runs in each: bf16 against PyTorch's CPU autocast to bfloat16.
    public var precisions: [Precision] = [.fp32]

    public init(networks: [Architecture], size: Int, batch: Int, steps: Int, warmup: Int, repeats: Int, threads: Int,
                executable: String, python: String, script: String, pythonPath: String) {
        self.networks = networks
        self.size = size
        self.batch = batch
        self.steps = steps
        self.warmup = warmup
        self.repeats = repeats
        self.threads = threads
        self.executable = executable
        self.python = python
        self.script = script
        self.pythonPath = pythonPath
    }

    /// The arguments both sides take, so neither can measure something else.
    func arguments(_ network: Architecture, training: Bool, precision: Precision = .fp32) -> [String] {
        ["--network", network.rawValue, "--size", "\(size)", "--batch", "\(batch)", "--steps", "\(steps)", "--warmup", "\(warmup)",
         "--op", training ? "train" : "infer", "--threads", "\(threads)", "--precision", precision.rawValue]
    }

    public func run(scratch: URL, log: (String) -> Void) throws -> [BackboneCase] {
        var cases: [BackboneCase] = []
        for network in networks {
            for precision in precisions {
            for training in [true, false] {
                var c = BackboneCase(network: network.rawValue, size: size, batch: batch, training: training,
                                     harness: RepeatedMeasurement([]), torch: RepeatedMeasurement([]), harnessPeakBytes: 0, torchPeakBytes: 0)
                c.precision = precision.rawValue
                // Augmentation's cost is measured once, in fp32.
                if training && precision == .fp32 { c.harnessAugmented = RepeatedMeasurement([]) }
                for r in 1...repeats {
                    let mine = try side("harness", executable, ["bench-backbone"] + arguments(network, training: training, precision: precision), scratch: scratch)
                    c.harness.values.append(mine.throughput.imagesPerSecond)
                    c.harnessPeakBytes = max(c.harnessPeakBytes, mine.peak)
                    if c.torchFailure == nil {
                        do {
                            let theirs = try side("PyTorch", python, [script] + arguments(network, training: training, precision: precision), scratch: scratch)
                            c.torch.values.append(theirs.throughput.imagesPerSecond)
                            c.torchPeakBytes = max(c.torchPeakBytes, theirs.peak)
                        } catch let error as BenchmarkError where precision == .bf16 {
                            // PyTorch's autocast lacking an operation is a finding, not a failed bench.
                            c.torchFailure = error.lastLine
                            c.torch.values = []
                            log("\(c.name): PyTorch's side failed under autocast (\(c.torchFailure!)); the harness side is measured alone")
                        }
                    }
                    if c.harnessAugmented != nil {
                        let augmented = try side("harness", executable, ["bench-backbone"] + arguments(network, training: true) + ["--augment", "crop+flip"], scratch: scratch)
                        c.harnessAugmented?.values.append(augmented.throughput.imagesPerSecond)
                    }
                    log(String(format: "%@: run %d/%d: harness %.1f images/s (peak %.2f GiB), PyTorch %.1f images/s",
                               c.name, r, repeats, c.harness.values.last!, Double(mine.peak) / 1_073_741_824, c.torch.values.last ?? .nan))
                }
                cases.append(c)
            }
            }
        }
        return cases
    }

    /// One run of one side in a fresh process: its throughput line and its peak memory.
    func side(_ who: String, _ executable: String, _ arguments: [String], environment: [String: String] = [:],
              scratch: URL) throws -> (throughput: Throughput, peak: Int) {
        let run = try MeasuredProcess.run(executable, arguments, environment: environment.merging(["PYTHONPATH": pythonPath]) { $1 },
                                          log: scratch.appendingPathComponent("backbone-\(who).log"))
        guard run.status == 0, let line = run.output.split(separator: "\n").last,
              let throughput = try? JSONDecoder().decode(Throughput.self, from: Data(line.utf8)) else {
            throw BenchmarkError("the \(who) side of the backbone race failed (exit \(run.status)): \(executable) \(arguments.joined(separator: " "))\n"
                                 + run.log.suffix(1500))
        }
        return (throughput, run.peakResidentBytes)
    }

    /// The engine's side, run in the `bench-backbone` process: the zoo network with 1000 classes
    /// at size x size, trained (Trainer.train, the default hyperparameters) or run forward on
    /// random images after untimed warm-up batches.
    public static func engineSide(network: Architecture, size: Int, batch: Int, steps: Int, warmup: Int, training: Bool,
                                  augmentation: Augmentation = .none, precision: Precision = .fp32) throws -> Throughput {
        try precision.apply()
        let spec = try NetworkChoice.named(network).spec(classes: 1000, shape: InputShape(channels: 3, height: size, width: size))
        let count = (warmup + steps) * batch, imageSize = 3 * size * size
        var generator = SeededGenerator(seed: 1, stream: "bench-backbone")
        let pixels = (0..<(count * imageSize)).map { _ in Float.random(in: -2...2, using: &generator) }
        let labels = (0..<count).map { _ in Int.random(in: 0..<1000, using: &generator) }
        let data = ImageSet(channels: 3, height: size, width: size, pixels: pixels, labels: labels)
        let net = try Network(spec: spec, seed: 1)
        return training
            ? try EngineBenchmark.training(net, on: data, batch: batch, steps: steps, warmup: warmup, augmentation: augmentation, precision: precision)
            : EngineBenchmark.inference(net, on: data, batch: batch, steps: steps, warmup: warmup)
    }
}

extension BenchmarkError {
    /// The last non-empty line of the message (a Python traceback's error).
    var lastLine: String {
        description.split(separator: "\n").last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map(String.init) ?? description
    }
}
