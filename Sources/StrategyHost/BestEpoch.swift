// Early stopping, decided by the host on validation images: during one training run of a
// strategy, the weights of the epoch with the best validation accuracy are kept and put back at
// the end of the run. The strategy never sees a validation label; it gets back a network as if
// its run had stopped at that epoch. (One-cycle and cosine schedules still plan for every epoch,
// so this picks an epoch along the planned run rather than shortening it.)
import HarnessMetrics
import HarnessData
import HarnessEngine

final class BestEpoch {
    private let images: ImageSet
    /// The best epoch so far (0 before any) and its validation accuracy.
    private(set) var epoch = 0
    private(set) var accuracy = -1.0
    private var weights: [[Float]] = []

    /// `validation`: normalised as the training images are, with labels.
    init(validation: ImageSet) { images = validation }

    /// Scores the network after `epoch`; keeps its weights when they beat every earlier epoch
    /// (the earliest of equals is kept). Returns the accuracy, for the epoch's record.
    func epochEnded(_ network: Network, epoch: Int) -> Double {
        // At the batch size training built its kernels for (batch 1 asks for no larger ones):
        // rebuilding them for another size twice an epoch costs more than the scoring itself.
        let accuracy = ClassificationMetrics(predictions: network.predict(images, batch: 1), labels: images.labels,
                                             classCount: network.classes).accuracy
        if accuracy > self.accuracy {
            self.accuracy = accuracy
            self.epoch = epoch
            weights = network.state.map(\.values)
        }
        return accuracy
    }

    /// Puts the best epoch's weights (and running statistics) back (momentum dropped: a later run starts afresh).
    func restore(_ network: Network) {
        guard !weights.isEmpty else { return }
        for (p, w) in zip(network.state, weights) {
            p.values = w
            p.momentum = []
        }
    }
}
