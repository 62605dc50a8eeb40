// The shape of a network's input. The source network decides it; target images are brought to
// it (resized, and grayscale repeated into colour) before a strategy sees them.
import Foundation

public struct InputShape: Codable, Hashable, Sendable, CustomStringConvertible {
    public var channels: Int
    public var height: Int
    public var width: Int

    public init(channels: Int, height: Int, width: Int) {
        self.channels = channels
        self.height = height
        self.width = width
    }

    public init(_ set: ImageSet) { self.init(channels: set.channels, height: set.height, width: set.width) }

    /// "1x28x28": channels x height x width.
    public var description: String { "\(channels)x\(height)x\(width)" }

    /// Parses "CxHxW" (or "HxW", one channel).
    public init?(_ text: String) {
        let parts = text.lowercased().split(separator: "x").map { Int($0) }
        guard parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        switch parts.count {
        case 3: self.init(channels: parts[0]!, height: parts[1]!, width: parts[2]!)
        case 2: self.init(channels: 1, height: parts[0]!, width: parts[1]!)
        default: return nil
        }
        guard channels == 1 || channels == 3 else { return nil }
    }
}

extension ImageSet {
    /// These images at `shape`: resized with libvips (bilinear), grayscale repeated into three
    /// channels. More channels than the shape takes is an error, not a silent conversion: the
    /// user says so with the `@gray` transform.
    public func brought(to shape: InputShape, name: String, framing: Framing = .stretch) throws -> ImageSet {
        if InputShape(self) == shape { return self }
        if channels > shape.channels {
            throw DataError.tooManyChannels(data: name, has: channels, network: shape.channels)
        }
        guard channels == shape.channels || channels == 1 else {
            throw DataError.mismatch("\(name) has \(channels)-channel images; the network takes \(shape.channels) channels")
        }
        // 8-bit images are resized as 8-bit, as an image folder's files are, and stay bytes.
        if case let .bytes(bytes) = storage, normalization == nil {
            var out = [UInt8]()
            out.reserveCapacity(count * shape.channels * shape.height * shape.width)
            try bytes.withUnsafeBufferPointer { px in
                for i in 0..<count {
                    let one = UnsafeBufferPointer(rebasing: px[(i * imageSize)..<((i + 1) * imageSize)])
                    let planes = (height, width) == (shape.height, shape.width)
                        ? Array(one)
                        : try VipsImage.fromPlanes(one, channels: channels, height: height, width: width).framed(width: shape.width, height: shape.height, framing).bytePlanes()
                    for _ in 0..<(shape.channels / channels) { out += planes }
                }
            }
            return ImageSet(channels: shape.channels, height: shape.height, width: shape.width, bytes: out, labels: labels)
        }
        var out = [Float]()
        out.reserveCapacity(count * shape.channels * shape.height * shape.width)
        try pixels.withUnsafeBufferPointer { px in
            for i in 0..<count {
                let one = UnsafeBufferPointer(rebasing: px[(i * imageSize)..<((i + 1) * imageSize)])
                let planes = (height, width) == (shape.height, shape.width)
                    ? Array(one)
                    : try VipsImage.fromPlanes(one, channels: channels, height: height, width: width).framed(width: shape.width, height: shape.height, framing).planes()
                for _ in 0..<(shape.channels / channels) { out += planes }
            }
        }
        return ImageSet(channels: shape.channels, height: shape.height, width: shape.width, pixels: out, labels: labels)
    }
}
