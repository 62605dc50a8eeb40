import Foundation
import HarnessSupport

// Which classes a task uses. Yosinski et al. split the classes into two disjoint halves A and B
// at random; a network trained on A is the source, B the target. Labels are re-indexed within
// the chosen classes, in the order the classes are listed.

public struct ClassSplit: Equatable, Sendable {
    public var a: [Int]
    public var b: [Int]
    public var name: String

    /// Two disjoint halves chosen at random by seed (A gets the extra class when odd).
    public static func random(classCount: Int, seed: UInt64) -> ClassSplit {
        var generator = SeededGenerator(seed: seed, stream: "class-split")
        let shuffled = Array(0..<classCount).shuffled(using: &generator)
        let half = (classCount + 1) / 2
        return ClassSplit(a: shuffled.prefix(half).sorted(), b: shuffled.dropFirst(half).sorted(), name: "random(seed \(seed))")
    }

    /// Fashion-MNIST's garments (A) against footwear and bags (B).
    public static let dissimilar = ClassSplit(a: FashionMNIST.garments, b: FashionMNIST.footwearAndBags, name: "dissimilar")
}

/// `--classes all|A|B|0,3,7`, resolved against a data set and split.
public enum ClassSelection: Equatable, Sendable {
    case all, a, b
    case explicit([Int])

    public init(_ text: String) throws {
        switch text.lowercased() {
        case "all": self = .all
        case "a": self = .a
        case "b": self = .b
        default:
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let numbers = parts.compactMap { Int($0) }
            guard numbers.count == parts.count, !numbers.isEmpty else {
                throw DataError.badClassSelection("--classes takes all, A, B or a list of class numbers like 0,3,7; got '\(text)'")
            }
            guard Set(numbers).count == numbers.count else {
                throw DataError.badClassSelection("--classes lists a class twice: '\(text)'")
            }
            self = .explicit(numbers)
        }
    }

    public func classes(in dataset: Dataset, split: ClassSplit) throws -> [Int] {
        switch self {
        case .all: return Array(0..<dataset.classCount)
        case .a: return split.a
        case .b: return split.b
        case let .explicit(list):
            if let bad = list.first(where: { $0 < 0 || $0 >= dataset.classCount }) {
                throw DataError.badClassSelection("class \(bad) does not exist: \(dataset.name) has classes 0 to \(dataset.classCount - 1)")
            }
            guard list.count >= 2 else { throw DataError.badClassSelection("a task needs at least two classes") }
            return list
        }
    }
}

extension Dataset {
    /// Only the images of `classes`, relabelled 0..<classes.count in the given order.
    public func restricted(to classes: [Int]) -> Dataset {
        let newLabel = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        func pick(_ set: ImageSet) -> ImageSet {
            var s = set.subset(set.labels.indices.filter { newLabel[set.labels[$0]] != nil })
            s.labels = s.labels.map { newLabel[$0]! }
            return s
        }
        return Dataset(name: name, classNames: classes.map { classNames[$0] }, train: pick(train), test: pick(test))
    }
}
