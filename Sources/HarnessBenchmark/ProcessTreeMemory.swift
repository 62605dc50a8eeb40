// Peak resident memory of a process and all its descendants, summed at each moment: what a
// comparison (a coordinator plus worker processes) really occupies. Sampled from /proc, so
// short spikes between samples can be missed; the interval is small for that reason.
import Foundation
import HarnessSupport

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
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        return ([root] + ProcessTree.descendants(of: root)).reduce(0) { sum, pid in
            guard let statm = try? String(contentsOfFile: "/proc/\(pid)/statm", encoding: .utf8) else { return sum }
            let fields = statm.split(separator: " ")
            return sum + (fields.count > 1 ? (Int(fields[1]) ?? 0) * pageSize : 0)
        }
    }
}
