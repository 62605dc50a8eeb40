// How many cores this process may actually use: the CPUs of its affinity mask (taskset, Slurm's
// cgroup cpuset, a container's --cpuset-cpus) capped by a cgroup CPU quota (a container's
// --cpus, systemd's CPUQuota), not the machine's count. Foundation's activeProcessorCount
// reports the machine's 2 under `taskset -c 0`; defaults for --threads, --jobs and the image
// decoders built on it would then run two threads on one core.
import Foundation
import CSystem

public enum AvailableCores {
    /// The cores this process may use, at least 1.
    public static var count: Int {
        var cores = affinityCount ?? ProcessInfo.processInfo.activeProcessorCount
        if let quota = cgroupQuota { cores = min(cores, quota) }
        return max(1, cores)
    }

    /// The CPUs of this process's affinity mask, in order (nil when it cannot be read).
    public static var cpus: [Int]? {
        var out = [Int32](repeating: 0, count: 1024)
        let n = Int(harness_affinity_cpus(&out, Int32(out.count)))
        return n > 0 ? out.prefix(n).map(Int.init) : nil
    }

    /// Binds this thread and the threads it starts from now on to `cpus` (a worker's share).
    public static func bind(to cpus: [Int]) throws {
        let list = cpus.map(Int32.init)
        guard harness_bind_cpus(list, Int32(list.count)) == 0 else {
            throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "cannot bind to CPUs \(cpus): \(String(cString: strerror(errno)))"])
        }
    }

    /// CPUs in this process's affinity mask (nil when it cannot be read).
    static var affinityCount: Int? { cpus?.count }

    /// A cgroup v2 CPU quota in whole cores, rounded up (cpu.max "200000 100000" is 2; "max" none).
    static var cgroupQuota: Int? {
        guard let text = try? String(contentsOfFile: "/sys/fs/cgroup/cpu.max", encoding: .utf8) else { return nil }
        return quota(cpuMax: text)
    }

    static func quota(cpuMax text: String) -> Int? {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard parts.count == 2, let limit = Double(parts[0]), let period = Double(parts[1]), limit > 0, period > 0 else { return nil }
        return max(1, Int((limit / period).rounded(.up)))
    }
}
