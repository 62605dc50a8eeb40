// One libvips image, owned: decoding files, converting colour, and the geometric operations of
// resizing and domain transforms. libvips does the image work; this file only moves pixels
// between its band-interleaved bytes and the engine's channels-first floats.
import CVips
import Foundation

final class VipsImage {
    /// libvips pipelines are lazy: an output holds its own reference to its inputs, so releasing
    /// this wrapper never frees pixels a later image still reads.
    let pointer: UnsafeMutablePointer<CVips.VipsImage>

    private init(_ pointer: UnsafeMutablePointer<CVips.VipsImage>) { self.pointer = pointer }

    deinit { harness_vips_unref(pointer) }

    var width: Int { Int(vips_image_get_width(pointer)) }
    var height: Int { Int(vips_image_get_height(pointer)) }
    var bands: Int { Int(vips_image_get_bands(pointer)) }
    var interpretation: VipsInterpretation { vips_image_get_interpretation(pointer) }
    var hasAlpha: Bool { vips_image_hasalpha(pointer) != 0 }
    /// Colour bands, not counting alpha.
    var colourBands: Int { bands - (hasAlpha ? 1 : 0) }

    /// libvips starts once per process, on first use.
    private static let started: Bool = harness_vips_start() == 0

    /// The last libvips error, cleared.
    static func lastError() -> String {
        let message = String(cString: vips_error_buffer()).trimmingCharacters(in: .whitespacesAndNewlines)
        vips_error_clear()
        return message.isEmpty ? "unknown libvips error" : message.replacingOccurrences(of: "\n", with: "; ")
    }

    /// Runs one operation that writes its output through `out`.
    func apply(_ what: String, _ op: (UnsafeMutablePointer<UnsafeMutablePointer<CVips.VipsImage>?>) -> Int32) throws -> VipsImage {
        var out: UnsafeMutablePointer<CVips.VipsImage>?
        guard op(&out) == 0, let out else { throw VipsError(operation: what, message: VipsImage.lastError()) }
        return VipsImage(out)
    }

    /// The largest image decoded: 100 megapixels (a 50-megapixel camera's frames fit twice). A
    /// header can declare 100,000 x 100,000 pixels in a few bytes; its size is checked before a
    /// pixel is decoded, so a bomb is one file's error, not gigabytes and an abort.
    public static let maximumPixels = 100_000_000

    /// Self, if its header's size is within `maximumPixels`.
    func withinPixelLimit() throws -> VipsImage {
        let pixels = width * height
        guard width > 0, height > 0, pixels <= Self.maximumPixels else {
            throw VipsError(operation: "decode", message: "its header declares \(width) x \(height) pixels, beyond the limit of \(Self.maximumPixels / 1_000_000) megapixels; "
                            + "shrink the image, or leave it out with --skip-undecodable")
        }
        return self
    }

    /// Opens a file's header (pixels are decoded only when read).
    static func open(_ path: String) throws -> VipsImage {
        guard started else { throw VipsError(operation: "start", message: lastError()) }
        guard let image = harness_vips_open(path) else { throw VipsError(operation: "open", message: lastError()) }
        return try VipsImage(image).withinPixelLimit()
    }

    /// Decodes an image file's bytes at about `width` x `height` or larger: a JPEG is decoded at
    /// 1/2, 1/4 or 1/8 of its size by its own DCT scaling when that still covers the target (what
    /// libvips' thumbnail does, without its per-image set-up, which cost 2 ms an image here), and
    /// EXIF orientation is applied. The bytes must stay alive until the pixels are read.
    static func decode(bytes: UnsafeRawBufferPointer, atLeast width: Int, _ height: Int) throws -> VipsImage {
        guard started else { throw VipsError(operation: "start", message: lastError()) }
        guard let opened = harness_vips_new_from_buffer(bytes.baseAddress, bytes.count) else {
            throw VipsError(operation: "decode", message: lastError())
        }
        var image = try VipsImage(opened).withinPixelLimit()
        let isJPEG = bytes.count > 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF
        if isJPEG, let shrink = [8, 4, 2].first(where: { image.width / $0 >= width && image.height / $0 >= height }) {
            var out: UnsafeMutablePointer<CVips.VipsImage>?
            guard harness_vips_jpegload_buffer(bytes.baseAddress, bytes.count, &out, Int32(shrink)) == 0, let out else {
                throw VipsError(operation: "decode", message: lastError())
            }
            image = VipsImage(out)
        }
        guard vips_image_get_typeof(image.pointer, "orientation") != 0 else { return image }
        return try image.apply("rotate upright") { harness_vips_autorot(image.pointer, $0) }
    }

