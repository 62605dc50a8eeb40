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

    public var name: String { "\(network) \(training ? "train" : "infer") \(size)px batch \(batch)" }
    /// harness / PyTorch, the median of paired runs.
    public var ratio: Double { harness.pairedRatio(to: torch) }
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
    func arguments(_ network: Architecture, training: Bool) -> [String] {
        ["--network", network.rawValue, "--size", "\(size)", "--batch", "\(batch)", "--steps", "\(steps)", "--warmup", "\(warmup)",
         "--op", training ? "train" : "infer", "--threads", "\(threads)"]
    }

    public func run(scratch: URL, log: (String) -> Void) throws -> [BackboneCase] {
        var cases: [BackboneCase] = []
        for network in networks {
            for training in [true, false] {
                var c = BackboneCase(network: network.rawValue, size: size, batch: batch, training: training,
                                     harness: RepeatedMeasurement([]), torch: RepeatedMeasurement([]), harnessPeakBytes: 0, torchPeakBytes: 0)
                if training { c.harnessAugmented = RepeatedMeasurement([]) }
                for r in 1...repeats {
                    let mine = try side("harness", executable, ["bench-backbone"] + arguments(network, training: training), scratch: scratch)
                    let theirs = try side("PyTorch", python, [script] + arguments(network, training: training), scratch: scratch)
                    c.harness.values.append(mine.throughput.imagesPerSecond)
                    c.torch.values.append(theirs.throughput.imagesPerSecond)
                    c.harnessPeakBytes = max(c.harnessPeakBytes, mine.peak)
                    if training {
                        let augmented = try side("harness", executable, ["bench-backbone"] + arguments(network, training: true) + ["--augment", "crop+flip"], scratch: scratch)
                        c.harnessAugmented?.values.append(augmented.throughput.imagesPerSecond)
                    }
                    c.torchPeakBytes = max(c.torchPeakBytes, theirs.peak)
                    log(String(format: "%@: run %d/%d: harness %.1f images/s (peak %.2f GiB), PyTorch %.1f images/s (peak %.2f GiB)",
                               c.name, r, repeats, c.harness.values.last!, Double(mine.peak) / 1_073_741_824,
                               c.torch.values.last!, Double(theirs.peak) / 1_073_741_824))
                }
                cases.append(c)
            }
        }
        return cases
    }

    private func side(_ who: String, _ executable: String, _ arguments: [String], scratch: URL) throws -> (throughput: Throughput, peak: Int) {
        let run = try MeasuredProcess.run(executable, arguments, environment: ["PYTHONPATH": pythonPath],
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
                                  augmentation: Augmentation = .none) throws -> Throughput {
        let spec = try NetworkChoice.named(network).spec(classes: 1000, shape: InputShape(channels: 3, height: size, width: size))
        let count = (warmup + steps) * batch, imageSize = 3 * size * size
        var generator = SeededGenerator(seed: 1, stream: "bench-backbone")
        let pixels = (0..<(count * imageSize)).map { _ in Float.random(in: -2...2, using: &generator) }
        let labels = (0..<count).map { _ in Int.random(in: 0..<1000, using: &generator) }
        let data = ImageSet(channels: 3, height: size, width: size, pixels: pixels, labels: labels)
        let net = try Network(spec: spec, seed: 1)
        return training
            ? try EngineBenchmark.training(net, on: data, batch: batch, steps: steps, warmup: warmup, augmentation: augmentation)
            : EngineBenchmark.inference(net, on: data, batch: batch, steps: steps, warmup: warmup)
    }
}
