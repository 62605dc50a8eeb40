// Labelled images in plain N, C, H, W order, ready to copy into a batch.
//
// Decoded photos and IDX files are 8-bit, and a 224 x 224 colour image is 150 KB as bytes but
// 600 KB as floats, so images stay 8-bit in memory and become floats only when copied into a
// batch. Normalisation is kept beside the bytes and applied during that copy, through a
// 256-entry table per channel that computes exactly what normalising floats in place computed
// ((b / 255 - mean) * (1 / std), in Float), so results are bit-identical either way. Images a
// transform or a resize made (non-integer values) are held as floats.
import HarnessSupport

public struct ImageSet: @unchecked Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int
    /// One class index per image, in 0..<classCount of the owning data set.
    public var labels: [Int]
    public private(set) var storage: Storage
    /// Applied to 8-bit storage as it is read (nil: b / 255).
    public private(set) var normalization: Normalization? {
        didSet { if isEightBit { valueTable = Self.valueTable(channels: channels, normalization) } }
    }
    /// The float each byte value reads as, per channel (channels x 256; empty unless 8-bit):
    /// made once, not per image copied.
    private(set) var valueTable: [Float] = []

    /// Where the pixel values live.
    public enum Storage {
        /// count x channels x height x width values.
        case floats([Float])
        /// 8-bit values, read as b / 255 and then normalised.
        case bytes([UInt8])
        /// Floats another owner keeps alive for as long as this set is used: a strategy's
        /// images lent across the plugin ABI, read in place by the engine call they were passed to.
        case borrowed(UnsafeBufferPointer<Float>)
    }

    public init(channels: Int, height: Int, width: Int, pixels: [Float], labels: [Int]) {
        precondition(pixels.count == labels.count * channels * height * width, "pixels do not match labels and shape")
        (self.channels, self.height, self.width, self.labels) = (channels, height, width, labels)
        storage = .floats(pixels)
    }

    /// 8-bit images (values b / 255), kept as bytes.
    public init(channels: Int, height: Int, width: Int, bytes: [UInt8], labels: [Int]) {
        precondition(bytes.count == labels.count * channels * height * width, "bytes do not match labels and shape")
        (self.channels, self.height, self.width, self.labels) = (channels, height, width, labels)
        storage = .bytes(bytes)
        valueTable = Self.valueTable(channels: channels, nil)
    }

    /// Floats the caller keeps alive while the set is in use (see Storage.borrowed).
    public init(channels: Int, height: Int, width: Int, borrowing pixels: UnsafeBufferPointer<Float>, labels: [Int]) {
        precondition(pixels.count == labels.count * channels * height * width, "pixels do not match labels and shape")
        (self.channels, self.height, self.width, self.labels) = (channels, height, width, labels)
        storage = .borrowed(pixels)
    }

    public var count: Int { labels.count }
    public var imageSize: Int { channels * height * width }

    /// Whether the images are held as bytes.
    public var isEightBit: Bool { if case .bytes = storage { return true } else { return false } }

    /// Bytes the pixel values occupy in memory (borrowed ones are someone else's).
    public var pixelMemory: Int {
        switch storage {
        case let .floats(f): return f.count * MemoryLayout<Float>.stride
        case let .bytes(b): return b.count
        case .borrowed: return 0
        }
    }

    /// Every value as a float, normalised: a copy, for small sets and code that needs an array.
    /// Setting it stores floats.
    public var pixels: [Float] {
        get {
            switch storage {
            case let .floats(f): return f
            case let .borrowed(p): return Array(p)
            case .bytes:
                return [Float](unsafeUninitializedCapacity: count * imageSize) { buffer, initialized in
                    if count > 0 { copyImages(0..<count, into: buffer.baseAddress!) }
                    initialized = count * imageSize
                }
            }
        }
        set {
            precondition(newValue.count == count * imageSize, "pixels do not match labels and shape")
            storage = .floats(newValue)
            normalization = nil
            valueTable = []
        }
    }

    /// Holds the values as floats from now on (for code that rewrites them in place).
    public mutating func storeAsFloats() {
        if case .floats = storage { return }
        pixels = pixels
    }

    /// Writes the images in `range`, one after another, as normalised floats at `destination`.
    public func copyImages(_ range: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        let size = imageSize, values = range.count * size, first = range.lowerBound * size
        switch storage {
        case let .floats(f):
            f.withUnsafeBufferPointer { destination.update(from: $0.baseAddress! + first, count: values) }
        case let .borrowed(p):
            destination.update(from: p.baseAddress! + first, count: values)
        case let .bytes(b):
            let table = valueTable
            let hw = height * width
            b.withUnsafeBufferPointer { src in
                table.withUnsafeBufferPointer { lut in
                    for i in 0..<range.count {
                        for c in 0..<channels {
                            let from = first + (i * channels + c) * hw, to = (i * channels + c) * hw
                            let row = lut.baseAddress! + c * 256
                            for j in 0..<hw { destination[to + j] = row[Int(src[from + j])] }
                        }
                    }
                }
            }
        }
    }

    /// Writes image `index` as normalised floats at `destination`.
    public func copyImage(_ index: Int, into destination: UnsafeMutablePointer<Float>) {
        copyImages(index..<(index + 1), into: destination)
    }

    /// Calls `body` with all values as contiguous normalised floats: in place when they are
    /// floats already, else through a temporary copy.
    public func withFloats<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        switch storage {
        case let .floats(f): return try f.withUnsafeBufferPointer(body)
        case let .borrowed(p): return try body(p)
        case .bytes: return try pixels.withUnsafeBufferPointer(body)
        }
    }

    /// The float each byte value reads as under `normalization`, per channel (channels x 256).
    static func valueTable(channels: Int, _ normalization: Normalization?) -> [Float] {
        var table = [Float](repeating: 0, count: channels * 256)
        for c in 0..<channels {
            for b in 0..<256 {
                let v = Float(b) / 255
                if let n = normalization {
                    let m = n.mean[c], inv = 1 / n.std[c]
                    table[c * 256 + b] = (v - m) * inv
                } else {
                    table[c * 256 + b] = v
                }
            }
        }
        return table
    }

    /// Normalises every value with per-channel statistics: for bytes, recorded and applied as
    /// they are read; for floats, in place. (Both compute (v - mean) * (1 / std) in Float.)
    public mutating func normalize(_ stats: Normalization) {
        if case .bytes = storage, normalization == nil {
            normalization = stats
            return
        }
        var values = pixels
        let (hw, total, channels) = (height * width, count, channels)
        values.withUnsafeMutableBufferPointer { px in
            for i in 0..<total {
                for c in 0..<channels {
                    let base = (i * channels + c) * hw, m = stats.mean[c], inv = 1 / stats.std[c]
                    for j in 0..<hw { px[base + j] = (px[base + j] - m) * inv }
                }
            }
        }
        pixels = values
    }

    /// The images at the given positions, in that order, held as these are (borrowed ones copied).
    public func subset(_ indices: [Int]) -> ImageSet {
        let size = imageSize
        var result: ImageSet
        switch storage {
        case let .bytes(b):
            var out = [UInt8]()
            out.reserveCapacity(indices.count * size)
            b.withUnsafeBufferPointer { src in
                for i in indices { out.append(contentsOf: src[(i * size)..<((i + 1) * size)]) }
            }
            result = ImageSet(channels: channels, height: height, width: width, bytes: out, labels: indices.map { labels[$0] })
            result.normalization = normalization
        case .floats, .borrowed:
            let out = [Float](unsafeUninitializedCapacity: indices.count * size) { buffer, initialized in
                for (j, i) in indices.enumerated() { copyImage(i, into: buffer.baseAddress! + j * size) }
                initialized = indices.count * size
            }
            result = ImageSet(channels: channels, height: height, width: width, pixels: out, labels: indices.map { labels[$0] })
        }
        return result
    }

    /// These images followed by `other`'s (same shape), as bytes when both are bytes read alike.
    public func appending(_ other: ImageSet) -> ImageSet {
        precondition(InputShape(self) == InputShape(other), "appending images of another shape")
        if case let .bytes(a) = storage, case let .bytes(b) = other.storage, normalization == other.normalization {
            var joined = ImageSet(channels: channels, height: height, width: width, bytes: a + b, labels: labels + other.labels)
            joined.normalization = normalization
            return joined
        }
        return ImageSet(channels: channels, height: height, width: width, pixels: pixels + other.pixels, labels: labels + other.labels)
    }

    /// Images of three equal planes (grayscale held as colour); 0 unless three channels.
    public func grayscaleCount() -> Int {
        guard channels == 3, count > 0 else { return 0 }
        let hw = height * width, size = imageSize
        var scratch = [Float](repeating: 0, count: size)
        return (0..<count).filter { i in
            scratch.withUnsafeMutableBufferPointer { copyImage(i, into: $0.baseAddress!) }
            return (0..<hw).allSatisfy { scratch[$0] == scratch[hw + $0] && scratch[$0] == scratch[2 * hw + $0] }
        }.count
    }

    /// Indices of images per label.
    func indicesByLabel() -> [Int: [Int]] {
        Dictionary(grouping: labels.indices, by: { labels[$0] })
    }

    /// Adds every value, as the floats it reads as, to `hash`, in blocks so 8-bit sets are never
    /// expanded whole. Blocks hold an even number of floats, so the hash equals hashing one array.
    public func addPixels(to hash: inout StableHash) {
        guard case .bytes = storage else { hash.add(contentsOf: pixels); return }
        let block = 256, size = imageSize
        var scratch = [Float](repeating: 0, count: block * size)
        for start in stride(from: 0, to: count, by: block) {
            let n = min(block, count - start)
            scratch.withUnsafeMutableBufferPointer { copyImages(start..<(start + n), into: $0.baseAddress!) }
            hash.add(contentsOf: n == block ? scratch : Array(scratch[..<(n * size)]))
        }
    }
}

/// A train and a test set with the names of their classes.
public struct Dataset: Sendable {
    public var name: String
    public var classNames: [String]
    public var train: ImageSet
    public var test: ImageSet

    public init(name: String, classNames: [String], train: ImageSet, test: ImageSet) {
        self.name = name
        self.classNames = classNames
        self.train = train
        self.test = test
    }

    public var classCount: Int { classNames.count }
}
