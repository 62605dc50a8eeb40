// The validation images: held out of the target's training images, per class and by seed, so
// that hyperparameters can be chosen on data the strategy never trained on and the test images
// are never looked at for a choice. Strategies see validation images only as unlabelled
// evaluation images, mixed with the test images; the host scores the two apart.
import Foundation
import HarnessSupport

public enum ValidationSplit: Codable, Equatable, Sendable, CustomStringConvertible {
    /// K images of every class.
    case perClass(Int)
    /// A fraction of every class's training images.
    case fraction(Double)

    /// The default: a fifth of the per-class budget.
    public static let standard = ValidationSplit.fraction(0.2)

    /// Parses "20" (images per class), "0.2" or "20%" (a fraction); "0" turns validation off (nil).
    public init?(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.hasSuffix("%"), let p = Double(t.dropLast()), p >= 0, p < 100 {
            self = .fraction(p / 100)
        } else if let k = Int(t), k >= 0 {
            self = .perClass(k)
        } else if let f = Double(t), f >= 0, f < 1 {
            self = .fraction(f)
        } else {
            return nil
        }
    }

    public var isEmpty: Bool {
        switch self {
        case let .perClass(k): return k == 0
        case let .fraction(f): return f == 0
        }
    }

    public var description: String {
        switch self {
        case let .perClass(k): return "\(k) images per class"
        case let .fraction(f): return "\(ParameterRange.number(f * 100))% of each class"
        }
    }

    /// How many of a class's `n` training images are held out: at least one (when the split is
    /// not empty) and never all, so every class keeps a training image.
    package func heldOut(of n: Int) -> Int {
        guard n >= 2, !isEmpty else { return 0 }
        switch self {
        case let .perClass(k): return min(k, n - 1)
        case let .fraction(f): return min(max(1, Int((Double(n) * f).rounded())), n - 1)
        }
    }
}

extension ImageSet {
    /// Positions of the training and the validation images, disjoint, covering every image,
    /// each list in original order; drawn per class by `seed`.
    public func validationSplit(_ split: ValidationSplit, seed: UInt64) -> (train: [Int], validation: [Int]) {
        let (held, rest) = drawPerClass(seed: seed, stream: "validation") { split.heldOut(of: $0) }
        return (rest, held)
    }
}
