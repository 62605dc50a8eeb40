// Threads that behave on a shared machine. Measured here (2026-12-02, AMD EPYC, 2 cores, the
// default network trained for 3 epochs; /tmp measurements in docs/results.md): idle, 2 threads
// took 3.2 s; beside a process spinning on one core, 2 threads took 9.7 s with OpenMP's default
// wait (threads spin at every barrier, fighting the other process for its core), 7.3 s with
// OMP_WAIT_POLICY=PASSIVE, and 5.6 s with 1 thread. So when other processes keep cores busy, the
// default is one thread per free core; when the user asks for more threads than are free, the
// engine's threads in the processes harness starts wait passively (idle, passive waiting cost 12%,
// so it is not the default). The machine is sampled once, briefly, before any work starts.
import Foundation

public struct ThreadPlan: Equatable, Sendable {
    /// Threads for the compute kernels.
    public var threads: Int
    /// Whether engine threads should sleep rather than spin while waiting (OMP_WAIT_POLICY=PASSIVE).
    public var passive: Bool
    /// What to tell the user (nil: nothing unusual).
    public var note: String?

    /// `available`: cores this process may use; `busy`: cores other processes kept busy;
    /// `requested`: --threads when given.
    public static func decide(available: Int, busy: Double, requested: Int?) -> ThreadPlan {
        let free = max(1, min(available, Int((Double(available) - busy + 0.25).rounded(.down))))
        let describeBusy = String(format: "other processes keep %.1f of %d cores busy", min(busy, Double(available)), available)
        guard let requested else {
            return ThreadPlan(threads: free, passive: false,
                              note: free < available ? "\(describeBusy): the kernels use \(free) thread\(free == 1 ? "" : "s") (--threads N to choose)" : nil)
        }
        let oversubscribed = requested > free
        return ThreadPlan(threads: requested, passive: oversubscribed,
                          note: oversubscribed ? "\(describeBusy) and --threads \(requested) asks for more: engine threads wait passively (OMP_WAIT_POLICY=PASSIVE) in the processes harness starts" : nil)
    }
}

public enum MachineLoad {
    /// Cores kept busy over `seconds` by every process on the machine (this one is idle while it
    /// samples), from /proc/stat; nil where that cannot be read.
    public static func busyCores(over seconds: Double = 0.2) -> Double? {
        guard let a = cpuTimes() else { return nil }
        Thread.sleep(forTimeInterval: seconds)
        guard let b = cpuTimes() else { return nil }
        return busyCores(from: a, to: b)
    }

    /// Busy cores between two /proc/stat samples: the busy share of all ticks times the cores.
    static func busyCores(from a: (busy: Double, total: Double, cores: Int), to b: (busy: Double, total: Double, cores: Int)) -> Double {
        let total = b.total - a.total
        guard total > 0 else { return 0 }
        return (b.busy - a.busy) / total * Double(b.cores)
    }

    static func cpuTimes() -> (busy: Double, total: Double, cores: Int)? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        return cpuTimes(procStat: text)
    }

    /// The aggregate "cpu" line: user nice system idle iowait irq softirq steal ...; idle and
    /// iowait are not busy. Cores are the "cpuN" lines.
    static func cpuTimes(procStat text: String) -> (busy: Double, total: Double, cores: Int)? {
        let lines = text.split(separator: "\n")
        guard let line = lines.first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard ticks.count >= 4 else { return nil }
        let total = ticks.prefix(8).reduce(0, +)
        let idle = ticks[3] + (ticks.count > 4 ? ticks[4] : 0)
        let cores = lines.filter { $0.hasPrefix("cpu") && !$0.hasPrefix("cpu ") }.count
        return (total - idle, total, max(cores, 1))
    }

    /// This process's plan, decided once (the first call samples the machine).
    public static func plan(requested: Int?) -> ThreadPlan {
        let busy = sampled ?? 0
        return ThreadPlan.decide(available: AvailableCores.count, busy: busy, requested: requested)
    }

    private static let sampled: Double? = busyCores()

    /// Makes the processes this one starts wait passively (unless the user chose a policy).
    public static func preferPassiveWaitingInChildren() {
        if ProcessInfo.processInfo.environment["OMP_WAIT_POLICY"] == nil { setenv("OMP_WAIT_POLICY", "PASSIVE", 1) }
    }
}
