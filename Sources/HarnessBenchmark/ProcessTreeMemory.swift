// Peak resident memory of a process and all its descendants, summed at each moment: what a
// comparison (a coordinator plus worker processes) really occupies. Sampled from /proc, so
// short spikes between samples can be missed; the interval is small for that reason.
import Foundation

public final class ProcessTreeMemory: @unchecked Sendable {
    private let root: pid_t
    private let interval: Double
    private let lock = NSLock()
    private var peak = 0
    private var running = true
    private let finished = DispatchSemaphore(value: 0)

    /// Starts sampling the tree under `root` every `interval` seconds until `stop()`.
    public init(root: pid_t, interval: Double = 0.02) {
        self.root = root
        self.interval = interval
        Thread.detachNewThread { [self] in
            while lock.withLock({ running }) {
                let now = Self.residentBytes(ofTreeUnder: root)
                lock.withLock { peak = max(peak, now) }
                Thread.sleep(forTimeInterval: interval)
            }
            finished.signal()
        }
    }

    /// Stops sampling and returns the peak in bytes.
    public func stop() -> Int {
        lock.withLock { running = false }
        finished.wait()
        return lock.withLock { peak }
    }

    /// Sum of VmRSS over `root` and every process whose parent chain leads to it.
    static func residentBytes(ofTreeUnder root: pid_t) -> Int {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return 0 }
        var parent: [pid_t: pid_t] = [:]
        for name in entries {
            guard let pid = pid_t(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // Fields after "(comm)": state, ppid, ...; comm may contain spaces, hence lastIndex.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let ppid = pid_t(fields[1]) { parent[pid] = ppid }
        }
        func inTree(_ pid: pid_t) -> Bool {
            var p = pid, hops = 0
            while p > 1, hops < 64 {
                if p == root { return true }
                guard let next = parent[p] else { return false }
                p = next
                hops += 1
            }
            return false
        }
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        return parent.keys.filter(inTree).reduce(0) { sum, pid in
            guard let statm = try? String(contentsOfFile: "/proc/\(pid)/statm", encoding: .utf8) else { return sum }
            let fields = statm.split(separator: " ")
            return sum + (fields.count > 1 ? (Int(fields[1]) ?? 0) * pageSize : 0)
        }
    }
}