    /// A float image from channels-first values (copied).
    static func fromPlanes(_ values: UnsafeBufferPointer<Float>, channels: Int, height: Int, width: Int) throws -> VipsImage {
        try fromPlanes(values, format: VIPS_FORMAT_FLOAT, channels: channels, height: height, width: width)
    }

    /// An 8-bit image from channels-first bytes (copied).
    static func fromPlanes(_ values: UnsafeBufferPointer<UInt8>, channels: Int, height: Int, width: Int) throws -> VipsImage {
        try fromPlanes(values, format: VIPS_FORMAT_UCHAR, channels: channels, height: height, width: width)
    }

    /// Channels-first values interleaved as libvips holds them, in the band format `format` names.
    private static func fromPlanes<T: Numeric>(_ values: UnsafeBufferPointer<T>, format: VipsBandFormat, channels: Int, height: Int, width: Int) throws -> VipsImage {
        guard started else { throw VipsError(operation: "start", message: lastError()) }
        let hw = height * width
        var interleaved = [T](repeating: 0, count: values.count)
        for c in 0..<channels { for i in 0..<hw { interleaved[i * channels + c] = values[c * hw + i] } }
        // libvips copies the pixels and frees them with the image.
        guard let image = interleaved.withUnsafeBytes({
            vips_image_new_from_memory_copy($0.baseAddress, $0.count, Int32(width), Int32(height), Int32(channels), format)
        }) else {
            throw VipsError(operation: "wrap pixels", message: lastError())
        }
        return VipsImage(image)
    }

    func colourspace(_ space: VipsInterpretation) throws -> VipsImage { try apply("colourspace") { harness_vips_colourspace(pointer, $0, space) } }
    func flatten() throws -> VipsImage { try apply("flatten") { harness_vips_flatten(pointer, $0) } }
    func scaled(by factor: Double) throws -> VipsImage { try apply("scale") { harness_vips_linear1(pointer, $0, factor, 0) } }
    func castUChar() throws -> VipsImage { try apply("cast") { harness_vips_cast_uchar(pointer, $0) } }
    /// Rotated about the centre, clockwise; quarter turns exactly (no resampling).
    func rotate(_ degrees: Double) throws -> VipsImage {
        let turns = degrees / 90
        if turns == turns.rounded() {
            let quarter = [VIPS_ANGLE_D0, VIPS_ANGLE_D90, VIPS_ANGLE_D180, VIPS_ANGLE_D270][((Int(turns) % 4) + 4) % 4]
            return try apply("rotate") { harness_vips_rot(pointer, $0, quarter) }
        }
        return try apply("rotate") { harness_vips_rotate(pointer, $0, degrees) }
    }
    func gaussianBlur(_ sigma: Double) throws -> VipsImage { try apply("blur") { harness_vips_gaussblur(pointer, $0, sigma) } }

    /// Resized to exactly `width` x `height` (bilinear).
    func resized(width w: Int, height h: Int) throws -> VipsImage {
        if w == width && h == height { return self }
        let (hs, vs) = (Double(width) / Double(w), Double(height) / Double(h))
        // Shrinking by less than 3x (after a JPEG's shrink-on-load, the usual case) is one
        // reduce; anything else goes through vips_resize's shrink-then-reduce chain.
        let r = hs >= 1 && vs >= 1 && hs < 3 && vs < 3
            ? try apply("resize") { harness_vips_reduce(pointer, $0, hs, vs) }
            : try apply("resize") { harness_vips_resize(pointer, $0, 1 / hs, 1 / vs) }
        return try r.fitted(width: w, height: h)
    }

    /// Brought to `width` x `height` as `framing` says: stretched, or scaled so that the shorter
    /// side is the crop's over its fraction, then the centre cropped (an image smaller than the
    /// crop is scaled up first, so a crop never reaches past it).
    func framed(width w: Int, height h: Int, _ framing: Framing) throws -> VipsImage {
        guard case let .centreCrop(fraction) = framing else { return try resized(width: w, height: h) }
        let shorter = Double(min(w, h)) / fraction
        let scale = max(shorter / Double(min(width, height)), Double(w) / Double(width), Double(h) / Double(height))
        let (sw, sh) = (max(w, Int((Double(width) * scale).rounded())), max(h, Int((Double(height) * scale).rounded())))
        return try resized(width: sw, height: sh).fitted(width: w, height: h)
    }

