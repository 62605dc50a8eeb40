// Rows stored before training hyperparameters were one value (database schema 0). Their cells'
// JSON has the setting's epochs, batch size and learning rate as flat fields and the cell's
// training as {learningRate, epochs, weightDecay, batchNorm}, and their keys hash printed text.
// Opening such a database upgrades every row once, in one transaction: the JSON to today's form
// and, for rows whose key is the one their cell had then, the key to today's, so a finished cell
// is found and never run again. The old key formulas live here and nowhere else.
import Foundation
import HarnessSupport
import HarnessData
import HarnessEngine

enum StoredRowMigration {
    /// The schema this harness writes (SQLite's user_version): 1 since hyperparameters became
    /// one value. A database of a higher version was written by a newer harness.
    static let schemaVersion: Int32 = 1

    /// A stored row, upgraded: its cell and result JSON in today's form, and its key (today's,
    /// when it was keyed by the formula of its time; unchanged otherwise).
    struct Upgraded {
        var key: String
        var settingKey: String?
        var cellJSON: String
        var resultJSON: String
    }

    /// The fields that changed form, and every number a key hashes, read exactly: Foundation's
    /// JSONSerialization, which reshapes the rest of the JSON, may parse a double an ulp away.
    private struct Exact: Decodable {
        struct Setting: Decodable {
            var epochs: Int
            var batchSize: Int
            var learningRate: Double
            var normalization: Normalization?
        }
        struct Training: Decodable {
            var learningRate: Double
            var epochs: Int
            var weightDecay: Double
            var batchNorm: BatchNormStatistics?
        }
        var setting: Setting
        var training: Training?
        var parameters: [String: ParameterValue]
    }

    /// Upgrades one row of schema 0; nil when its JSON is today's form already.
    static func upgrade(key: String, setting: String, cellJSON: String, resultJSON: String) throws -> Upgraded? {
        guard var cell = try JSONSerialization.jsonObject(with: Data(cellJSON.utf8)) as? [String: Any],
              var settingObject = cell["setting"] as? [String: Any], settingObject["learningRate"] != nil else { return nil }
        let exact = try HarnessJSON.decoder.decode(Exact.self, from: Data(cellJSON.utf8))
        // The setting's three flat fields become its hyperparameters.
        var comparison = Hyperparameters.defaults
        comparison.epochs = exact.setting.epochs
        comparison.batchSize = exact.setting.batchSize
        comparison.learningRate = exact.setting.learningRate
        for old in ["epochs", "batchSize", "learningRate"] { settingObject[old] = nil }
        settingObject["training"] = [String: Any]()
        cell["setting"] = settingObject
        // The cell's training choice (absent before protocol 4: the setting's) becomes its
        // hyperparameters; the batch size was always the setting's.
        var training = comparison
        if let t = exact.training {
            training.learningRate = t.learningRate
            training.epochs = t.epochs
            training.weightDecay = t.weightDecay
            training.batchNorm = t.batchNorm ?? .batch
        }
        cell["training"] = [String: Any]()

        var decoded = try HarnessJSON.decoder.decode(Cell.self, from: try JSONSerialization.data(withJSONObject: cell))
        decoded.setting.training = comparison
        decoded.setting.normalization = exact.setting.normalization
        decoded.training = training
        decoded.parameters = exact.parameters
        // Only a row keyed as its cell was keyed then is re-keyed; older protocols' rows keep
        // keys that no cell of today's has, as they always did.
        let current = legacyKey(decoded, training: exact.training == nil ? nil : training) == key
        var result = try HarnessJSON.decoder.decode(CellResult.self, from: Data(resultJSON.utf8))
        if current { result.key = decoded.key }
        return Upgraded(key: current ? decoded.key : key,
                        settingKey: setting == legacySettingKey(decoded.setting) ? decoded.setting.key : nil,
                        cellJSON: String(decoding: try HarnessJSON.encoder.encode(decoded), as: UTF8.self),
                        resultJSON: String(decoding: try HarnessJSON.encoder.encode(result), as: UTF8.self))
    }

    /// ComparisonSetting.key before schema 1.
    static func legacySettingKey(_ s: ComparisonSetting) -> String {
        let transfer = [s.source?.description ?? "", s.target?.description ?? "", s.sourceModel ?? "", s.inputShape?.description ?? "",
                        s.normalization.map { "\($0.mean)/\($0.std)" } ?? "", s.skipUndecodable == true ? "skip" : "",
                        s.validation.map { "validation \($0)" } ?? "", s.earlyStopping == true ? "early stopping" : ""]
            + (s.targetLabels.map { ["target labels \($0)"] } ?? [])
        let parts = [s.datasetFingerprint, s.splitName, "\(s.sourceClasses)", "\(s.targetClasses)", "\(s.targetPerClass ?? 0)",
                     "\(s.evalPerClass ?? 0)", "\(s.training.epochs)", "\(s.training.batchSize)", "\(s.training.learningRate)",
                     EngineInfo.engineVersion]
        return StableHash.of((parts + (s.target == nil ? [] : transfer)).joined(separator: "/"))
    }

    /// Cell.key before schema 1; `training` is the cell's stored training choice (nil: none).
    static func legacyKey(_ c: Cell, training: Hyperparameters?) -> String {
        // TrainingChoice's description: lr, epochs, weight_decay, and batch_norm unless "batch".
        let choice = training.map { t in
            ["lr=\(ParameterValue.double(t.learningRate))", "epochs=\(ParameterValue.int(t.epochs))",
             "weight_decay=\(ParameterValue.double(t.weightDecay))"]
                + (t.batchNorm == .batch ? [] : ["batch_norm=\(ParameterValue.string(t.batchNorm.rawValue))"])
        }?.joined(separator: ", ") ?? ""
        return StableHash.of([legacySettingKey(c.setting), c.configuration, c.strategy, c.pluginVersion, c.pluginHash ?? "", c.parameterSummary,
                              c.source.rawValue, c.sourceKey, "\(c.seed)", "protocol \(Cell.protocolVersion)", choice,
                              c.refit == true ? "refit" : ""].joined(separator: "/"))
    }
}
