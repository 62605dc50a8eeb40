// Subsampling, shuffling and normalisation, all deterministic from a seed.
import HarnessSupport

extension ImageSet {
    /// K images per class, drawn at random by seed (the small-target regime); classes with fewer
    /// keep all they have. Order: by class, then by original position.
    public func stratified(perClass k: Int, seed: UInt64) -> ImageSet {
        var generator = SeededGenerator(seed: seed, stream: "stratified")
        var chosen: [Int] = []
        for (_, idx) in indicesByLabel().sorted(by: { $0.key < $1.key }) {
            chosen += idx.shuffled(using: &generator).prefix(k).sorted()
        }
        return subset(chosen)
    }

    /// The first `n` images after a seeded shuffle: a quick random subset.
    public func randomSubset(_ n: Int, seed: UInt64) -> ImageSet {
        var generator = SeededGenerator(seed: seed, stream: "subset")
        return subset(Array(Array(labels.indices).shuffled(using: &generator).prefix(n)))
    }

    /// Per-channel mean and standard deviation of the pixels (summed in the same order for
    /// bytes and floats, so both give the same statistics).
    public func channelStatistics() -> Normalization {
        let hw = height * width
        var mean = [Float](repeating: 0, count: channels), std = mean
        func statistics(_ value: (_ c: Int, _ index: Int) -> Float) {
            for c in 0..<channels {
                var s = 0.0, s2 = 0.0
                for i in 0..<count {
                    let base = (i * channels + c) * hw
                    for j in 0..<hw { let v = Double(value(c, base + j)); s += v; s2 += v * v }
                }
                let n = Double(max(count * hw, 1))
                let m = s / n
                mean[c] = Float(m)
                std[c] = Float(max(s2 / n - m * m, 1e-12).squareRoot())
            }
        }
        if case let .bytes(bytes) = storage {
            let table = valueTable
            bytes.withUnsafeBufferPointer { px in table.withUnsafeBufferPointer { lut in statistics { c, k in lut[c * 256 + Int(px[k])] } } }
        } else {
            withFloats { px in statistics { _, k in px[k] } }
        }
        return Normalization(mean: mean, std: std)
    }
}

/// Per-channel statistics, taken from the training images only so no test information leaks.
public struct Normalization: Codable, Equatable, Sendable {
    public var mean: [Float]
    public var std: [Float]

    public init(mean: [Float], std: [Float]) {
        self.mean = mean
        self.std = std
    }
}

extension Dataset {
    /// Normalises train and test with the training set's statistics; returns them.
    @discardableResult
    public mutating func normalizeWithTrainingStatistics() -> Normalization {
        let stats = train.channelStatistics()
        train.normalize(stats)
        test.normalize(stats)
        return stats
    }
}

extension ImageSet {
    /// A domain-shift task's split of the target's training images: `k` of each class keep their
    /// labels (drawn by `seed`), the others are shown without; positions in original order.
    public func labelledSplit(perClass k: Int, seed: UInt64) -> (labelled: [Int], unlabelled: [Int]) {
        let (kept, rest) = drawPerClass(seed: seed, stream: "target-labels") { _ in k }
        return (kept, rest)
    }

    /// Positions drawn per class (`count` of a class's n images, by `seed` and `stream`), and the
    /// others; both lists in original order. Validation and label splits draw through here.
    func drawPerClass(seed: UInt64, stream: String, count: (Int) -> Int) -> (drawn: [Int], rest: [Int]) {
        var generator = SeededGenerator(seed: seed, stream: stream)
        var drawn = Set<Int>()
        for (_, idx) in indicesByLabel().sorted(by: { $0.key < $1.key }) {
            drawn.formUnion(idx.shuffled(using: &generator).prefix(count(idx.count)))
        }
        return (labels.indices.filter { drawn.contains($0) }, labels.indices.filter { !drawn.contains($0) })
    }
}
