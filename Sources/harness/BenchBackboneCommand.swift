// `harness bench-backbone`: the engine's side of one run of `harness bench`'s backbone race, in a
// process of its own so its peak memory is measured alone (started by `harness bench`).
import ArgumentParser
import Foundation
import HarnessCore

struct BenchBackbone: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-backbone",
        abstract: "Time one zoo network at one size (started by harness bench).",
        shouldDisplay: false)

    @Option(help: "A zoo network.") var network: String
    @Option(parsing: .unconditional, help: "Input height and width.") var size: Int
    @Option(parsing: .unconditional, help: "Images per batch.") var batch: Int
    @Option(parsing: .unconditional, help: "Timed batches.") var steps: Int
    @Option(parsing: .unconditional, help: "Untimed batches first.") var warmup: Int
    @Option(help: "train or infer.") var op: String
    @Option(help: "Training-image augmentation (train only).") var augment = "none"
    @Option(help: "fp32, or bf16 products (native bf16 processors only).") var precision: Precision = .fp32
    @OptionGroup var threading: ThreadOptions

    func validate() throws {
        guard ["train", "infer"].contains(op) else { throw ValidationError("--op must be train or infer, not '\(op)'") }
        guard Architecture(rawValue: network) != nil else { throw ValidationError("unknown network '\(network)'; harness networks lists them") }
        guard Augmentation(augment) != nil else { throw ValidationError("--augment: '\(augment)' is not an augmentation") }
        guard size > 0, batch > 0, steps > 0, warmup >= 0 else { throw ValidationError("--size, --batch and --steps must be positive, --warmup at least 0") }
    }

    func run() throws {
        threading.apply()
        let result = try BackboneRace.engineSide(network: Architecture(rawValue: network)!, size: size, batch: batch,
                                                 steps: steps, warmup: warmup, training: op == "train", augmentation: Augmentation(augment)!,
                                                 precision: precision)
        print(String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
    }
}
