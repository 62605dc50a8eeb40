// `harness train`: train a network (the default, another shipped one, or a spec file) on a data
// set and report test accuracy.
import ArgumentParser
import Foundation
import HarnessCore

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a network on a data set and report its test accuracy.",
        discussion: "Example: harness train --dataset fashion-mnist --classes all --epochs 10 --seed 1 --json")

    @Option(help: ArgumentHelp("The data to train on, as a SPEC (replaces --dataset, --data and --classes). \(TransferOptions.specHelp)", valueName: "spec"))
    var source: String?

    @OptionGroup var images: ImageInputOptions

    @OptionGroup var data: DataOptions
    @OptionGroup var training: TrainingOptions
    @OptionGroup var architecture: NetworkOptions
    @OptionGroup var execution: RunOptions

    @Option(help: ArgumentHelp("Save the trained network (safetensors) to this file.", valueName: "file"))
    var out: String?

    func validate() throws {
        _ = try parsedSpec(source)
    }

    func run() throws {
        execution.apply()
        let (dataset, normalization) = try data.load(seed: training.seed, spec: try parsedSpec(source),
                                                      shape: images.shape, skipUndecodable: images.skipUndecodable)
        let spec = try architecture.choice.spec(classes: dataset.classCount, shape: InputShape(dataset.train))
        let network = try Network(spec: spec, seed: training.seed, initializer: Initializer(training.initializer)!)
        let h = try training.hyperparameters
        note("training \(architecture.choice) on \(dataset.name): \(dataset.classCount) classes, \(dataset.train.count) training and \(dataset.test.count) test images, "
             + "\(h.epochs) epochs, batch \(h.batchSize), lr \(h.learningRate) (\(h.schedule)), \(EngineThreads.current) threads")

        let display = ProgressDisplay()
        let report = try Trainer.train(network, on: dataset.train, hyperparameters: h, seed: training.seed, progress: display.update)
        let predictions = network.predict(dataset.test)
        let metrics = ClassificationMetrics(predictions: predictions, labels: dataset.test.labels, classCount: dataset.classCount)

        if let out {
            try SavedModel(network: network, classNames: dataset.classNames, normalization: normalization,
                           metadata: ["dataset": source ?? dataset.name, "seed": "\(training.seed)"]).write(to: out)
            note("saved the network to \(out)")
        }
        print(String(format: "test accuracy %.2f%% (macro-F1 %.4f) on %d images; trained in %@ at %.0f images/s",
                     metrics.accuracy * 100, metrics.macroF1, metrics.count, duration(report.seconds), report.imagesPerSecond))
        printPerClass(metrics, classNames: dataset.classNames)
        if execution.json {
            try printJSON(TrainResult(testAccuracy: metrics.accuracy, testError: metrics.error, macroF1: metrics.macroF1,
                                      seconds: report.seconds, imagesPerSecond: report.imagesPerSecond,
                                      epochs: report.epochs, trainImages: dataset.train.count, testImages: metrics.count,
                                      classNames: dataset.classNames, perClassAccuracy: metrics.perClassAccuracy,
                                      threads: EngineThreads.current, seed: training.seed, model: out,
                                      onednn: EngineInfo.oneDNNVersion))
        }
    }
}

struct TrainResult: Encodable {
    var testAccuracy: Double
    var testError: Double
    var macroF1: Double
    var seconds: Double
    var imagesPerSecond: Double
    var epochs: [EpochRecord]
    var trainImages: Int
    var testImages: Int
    var classNames: [String]
    var perClassAccuracy: [Double]
    var threads: Int
    var seed: UInt64
    var model: String?
    var onednn: String
}

func printPerClass(_ metrics: ClassificationMetrics, classNames: [String]) {
    let width = classNames.map(\.count).max() ?? 0
    for (name, acc) in zip(classNames, metrics.perClassAccuracy) {
        print("  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + String(format: "  %6.2f%%", acc * 100))
    }
}

/// One JSON object on one line: the machine-readable result, always the last line of stdout.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.outputFormatting = [.sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
