// What batch normalisation layers do with their statistics while a network trains, a transfer
// question of its own: keep the source's statistics in frozen layers, or estimate the target's
// (AdaBN, Li et al. 2016, adapts a network to a new domain by doing only that).
import HarnessData
public enum BatchNormStatistics: String, CaseIterable, Codable, Sendable {
    /// PyTorch's model.train(): every layer normalises with each batch's statistics and folds
    /// them into its running statistics (momentum 0.1), frozen layers included.
    case batch
    /// Layers whose parameters are frozen normalise with their running statistics (the
    /// source's, when copied) and keep them: a frozen layer computes exactly what it did.
    case frozen
    /// As `batch` while training; then every layer's running statistics are estimated afresh
    /// on the training images, one pass with equal weights per batch.
    case adabn
}

extension Network {
    var batchNormLayers: [BatchNormalization] { layers.compactMap { $0 as? BatchNormalization } }

    /// Sets each layer's statistics for the training run that follows.
    public func prepareStatistics(_ mode: BatchNormStatistics) {
        for bn in batchNormLayers { bn.freezesStatistics = mode == .frozen && bn.parameters.allSatisfy(\.isFrozen) }
    }

    /// Replaces every batch normalisation layer's running statistics with the mean and unbiased
    /// variance of its inputs over `images` (whole batches only; other layers run as in
    /// inference, so dropout draws nothing, and none past the last batch normalisation runs).
    /// Returns the number of layers re-estimated.
    @discardableResult
    public func reestimateStatistics(on images: ImageSet, batch: Int) -> Int {
        let layers = batchNormLayers
        guard !layers.isEmpty, images.count > 0 else { return 0 }
        let size = min(batch, images.count)
        prepare(batch: size)
        for bn in layers {
            bn.freezesStatistics = false
            bn.runningMean.valuePointer.update(repeating: 0, count: bn.channels)
            bn.runningVariance.valuePointer.update(repeating: 1, count: bn.channels)
            bn.estimatedBatches = 0
        }
        let last = self.layers.lastIndex { $0 is BatchNormalization }!
        for start in stride(from: 0, through: images.count - size, by: size) {
            images.copyImages(start..<(start + size), into: inputBuffer)
            for layer in self.layers[...last] { layer.forward(training: layer is BatchNormalization) }
        }
        for bn in layers { bn.estimatedBatches = nil }
        return layers.count
    }
}
