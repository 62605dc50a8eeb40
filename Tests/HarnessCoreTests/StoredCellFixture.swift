import XCTest
@testable import HarnessCore
@testable import HarnessMetrics
@testable import StrategyHost
@testable import HarnessCompare

/// A stored cell as the database would return it: `accuracy` nil makes it a crashed cell.
func storedCell(_ configuration: String, seed: UInt64, accuracy: Double?) -> StoredCell {
    let setting = ComparisonSetting(data: .fashionMNIST(directory: nil), datasetName: "d", datasetFingerprint: "f", splitName: "s",
                                    sourceClasses: [0], targetClasses: [1, 2], targetPerClass: nil, evalPerClass: nil,
                                    training: .testing(epochs: 1, batch: 1, lr: 0.1))
    let plugin = PluginInfo(path: "", contentHash: "0", name: configuration, version: "1", summary: "", parameters: [])
    let binding = try! StrategyBinding(StrategyConfiguration(name: configuration, strategy: configuration, parameters: [], source: .base,
                                                             description: "", place: ""), plugin: plugin)
    let cell = Cell(setting: setting, binding: binding, sourceNetwork: "", sourceKey: "", seed: seed, threads: 1)
    let result: CellResult
    if let accuracy {
        let correct = Int((accuracy * 100).rounded())
        let metrics = ClassificationMetrics(predictions: Array(repeating: 0, count: correct) + Array(repeating: 1, count: 100 - correct),
                                            labels: Array(repeating: 0, count: 100), classCount: 2)
        result = CellResult(key: cell.key, status: .ok, error: nil, metrics: metrics, validation: nil, seconds: 1, trainableParameters: 10, curve: [])
    } else {
        result = .failure(cell.key, "crashed: signal 11 (Segmentation fault)", seconds: 1)
    }
    return StoredCell(cell: cell, result: result, finishedAt: "")
}