    /// The centre `width` x `height` region, cropping or extending edges when rounding left the
    /// image a pixel off.
    func fitted(width w: Int, height h: Int) throws -> VipsImage {
        if w == width && h == height { return self }
        if width >= w && height >= h {
            return try apply("crop") { harness_vips_crop(pointer, $0, Int32((width - w) / 2), Int32((height - h) / 2), Int32(w), Int32(h)) }
        }
        let grown = try apply("embed") {
            harness_vips_embed(pointer, $0, Int32(max(0, (w - width) / 2)), Int32(max(0, (h - height) / 2)), Int32(max(w, width)), Int32(max(h, height)))
        }
        return try grown.fitted(width: w, height: h)
    }

    /// The pixels as channels-first floats; 8-bit images are scaled to [0, 1].
    func planes() throws -> [Float] {
        var size = 0
        guard let raw = vips_image_write_to_memory(pointer, &size) else { throw VipsError(operation: "read pixels", message: VipsImage.lastError()) }
        defer { g_free(raw) }
        let (c, hw) = (bands, width * height)
        var out = [Float](repeating: 0, count: c * hw)
        switch vips_image_get_format(pointer) {
        case VIPS_FORMAT_UCHAR:
            let px = raw.bindMemory(to: UInt8.self, capacity: size)
            for i in 0..<hw { for k in 0..<c { out[k * hw + i] = Float(px[i * c + k]) / 255 } }
        case VIPS_FORMAT_FLOAT:
            let px = raw.bindMemory(to: Float.self, capacity: size / 4)
            for i in 0..<hw { for k in 0..<c { out[k * hw + i] = px[i * c + k] } }
        default:
            return try castUChar().planes()
        }
        return out
    }

    /// The pixels as channels-first bytes (an 8-bit image's own; others are cast).
    func bytePlanes() throws -> [UInt8] {
        guard vips_image_get_format(pointer) == VIPS_FORMAT_UCHAR else { return try castUChar().bytePlanes() }
        var interleaved: [UInt8] = []
        try appendInterleaved(to: &interleaved)
        let (c, hw) = (bands, width * height)
        var out = [UInt8](repeating: 0, count: c * hw)
        for i in 0..<hw { for k in 0..<c { out[k * hw + i] = interleaved[i * c + k] } }
        return out
    }

    /// 8-bit pixels as libvips holds them (band-interleaved), appended to `bytes`.
    func appendInterleaved(to bytes: inout [UInt8]) throws {
        var size = 0
        guard let raw = vips_image_write_to_memory(pointer, &size) else { throw VipsError(operation: "read pixels", message: VipsImage.lastError()) }
        defer { g_free(raw) }
        guard size == bands * width * height else { throw VipsError(operation: "read pixels", message: "expected \(bands * width * height) bytes, got \(size)") }
        bytes.append(contentsOf: UnsafeRawBufferPointer(start: raw, count: size))
    }

    /// Saves to a file whose suffix names the format (.jpg, .png, .webp, …).
    func write(to path: String) throws {
        guard harness_vips_write_file(pointer, path) == 0 else { throw VipsError(operation: "write \(path)", message: VipsImage.lastError()) }
    }
}

/// Writing images, for tests and benchmarks that need a folder of them.
public enum ImageFile {
    /// Saves one channels-first image with values in [0, 1]; the suffix names the format.
    public static func write(_ planes: [Float], shape: InputShape, to path: String) throws {
        let image = try planes.withUnsafeBufferPointer {
            try VipsImage.fromPlanes($0, channels: shape.channels, height: shape.height, width: shape.width)
        }
        let bytes = try image.scaled(by: 255).castUChar()
        try bytes.colourspace(shape.channels == 3 ? VIPS_INTERPRETATION_sRGB : VIPS_INTERPRETATION_B_W).write(to: path)
    }
}

struct VipsError: Error, CustomStringConvertible {
    var operation: String
    var message: String
    var description: String { "libvips could not \(operation): \(message)" }
}
