// Domain shifts made on purpose: a data set seen rotated, inverted, noisy, blurred or at a lower
// resolution is a target that looks different from its source, with the same classes. They are
// applied to the images at the network's input, after resizing; `gray` converts colour before.
// Geometric ones run in libvips; the pixel-wise ones are one line each here. All are
// deterministic: noise is seeded by the image's position, so a data spec always means the same data.
import Foundation
import HarnessSupport

public enum DomainTransform: Equatable, Hashable, Sendable, CustomStringConvertible {
    case rotate(degrees: Double)
    case invert
    case noise(sigma: Double)
    case blur(sigma: Double)
    case downscale(factor: Int)
    case gray

    /// What the grammar allows, for help and errors.
    public static let allowed = "rotate:DEGREES, invert, noise:SIGMA, blur:SIGMA, downscale:FACTOR, gray"

    public var description: String {
        switch self {
        case let .rotate(d): return "rotate:\(Self.number(d))"
        case .invert: return "invert"
        case let .noise(s): return "noise:\(Self.number(s))"
        case let .blur(s): return "blur:\(Self.number(s))"
        case let .downscale(f): return "downscale:\(f)"
        case .gray: return "gray"
        }
    }

    static func number(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e9 ? "\(Int(v))" : "\(v)" }

    /// Parses one transform ("rotate:90"); the error says what is wrong with it.
    init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let name = parts[0].lowercased(), argument = parts.count > 1 ? parts[1] : nil
        func value(_ what: String, _ valid: (Double) -> Bool, _ rule: String) throws -> Double {
            guard let argument else { throw TransformParseError(message: "\(name) needs \(what), e.g. \(name):\(Self.example(name))", inArgument: false) }
            guard let v = Double(argument), v.isFinite, valid(v) else {
                throw TransformParseError(message: "\(name) takes \(what) (\(rule)), not '\(argument)'", inArgument: true)
            }
            return v
        }
        switch name {
        case "rotate": self = .rotate(degrees: try value("an angle in degrees", { _ in true }, "a number"))
        case "noise": self = .noise(sigma: try value("a standard deviation", { $0 > 0 }, "a positive number; pixels are in [0, 1]"))
        case "blur": self = .blur(sigma: try value("a radius in pixels", { $0 > 0 }, "a positive number"))
        case "downscale":
            self = .downscale(factor: Int(try value("a factor", { $0 >= 2 && $0 == $0.rounded() }, "a whole number from 2")))
        case "invert", "gray", "grey":
            guard argument == nil else { throw TransformParseError(message: "\(name) takes no value", inArgument: true) }
            self = name == "invert" ? .invert : .gray
        default:
            throw TransformParseError(message: "unknown transform '\(name)'", inArgument: false)
        }
    }

    static func example(_ name: String) -> String {
        ["rotate": "90", "noise": "0.2", "blur": "1.5", "downscale": "4"][name] ?? ""
    }

    /// Applies this transform to every image; `stream` separates the noise of train and test.
    func apply(to set: inout ImageSet, seed: UInt64, stream: String) throws {
        let (c, h, w, size) = (set.channels, set.height, set.width, set.imageSize)
        set.storeAsFloats()  // a shifted image's values are not 8-bit any more
        switch self {
        case .invert:
            set.pixels = set.pixels.map { 1 - $0 }
        case let .noise(sigma):
            let count = set.count
            set.pixels.withUnsafeMutableBufferPointer { px in
                for i in 0..<count {
                    var g = SeededGenerator(seed: seed &+ UInt64(i), stream: "noise/" + stream)
                    for j in (i * size)..<((i + 1) * size) { px[j] += Float(sigma) * g.nextGaussian() }
                }
            }
        case .gray:
            guard c == 3 else { return }
            let hw = h * w
            var out = [Float](repeating: 0, count: set.count * hw)
            for i in 0..<set.count {
                for p in 0..<hw {  // ITU-R BT.601 luma, as libvips and PIL convert
                    let b = i * size + p
                    out[i * hw + p] = 0.299 * set.pixels[b] + 0.587 * set.pixels[b + hw] + 0.114 * set.pixels[b + 2 * hw]
                }
            }
            set = ImageSet(channels: 1, height: h, width: w, pixels: out, labels: set.labels)
        case .rotate, .blur, .downscale:
            var out = [Float]()
            out.reserveCapacity(set.pixels.count)
            try set.pixels.withUnsafeBufferPointer { px in
                for i in 0..<set.count {
                    let image = try VipsImage.fromPlanes(UnsafeBufferPointer(rebasing: px[(i * size)..<((i + 1) * size)]), channels: c, height: h, width: w)
                    let changed: VipsImage
                    switch self {
                    case let .rotate(d): changed = try image.rotate(d).fitted(width: w, height: h)
                    case let .blur(s): changed = try image.gaussianBlur(s)
                    case let .downscale(f):
                        changed = try image.resized(width: max(1, w / f), height: max(1, h / f)).resized(width: w, height: h)
                    default: changed = image
                    }
                    out += try changed.planes()
                }
            }
            set.pixels = out
        }
    }
}

struct TransformParseError: Error {
    var message: String
    /// Whether the fault is in the value after ':' rather than the name.
    var inArgument: Bool
}
