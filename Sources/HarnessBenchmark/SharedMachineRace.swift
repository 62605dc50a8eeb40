// Threads on a shared machine, raced (issue 27, item 3): training throughput with every core's
// thread, alone and beside a process that keeps one core busy (`yes > /dev/null`), harness
// against PyTorch, each side in a fresh process as a user would start it. Beside the busy core
// the harness side runs as harness runs its workers there (ThreadPlan: the threads asked for,
// waiting passively because the machine is oversubscribed), and once more with the harness's own
// default (one thread per free core). PyTorch runs as a PyTorch user runs it: the threads asked
// for, OpenMP's default wait.
import Foundation
import HarnessEngine
import HarnessSupport

public struct SharedMachineCase: Codable, Sendable {
    /// e.g. "resnet18 train 112px batch 32".
    public var description: String
    public var threads: Int
    /// Cores the competing process kept busy, as the harness sampled them.
    public var busyCores: Double
    /// Images per second, one value per alternating run.
    public var aloneHarness = RepeatedMeasurement([])
    public var aloneTorch = RepeatedMeasurement([])
    public var busyHarness = RepeatedMeasurement([])
    public var busyTorch = RepeatedMeasurement([])
    /// The harness's default beside the busy core: `defaultThreads` threads (the free cores).
    public var busyHarnessDefault = RepeatedMeasurement([])
    public var defaultThreads: Int
    /// Whether the harness side waited passively beside the busy core (what ThreadPlan decided).
    public var passive: Bool

    /// harness / PyTorch, both at `threads` threads beside the busy core.
    public var busyRatio: Double { busyHarness.pairedRatio(to: busyTorch) }
    public var aloneRatio: Double { aloneHarness.pairedRatio(to: aloneTorch) }
    /// The harness's default against PyTorch at `threads` threads, beside the busy core.
    public var busyDefaultRatio: Double { busyHarnessDefault.pairedRatio(to: busyTorch) }
}

public struct SharedMachineRace {
    /// The workload: a zoo network trained at `size` px, both sides from the backbone race's scripts.
    public var backbone: BackboneRace

    public init(backbone: BackboneRace) { self.backbone = backbone }

    public func run(scratch: URL, log: (String) -> Void) throws -> SharedMachineCase {
        let network = backbone.networks[0], threads = backbone.threads
        let arguments = backbone.arguments(network, training: true)
        let description = "\(network.rawValue) train \(backbone.size)px batch \(backbone.batch)"
        log("shared machine: \(description), \(threads) threads, alone and beside `yes > /dev/null`, \(backbone.repeats) alternating runs per side")
        var alone: [(Double, Double)] = []
        for _ in 1...backbone.repeats {
            alone.append((try backbone.side("harness", backbone.executable, ["bench-backbone"] + arguments, scratch: scratch).throughput.imagesPerSecond,
                          try backbone.side("PyTorch", backbone.python, [backbone.script] + arguments, scratch: scratch).throughput.imagesPerSecond))
        }

        let competitor = Process()
        competitor.executableURL = URL(fileURLWithPath: "/usr/bin/yes")
        competitor.standardOutput = FileHandle.nullDevice
        try competitor.run()
        defer { competitor.terminate(); competitor.waitUntilExit() }
        // What harness itself would decide here, from the same /proc/stat sample its commands take.
        let busy = MachineLoad.busyCores(over: 0.5) ?? 1
        let asked = ThreadPlan.decide(available: AvailableCores.count, busy: busy, requested: threads)
        let chosen = ThreadPlan.decide(available: AvailableCores.count, busy: busy, requested: nil)
        log(String(format: "shared machine: the competing process keeps %.1f cores busy; harness at --threads %d waits %@, its default is %d thread%@",
                   busy, threads, asked.passive ? "passively" : "actively", chosen.threads, chosen.threads == 1 ? "" : "s"))
        var result = SharedMachineCase(description: description, threads: threads, busyCores: busy, defaultThreads: chosen.threads, passive: asked.passive)
        result.aloneHarness = RepeatedMeasurement(alone.map(\.0))
        result.aloneTorch = RepeatedMeasurement(alone.map(\.1))
        let waiting = asked.passive ? ["OMP_WAIT_POLICY": "PASSIVE"] : [:]
        // The same run at the thread count harness would choose by itself here.
        var chosenArguments = arguments
        chosenArguments[chosenArguments.firstIndex(of: "--threads")! + 1] = "\(chosen.threads)"
        for r in 1...backbone.repeats {
            result.busyHarness.values.append(try backbone.side("harness", backbone.executable, ["bench-backbone"] + arguments, environment: waiting,
                                                               scratch: scratch).throughput.imagesPerSecond)
            result.busyTorch.values.append(try backbone.side("PyTorch", backbone.python, [backbone.script] + arguments, scratch: scratch).throughput.imagesPerSecond)
            result.busyHarnessDefault.values.append(try backbone.side("harness", backbone.executable, ["bench-backbone"] + chosenArguments,
                                                                      scratch: scratch).throughput.imagesPerSecond)
            log(String(format: "shared machine run %d/%d beside the busy core: harness %.1f images/s (%d threads; %.1f with its default %d), PyTorch %.1f",
                       r, backbone.repeats, result.busyHarness.values.last!, threads, result.busyHarnessDefault.values.last!, chosen.threads,
                       result.busyTorch.values.last!))
        }
        return result
    }
}
