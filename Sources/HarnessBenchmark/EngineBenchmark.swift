// The harness engine's side of `harness bench`: training and inference throughput through the
// same code users run (Trainer.train, Network.logits), after untimed warm-up batches that let
// oneDNN build its kernels.
import HarnessData
import HarnessEngine

public struct Throughput: Codable, Equatable, Sendable {
    public var images: Int
    public var seconds: Double
    public var imagesPerSecond: Double { seconds > 0 ? Double(images) / seconds : 0 }

    public init(images: Int, seconds: Double) {
        self.images = images
        self.seconds = seconds
    }
}

public enum EngineBenchmark {
    /// Trains `steps` minibatches of `batch` images (one epoch over the first steps x batch
    /// images after the warm-up ones) and times them. With a profile, also records where the
    /// time went (a clock read per layer and phase: microseconds in a step of milliseconds).
    public static func training(_ network: Network, on data: ImageSet, batch: Int, steps: Int, warmup: Int,
                                profile: StepProfile? = nil, augmentation: Augmentation = .none, precision: Precision = .fp32) throws -> Throughput {
        let needed = (warmup + steps) * batch
        precondition(data.count >= needed, "the benchmark needs \(needed) training images, the data has \(data.count)")
        var h = Hyperparameters.defaults.with(.epochs, .int(1)).with(.batchSize, .int(batch))
        h.augmentation = augmentation
        h.precision = precision
        if warmup > 0 { _ = try Trainer.train(network, on: data.subset(Array(0..<(warmup * batch))), hyperparameters: h, seed: 1) }
        let timed = data.subset(Array((warmup * batch)..<needed))
        network.profile = profile
        defer { network.profile = nil }
        let start = StepProfile.now()
        _ = try Trainer.train(network, on: timed, hyperparameters: h, seed: 1)
        return Throughput(images: steps * batch, seconds: StepProfile.now() - start)
    }

    /// Predicts `steps` batches of `batch` images after `warmup` untimed ones, with kernels
    /// built for that batch size.
    public static func inference(_ network: Network, on data: ImageSet, batch: Int, steps: Int, warmup: Int) -> Throughput {
        let needed = (warmup + steps) * batch
        precondition(data.count >= needed, "the benchmark needs \(needed) images, the data has \(data.count)")
        network.prepare(batch: batch)
        let size = data.imageSize
        let all = data.pixels
        if warmup > 0 { _ = network.predict(Array(all[0..<(warmup * batch * size)]), batch: batch) }
        let images = Array(all[(warmup * batch * size)..<(needed * size)])
        let start = StepProfile.now()
        _ = network.predict(images, batch: batch)
        return Throughput(images: steps * batch, seconds: StepProfile.now() - start)
    }
}
