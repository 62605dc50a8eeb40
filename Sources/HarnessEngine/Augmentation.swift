// Data augmentation of training images, as practitioners fine-tune a pretrained network on a few
// hundred photos: torchvision's RandomResizedCrop (a random part of the image, of a random area
// fraction and aspect ratio, resized back to the input) and RandomHorizontalFlip. A training
// setting like lr: off by default, searchable, and shown in captions when on. Each image's draw
// is seeded from (cell seed, epoch, image index), so a run is bit-reproducible whatever the batch
// order; evaluation images are never augmented (only the trainer's batches are).
import Foundation
import HarnessSupport

public struct Augmentation: Hashable, Sendable, CustomStringConvertible {
    /// Mirror left-right with probability 1/2.
    public var flip = false
    /// Random resized crop of at least this fraction of the image's area (torchvision: 0.08),
    /// aspect ratio between 3/4 and 4/3; nil: no crop.
    public var cropMinimumScale: Double?

    public static let none = Augmentation()
    public var isNone: Bool { !flip && cropMinimumScale == nil }

    /// "none", or "+"-joined parts: "flip", "crop" (scale 0.08 to 1), "crop:MIN" (MIN to 1,
    /// 0 < MIN <= 1). Nil for anything else.
    public init?(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t == "none" { return }
        for part in t.split(separator: "+", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if part == "flip", !flip {
                flip = true
            } else if part == "crop", cropMinimumScale == nil {
                cropMinimumScale = 0.08
            } else if part.hasPrefix("crop:"), cropMinimumScale == nil, let m = Double(part.dropFirst(5)), m > 0, m <= 1 {
                cropMinimumScale = m
            } else {
                return nil
            }
        }
    }

    init() {}

    public var description: String {
        if isNone { return "none" }
        let crop = cropMinimumScale.map { $0 == 0.08 ? "crop" : "crop:\($0)" }
        return [crop, flip ? "flip" : nil].compactMap { $0 }.joined(separator: "+")
    }

    /// For captions: "random resized crops (8-100% of the area) and horizontal flips".
    public var caption: String {
        let crop = cropMinimumScale.map { String(format: "random resized crops (%.0f-100%% of the area, aspect 3/4-4/3)", $0 * 100) }
        return [crop, flip ? "horizontal flips" : nil].compactMap { $0 }.joined(separator: " and ")
    }

    /// Writes an augmented copy of one channels-first image into `out`.
    public func apply(_ image: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, channels: Int, height: Int, width: Int,
                      using g: inout SeededGenerator) {
        // The crop: torchvision's ten tries at a box of random area and aspect, else the whole image.
        var (top, left, h, w) = (0, 0, height, width)
        if let minimum = cropMinimumScale {
            let area = Double(height * width)
            for _ in 0..<10 {
                let target = area * Double.random(in: minimum...1, using: &g)
                let ratio = exp(Double.random(in: log(3.0 / 4.0)...log(4.0 / 3.0), using: &g))
                let cw = Int((target * ratio).squareRoot().rounded()), ch = Int((target / ratio).squareRoot().rounded())
                if cw > 0, ch > 0, cw <= width, ch <= height {
                    (h, w) = (ch, cw)
                    top = Int.random(in: 0...(height - ch), using: &g)
                    left = Int.random(in: 0...(width - cw), using: &g)
                    break
                }
            }
        }
        let mirrored = flip && Bool.random(using: &g)
        let plane = height * width
        if (top, left, h, w) == (0, 0, height, width) {
            for c in 0..<channels {
                for y in 0..<height {
                    let row = image + c * plane + y * width, to = out + c * plane + y * width
                    if mirrored { for x in 0..<width { to[x] = row[width - 1 - x] } } else { to.update(from: row, count: width) }
                }
            }
            return
        }
        // Bilinear resampling of the box back to height x width (half-pixel centres, as
        // torchvision's resize without antialiasing).
        let sy = Double(h) / Double(height), sx = Double(w) / Double(width)
        for y in 0..<height {
            let fy = min(max(Double(top) + (Double(y) + 0.5) * sy - 0.5, 0), Double(height - 1))
            let y0 = Int(fy), y1 = min(y0 + 1, height - 1), wy = Float(fy - Double(y0))
            for x in 0..<width {
                let ox = mirrored ? width - 1 - x : x
                let fx = min(max(Double(left) + (Double(x) + 0.5) * sx - 0.5, 0), Double(width - 1))
                let x0 = Int(fx), x1 = min(x0 + 1, width - 1), wx = Float(fx - Double(x0))
                for c in 0..<channels {
                    let p = image + c * plane
                    let a = p[y0 * width + x0] * (1 - wx) + p[y0 * width + x1] * wx
                    let b = p[y1 * width + x0] * (1 - wx) + p[y1 * width + x1] * wx
                    out[c * plane + y * width + ox] = a * (1 - wy) + b * wy
                }
            }
        }
    }
}
