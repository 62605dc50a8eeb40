// The frozen prefix of a network: its first layers when no training step can change what they
// compute (every parameter frozen, no dropout, batch normalisation on running statistics). Their
// output for an image is then the same in every epoch, seed and trial, so it is computed once
// (PrefixFeatureCache) and training runs only the layers after it.
import Foundation
import HarnessData
import HarnessSupport

extension Network {
    /// The last layer of the longest frozen prefix, or nil when there is none worth skipping.
    ///
    /// A layer belongs to it when none of its parameters trains, it draws nothing at random
    /// (dropout, while `training`), and, while `training`, its batch normalisation normalises
    /// with running statistics it keeps (`BatchNormStatistics.frozen`; the `batch` mode folds
    /// each batch into them, so the output changes every step). The cut must be clean: no layer
    /// after it reads a layer before its end (a residual shortcut across the cut), and no loss
    /// term reads a layer inside it (`readLayers`: distillation, adaptation). The last layer
    /// never belongs to it: something must remain to run.
    package func frozenPrefixEnd(training: Bool, readLayers: [Int] = []) -> Int? {
        var limit = layers.count - 1  // first layer that cannot belong
        if let t = layers.firstIndex(where: { $0.isTrainable }) { limit = min(limit, t) }
        if training {
            if let d = layers.firstIndex(where: { $0 is Dropout }) { limit = min(limit, d) }
            if let b = layers.firstIndex(where: { ($0 as? BatchNormalization).map { !$0.freezesStatistics } ?? false }) { limit = min(limit, b) }
        }
        if let r = readLayers.min() { limit = min(limit, r) }
        var end = limit - 1
        while end >= 0 {
            let clean = ((end + 1)..<layers.count).allSatisfy { i in inputOf[i] >= end && (operandOf[i] ?? end) >= end }
            if clean { return end }
            end -= 1
        }
        return nil
    }

    /// Identifies what layers 0...end compute: their specs, the input shape, every parameter and
    /// running statistic in them, the engine and the kernels' processor (another instruction set
    /// can round differently), and the batch the kernels were built for.
    package func prefixKey(through end: Int, batch: Int) -> String {
        var h = StableHash()
        h.add("frozen-prefix/1 engine \(EngineInfo.engineVersion) oneDNN \(EngineInfo.oneDNNVersion) \(EngineInfo.kernelProcessor) \(Precision.current.rawValue) batch \(batch)")
        h.add("\(spec.channels)x\(spec.height)x\(spec.width)")
        let encoder = HarnessJSON.canonical
        for layer in spec.layers[...end] { h.add(String(decoding: (try? encoder.encode(layer)) ?? Data(), as: UTF8.self)) }
        for layer in layers[...end] {
            for p in layer.parameters + layer.buffers {
                h.add(p.name)
                h.addWords(UnsafeRawBufferPointer(start: p.valuePointer, count: p.count * MemoryLayout<Float>.stride))
            }
        }
        return h.hex
    }

    /// The dimensions of one image's output of `layer` (C, H, W or features).
    package func outputShape(of layer: Int) -> [Int] { Array(layers[layer].output.desc.shape.dropFirst()) }

    package func layerName(_ index: Int) -> String { layers[index].name }

    /// Hands back the storage of the images and of every output before layer `end` (a frozen
    /// prefix's, once its outputs are cached): training steps never touch them again, and
    /// anything that runs the whole network (early stopping's scoring) allocates them anew.
    func releaseBuffers(before end: Int) {
        input.release()
        for layer in layers[..<end] { layer.output.release() }
    }
}

extension Network {
    /// The output of layer `upTo` for images whose outputs of layers 0...end `outputs` holds: only
    /// the layers after the prefix run.
    func run(after end: Int, outputs: PrefixFeatureCache.Outputs, batch: Int, upTo layer: Int) -> [Float] {
        let loader = PrefixLoader(layer: end)
        var out: [Float] = []
        run(count: outputs.count, batch: batch, upTo: layer, from: end + 1, fill: { start, n, _ in
            loader.load(into: self, rows: { j in j < n ? outputs.row(start + j) : nil }, width: outputs.width)
        }) { rows, _, n, width in
            if out.isEmpty { out.reserveCapacity(outputs.count * width) }
            out.append(contentsOf: UnsafeBufferPointer(start: rows, count: n * width))
        }
        return out
    }

    /// The output of `layerName` for each image, with the cache's outputs of the frozen prefix
    /// when `identity` keys the images (and the cache has room), else computed as usual.
    public func features(at layerName: String, for images: ImageSet, cache: PrefixFeatureCache?, identity: PrefixFeatureCache.Identity?,
                         batch: Int = 256) throws -> [Float] {
        let index = try layerIndex(layerName)
        guard let cache, let identity else { return try features(at: layerName, for: images, batch: batch) }
        // Features of the whole network up to the layer: a pure function of its weights, frozen or not.
        if let outputs = cache.outputs(of: self, through: index, images: images, identity: identity, batch: batch, training: false) {
            return (0..<outputs.count).flatMap { UnsafeBufferPointer(start: outputs.row($0), count: outputs.width) }
        }
        return try features(at: layerName, for: images, batch: batch)
    }

    /// Logits for each image, the frozen prefix's outputs read from the cache when it can.
    public func logits(for images: ImageSet, cache: PrefixFeatureCache?, identity: PrefixFeatureCache.Identity?, batch: Int = 256) -> [Float] {
        guard let cache, let identity, let end = frozenPrefixEnd(training: false),
              let outputs = cache.outputs(of: self, through: end, images: images, identity: identity, batch: batch, training: false)
        else { return logits(for: images, batch: batch) }
        return run(after: end, outputs: outputs, batch: batch, upTo: layers.count - 1)
    }
}

/// Copies cached prefix outputs (plain rows) into a layer's output buffer, whatever layout the
/// layer chose, for the layers after it to read. Rebuilt when the network rebuilds its kernels.
final class PrefixLoader {
    private var relayout: Relayout?
    private var built: ObjectIdentifier?
    let layer: Int

    init(layer: Int) { self.layer = layer }

    /// Writes `rows` (one `width`-float row per batch position, fewer than the batch: the rest zeros) into the layer's output.
    func load(into network: Network, rows: (Int) -> UnsafePointer<Float>?, width: Int) {
        let output = network.layers[layer].output!
        if built != ObjectIdentifier(output) {
            relayout = Relayout(producing: .plain(output.desc.shape), into: output)
            built = ObjectIdentifier(output)
        }
        let staging = relayout!.source.floats
        for j in 0..<network.batchSize {
            if let row = rows(j) {
                (staging + j * width).update(from: row, count: width)
            } else {
                (staging + j * width).update(repeating: 0, count: width)
            }
        }
        relayout!.run()
    }
}
