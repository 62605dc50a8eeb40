// Runs one cell in this process: what a worker does. The plugin runs here too; a crash takes
// this process down, which is why comparisons run every cell in a worker process of its own.
import Foundation
import HarnessMetrics
import HarnessData
import HarnessEngine
import StrategyHost

public enum CellRunner {
    public static func run(_ cell: Cell, log: @escaping (String) -> Void = { _ in }) -> CellResult {
        let start = Date()
        do {
            // Every kernel of this cell (features and predictions too) in its precision.
            try cell.training.precision.apply()
            let saved = try SavedModel.read(from: cell.sourceNetwork)
            var data = try cell.setting.loadTarget(seed: cell.seed)
            guard data.test.count > 0 else { throw DataError.mismatch("the target has no test images to score on") }
            guard InputShape(data.train) == saved.inputShape else {
                throw DataError.mismatch("the target's images are \(InputShape(data.train)) but \(cell.sourceNetwork) takes \(saved.inputShape)")
            }
            // Inputs as the source network saw them: the comparison's statistics, which are the
            // source network's (older cells: the saved network's).
            let stats = cell.setting.normalization ?? saved.normalization ?? data.train.channelStatistics()
            data.train.normalize(stats)
            data.test.normalize(stats)
            // A domain-shift scenario: most target training images lose their labels, and the
            // source's labelled images come along.
            var unlabelled: ImageSet?, sourceImages: ImageSet?
            if let k = cell.setting.targetLabels {
                let parts = data.train.labelledSplit(perClass: k, seed: cell.seed)
                unlabelled = data.train.subset(parts.unlabelled)
                data.train = data.train.subset(parts.labelled)
                var source = try cell.setting.loadSourceImages(seed: cell.seed)
                source.normalize(stats)
                sourceImages = source
            }

            let plugin = try StrategyPlugin(path: cell.pluginPath)
            if let planned = cell.pluginHash, plugin.info.contentHash != planned {
                throw CellError.pluginChanged(path: cell.pluginPath)
            }
            let strategy = try ConfiguredStrategy(cell.strategyConfiguration, plugin: plugin)

            // Validation images leave the training images (unless this is a refit on both) and
            // join the test images as unlabelled evaluation images, in one shuffled set: the
            // strategy cannot tell them apart, and the host scores each part on its own.
            var train = data.train, validation = data.train.subset([])
            if let split = cell.setting.validation, cell.refit != true, data.train.count > 0 {
                let parts = data.train.validationSplit(split, seed: cell.seed)
                train = data.train.subset(parts.train)
                validation = data.train.subset(parts.validation)
            }
            var curve: [EpochRecord] = []
            var trainable = 0
            let training = cell.training
            var task = TransferTask(source: saved.network, train: train, eval: validation.appending(data.test), classes: data.classCount,
                                    seed: cell.seed, training: training)
            task.unlabelled = unlabelled
            task.sourceTrain = sourceImages
            task.sourceClasses = sourceImages == nil ? 0 : data.classCount
            if cell.setting.earlyStopping == true, validation.count > 0 { task.earlyStopping = validation }
            task.prefixCache = cell.prefixCache
            if training.learningRate != cell.setting.training.learningRate {
                task.rateOrigin = "the lr of '\(cell.configuration)' in strategies.json (this cell's is \(training.learningRate))"
            }
            var kept: [Int] = []
            var model: StrategyModel?
            let predictions = try strategy.run(task, log: log, trained: { network, report in
                curve += report.epochs
                trainable = network.trainableParameterCount
                if let k = report.keptEpoch { kept.append(k) }
            }, model: cell.modelFile == nil ? nil : { model = $0 })
            let metrics = ClassificationMetrics(predictions: Array(predictions[validation.count...]), labels: data.test.labels, classCount: data.classCount)
            let validated = validation.count == 0 ? nil
                : ClassificationMetrics(predictions: Array(predictions[..<validation.count]), labels: validation.labels, classCount: data.classCount)
            var result = CellResult(key: cell.key, status: .ok, error: nil, metrics: metrics, validation: validated,
                                    seconds: Date().timeIntervalSince(start), trainableParameters: trainable, curve: curve)
            result.keptEpochs = kept.isEmpty ? nil : kept
            if let path = cell.modelFile, let model {
                (result.modelFile, result.modelNote) = save(model, of: cell, to: path, classNames: data.classNames, normalization: stats,
                                                            testAccuracy: metrics.accuracy)
            }
            return result
        } catch {
            return .failure(cell.key, "\(error)", seconds: Date().timeIntervalSince(start))
        }
    }
}

extension CellRunner {
    /// Writes the network behind a cell's predictions as a harness model (its spec, weights,
    /// class names, normalisation and framing: all `harness eval` needs), with the cell it came
    /// from in the metadata. A model that cannot be written leaves the cell's result standing.
    static func save(_ model: StrategyModel, of cell: Cell, to path: String, classNames: [String], normalization: Normalization,
                     testAccuracy: Double) -> (file: String?, note: String?) {
        guard case let .network(network) = model else {
            if case let .unavailable(why) = model { return (nil, "no model saved: \(why)") }
            return (nil, nil)
        }
        let made: [String: Any] = ["comparison": cell.setting.id, "configuration": cell.configuration, "strategy": cell.strategy,
                                   "seed": cell.seed, "trial": cell.trial ?? 0, "refit": cell.refit ?? false, "cell_key": cell.key,
                                   "test_accuracy": testAccuracy, "precision": cell.training.precision.rawValue]
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let json = String(decoding: try JSONSerialization.data(withJSONObject: made, options: [.sortedKeys]), as: UTF8.self)
            try SavedModel(network: network, classNames: classNames, normalization: normalization, framing: cell.setting.framing ?? .stretch,
                           metadata: ["harness_cell": json]).write(to: path)
            return (path, nil)
        } catch {
            return (nil, "no model saved: writing \(path) failed: \(error)")
        }
    }
}

enum CellError: Error, CustomStringConvertible {
    case pluginChanged(path: String)

    var description: String {
        switch self {
        case let .pluginChanged(path):
            return "\(path) changed after the comparison was planned (rebuilt?). help: run the comparison again; it keys cells by the file's content"
        }
    }
}
