// Where a training step's time goes: seconds per layer and phase (forward, backward-data,
// backward-weights), plus the work around the layers (data loading, loss, optimiser step).
// Off by default; `harness bench` switches it on (two clock reads per layer and phase cost
// microseconds in a step of tens of milliseconds).
import Foundation

public final class StepProfile {
    public enum Phase: String, CaseIterable, Sendable {
        case forward
        case backwardData = "backward-data"
        case backwardWeights = "backward-weights"
        /// Work outside the layers: gathering the batch, the loss, the optimiser.
        case step
    }

    public struct Entry: Sendable {
        public var stage: String
        public var phase: Phase
        public var seconds: Double
        public var calls: Int
    }

    /// In first-seen order, so the table reads like the step itself.
    public private(set) var entries: [Entry] = []
    private var index: [String: Int] = [:]

    public init() {}

    @inline(__always)
    public func time<T>(_ stage: String, _ phase: Phase, _ body: () throws -> T) rethrows -> T {
        let start = Self.now()
        defer { add(stage, phase, Self.now() - start) }
        return try body()
    }

    public func add(_ stage: String, _ phase: Phase, _ seconds: Double) {
        let key = "\(stage)\u{1}\(phase.rawValue)"
        if let i = index[key] {
            entries[i].seconds += seconds
            entries[i].calls += 1
        } else {
            index[key] = entries.count
            entries.append(Entry(stage: stage, phase: phase, seconds: seconds, calls: 1))
        }
    }

    public var totalSeconds: Double { entries.reduce(0) { $0 + $1.seconds } }

    public func seconds(_ stage: String, _ phase: Phase) -> Double {
        index["\(stage)\u{1}\(phase.rawValue)"].map { entries[$0].seconds } ?? 0
    }

    package static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}

extension Optional where Wrapped == StepProfile {
    /// Runs `body`, timed into the profile when there is one (no clock read when there is not).
    @inline(__always)
    func time<T>(_ stage: String, _ phase: StepProfile.Phase, _ body: () throws -> T) rethrows -> T {
        if let profile = self { return try profile.time(stage, phase, body) }
        return try body()
    }
}
