// A process and everything it started, read from /proc: what the host kills when a plugin's time
// is up, so a plugin that forks a child or double-forks a daemon cannot keep running after its
// cell. A daemon that calls setsid() leaves its process group but not this tree, because every
// harness child is a child subreaper (ChildProcess.guardChild): orphans of the plugin are
// re-parented to the worker, not to init.
import CSystem
import Foundation

public enum ProcessTree {
    /// The parent of every live process (zombies left out: they run no code, and a killed
    /// process stays one until its parent reaps it).
    static func parents() -> [pid_t: pid_t] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [:] }
        var parent: [pid_t: pid_t] = [:]
        for name in entries {
            guard let pid = pid_t(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // Fields after "(comm)": state, ppid, ...; comm may contain spaces, hence lastIndex.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, fields[0] != "Z", let ppid = pid_t(fields[1]) else { continue }
            parent[pid] = ppid
        }
        return parent
    }

    /// Every live process whose parent chain leads to `root` (`root` itself left out).
    public static func descendants(of root: pid_t) -> [pid_t] {
        let parent = parents()
        return parent.keys.filter { pid in
            var p = parent[pid] ?? 0, hops = 0
            while p > 1, hops < 4096 {
                if p == root { return true }
                guard let next = parent[p] else { return false }
                p = next
                hops += 1
            }
            return false
        }
    }

    /// Kills (SIGKILL) every descendant of `root`, and `root` too if asked, round after round
    /// until none is left alive: a process can fork while the kill goes on. Descendants go
    /// first, so none is orphaned out of the tree before it is found. Returns how many it killed.
    @discardableResult
    public static func kill(_ root: pid_t, includingRoot: Bool) -> Int {
        var killed = 0
        for _ in 0..<50 {
            let found = descendants(of: root)
            if found.isEmpty { break }
            for pid in found where Foundation.kill(pid, SIGKILL) == 0 { killed += 1 }
            usleep(2_000)
        }
        if includingRoot, Foundation.kill(root, SIGKILL) == 0 { killed += 1 }
        return killed
    }
}
