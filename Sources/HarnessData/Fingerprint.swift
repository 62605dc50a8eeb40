// What identifies a data set's content for cache and result keys: its name, classes, shapes,
// labels and every pixel, hashed with the project's stable hash.
import HarnessSupport

extension Dataset {
    /// Identifies the data itself (not where it came from), for cache keys.
    public var fingerprint: String {
        var h = StableHash()
        h.add(name)
        h.add(classNames.joined(separator: "|"))
        for set in [train, test] {
            h.add("\(set.count)x\(set.channels)x\(set.height)x\(set.width)")
            h.add(contentsOf: set.labels)
            set.addPixels(to: &h)
        }
        return h.hex
    }
}
