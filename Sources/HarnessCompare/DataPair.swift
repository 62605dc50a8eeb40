// What a comparison transfers between: a source and a target data SPEC. The one-data-set
// shorthand (--dataset/--data with --split or explicit classes) is written as the two halves'
// SPECs (`fashion-mnist:0,2,4,6,8`), so both ways load alike.
import Foundation
import HarnessData

public struct DataPair: Sendable {
    /// The source network's data (nil: only a --source-model is given).
    public var source: DataSpec?
    public var target: DataSpec
    /// How the classes were split, for tables: "specs", "explicit", "random(seed 1)", "dissimilar".
    public var splitName: String

    public init(source: DataSpec?, target: DataSpec, splitName: String) {
        self.source = source
        self.target = target
        self.splitName = splitName
    }

    /// How one data set's classes split into source (A) and target (B).
    public enum Split: Sendable {
        case random
        /// Fashion-MNIST's garments against footwear and bags.
        case dissimilar
        /// Class lists as --source-classes and --target-classes give them ("0,1,2").
        case explicit(source: String, target: String)

        var isDissimilar: Bool { if case .dissimilar = self { return true } else { return false } }

        /// The two halves of a data set with these classes, for the random and dissimilar splits
        /// (an explicit split names its classes, not halves: it is random here).
        public func halves(classNames: [String], seed: UInt64) throws -> ClassSplit {
            guard isDissimilar else { return .random(classCount: classNames.count, seed: seed) }
            guard classNames == FashionMNIST.classNames else {
                throw ComparisonError("--split dissimilar is defined for Fashion-MNIST's ten classes only; name the classes explicitly instead")
            }
            return .dissimilar
        }
    }

    /// One data set split in two by class, the split drawn by `seed` when random.
    public static func splitting(_ data: DataSource, by split: Split, seed: UInt64) throws -> DataPair {
        let name: String
        switch data {
        case .fashionMNIST: name = "fashion-mnist"
        case let .directory(path): name = URL(fileURLWithPath: path).standardizedFileURL.path
        }
        let classNames = try data.classNames()
        let empty = ImageSet(channels: 1, height: 1, width: 1, pixels: [], labels: [])
        let dataset = Dataset(name: name, classNames: classNames, train: empty, test: empty)
        let a: [Int], b: [Int], splitName: String
        switch split {
        case let .explicit(source, target):
            a = try ClassSelection(source).classes(in: dataset, split: .random(classCount: dataset.classCount, seed: 0))
            b = try ClassSelection(target).classes(in: dataset, split: .random(classCount: dataset.classCount, seed: 0))
            guard Set(a).isDisjoint(with: b) else {
                throw ComparisonError("--source-classes and --target-classes share classes \(Set(a).intersection(b).sorted())")
            }
            splitName = "explicit"
        case .dissimilar, .random:
            let halves = try split.halves(classNames: classNames, seed: seed)
            (a, b, splitName) = (halves.a, halves.b, split.isDissimilar ? "dissimilar" : "random(seed \(seed))")
        }
        func spec(_ classes: [Int]) throws -> DataSpec { try DataSpec(name + ":" + classes.map(String.init).joined(separator: ",")) }
        return DataPair(source: try spec(a), target: try spec(b), splitName: splitName)
    }
}
