// Running a network over an ImageSet: each batch is filled straight from the set's storage, so
// 8-bit images become floats one batch at a time and never as a whole copy.
import HarnessData

extension Network {
    /// The output of `layerName` for each image (count x width floats, row-major).
    public func features(at layerName: String, for images: ImageSet, batch: Int = 256) throws -> [Float] {
        let index = try layerIndex(layerName)
        var out: [Float] = []
        run(count: images.count, batch: batch, upTo: index, fill: { start, n, into in
            images.copyImages(start..<(start + n), into: into)
        }) { rows, _, n, width in
            if out.isEmpty { out.reserveCapacity(images.count * width) }
            out.append(contentsOf: UnsafeBufferPointer(start: rows, count: n * width))
        }
        return out
    }

    /// Logits (count x classes, row-major) for a set of images.
    public func logits(for images: ImageSet, batch: Int = 256) -> [Float] {
        try! features(at: layers.last!.name, for: images, batch: batch)
    }

    /// Predicted class for each image.
    public func predict(_ images: ImageSet, batch: Int = 256) -> [Int] {
        Network.argmax(logits(for: images, batch: batch), classes: classes)
    }
}
