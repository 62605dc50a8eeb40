// How an image is brought to a network's input shape. The harness's own networks were trained
// on images stretched to their input (`stretch`); ImageNet models were trained and are evaluated
// on a centre crop (torchvision's Resize(S / 0.875) then CenterCrop(S)), and shown stretched
// images they see objects framed and proportioned as they never learnt them. A model carries its
// framing, so every command that feeds it images frames them as it expects.
import Foundation

public enum Framing: Hashable, Sendable, CustomStringConvertible {
    /// Resized to the input, aspect ratio and all.
    case stretch
    /// Scaled so that the input's shorter side is `fraction` of the image's shorter side, then
    /// the centre H x W (ImageNet's evaluation: fraction 0.875, 256 then 224).
    case centreCrop(fraction: Double)

    /// ImageNet's evaluation framing.
    public static let imageNet = Framing.centreCrop(fraction: 0.875)

    /// "stretch", "crop" (0.875) or "crop:FRACTION" with 0 < FRACTION <= 1.
    public init(parsing text: String) throws {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t == "stretch" { self = .stretch; return }
        if t == "crop" { self = .imageNet; return }
        if t.hasPrefix("crop:"), let f = Double(t.dropFirst(5)), f > 0, f <= 1 { self = .centreCrop(fraction: f); return }
        throw DataError.mismatch("framing '\(text)': write stretch, crop (ImageNet's: the centre 87.5%) or crop:FRACTION with 0 < FRACTION <= 1")
    }

    public var description: String {
        switch self {
        case .stretch: return "stretch"
        case let .centreCrop(f): return "crop:\(f)"
        }
    }

    /// For captions: "stretched to 28x28", "shorter side to 256, centre 224x224 (crop 0.875)".
    public func caption(_ shape: InputShape) -> String {
        switch self {
        case .stretch: return "stretched to \(shape.height)x\(shape.width)"
        case let .centreCrop(f):
            return "shorter side scaled to \(Int((Double(min(shape.height, shape.width)) / f).rounded())), centre \(shape.height)x\(shape.width) cropped (fraction \(f))"
        }
    }
}

extension Framing: Codable {
    public init(from decoder: Decoder) throws { self = try Framing(parsing: try decoder.singleValueContainer().decode(String.self)) }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
