// `harness eval`: measure a saved network on a data set's test images.
import ArgumentParser
import Foundation
import HarnessCore

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a saved network (from harness train --out) on test images.")

    @Option(help: ArgumentHelp("The saved network (safetensors).", valueName: "file"))
    var model: String

    @Option(help: ArgumentHelp("The data to evaluate on, as a SPEC (replaces --dataset, --data and --classes); its images are brought to the network's input. \(TransferOptions.specHelp)", valueName: "spec"))
    var target: String?

    @Flag(help: "Leave out image files that cannot be decoded (counted in the output) instead of stopping.")
    var skipUndecodable = false

    @Option(help: ArgumentHelp("Write the predicted class of every test image, in data order, as a JSON array.", valueName: "file"))
    var predictions: String?

    @OptionGroup var data: DataOptions
    @OptionGroup var execution: RunOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("Seed for --test-per-class subsampling (1: the images harness train --test-per-class draws at its default seed; "
                  + "0: those a comparison's --eval-per-class draws)."))
    var seed: UInt64 = 1

    func validate() throws {
        _ = try parsedSpec(target)
    }

    func run() throws {
        execution.apply()
        let saved = try SavedModel.read(from: model)
        if saved.framing != .stretch { note("images framed as \(model) expects: \(saved.framing.caption(saved.inputShape))") }
        var dataset = try data.loadUnnormalized(seed: seed, spec: try parsedSpec(target), shape: saved.inputShape, framing: saved.framing, skipUndecodable: skipUndecodable)
        // A folder of photos for an ImageNet classifier: its classes are not the network's, so
        // there is no accuracy to give, only what the network predicts (--predictions).
        let scoreable = dataset.classCount == saved.network.classes
        guard scoreable || predictions != nil else {
            throw CLIError("\(model) classifies \(saved.network.classes) classes but the selected data has \(dataset.classCount); "
                           + "pick the classes it was trained on (e.g. --target DATA:0-\(saved.network.classes - 1))")
        }
        // Normalise as in training: with the saved statistics, not this data's.
        if let n = saved.normalization {
            dataset.test.normalize(n)
        } else {
            dataset.normalizeWithTrainingStatistics()
        }
        let start = Date()
        let predicted = saved.network.predict(dataset.test)
        let seconds = Date().timeIntervalSince(start)
        if let predictions {
            try JSONEncoder().encode(predicted).write(to: URL(fileURLWithPath: predictions))
        }
        guard scoreable else {
            print("wrote the predicted class of \(predicted.count) images to \(predictions!); no accuracy: the data has \(dataset.classCount) classes "
                  + "(\(dataset.classNames.joined(separator: ", "))) and \(model) classifies \(saved.network.classes)")
            return
        }
        let metrics = ClassificationMetrics(predictions: predicted, labels: dataset.test.labels, classCount: dataset.classCount)
        print(String(format: "test accuracy %.2f%% (macro-F1 %.4f) on %d images in %.2fs", metrics.accuracy * 100, metrics.macroF1, metrics.count, seconds))
        printPerClass(metrics, classNames: dataset.classNames)
        if execution.json {
            try printJSON(EvalResult(testAccuracy: metrics.accuracy, testError: metrics.error, macroF1: metrics.macroF1,
                                     seconds: seconds, imagesPerSecond: Double(metrics.count) / max(seconds, 1e-9),
                                     testImages: metrics.count, perClassAccuracy: metrics.perClassAccuracy, confusion: metrics.confusion))
        }
    }
}

struct EvalResult: Encodable {
    var testAccuracy: Double
    var testError: Double
    var macroF1: Double
    var seconds: Double
    var imagesPerSecond: Double
    var testImages: Int
    var perClassAccuracy: [Double]
    var confusion: [[Int]]
}
