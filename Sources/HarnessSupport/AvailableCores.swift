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
        var cores = affinityCount ?? AvailableCores.count
        if let quota = cgroupQuota { cores = min(cores, quota) }
        return max(1, cores)
    }

    /// CPUs in this process's affinity mask (nil when it cannot be read).
    static var affinityCount: Int? {
        let n = Int(harness_affinity_count())
        return n > 0 ? n : nil
    }

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
