// Where the harness keeps what it can make again: trained source networks, decoded images and
// plugin scans. One place decides it, so every layer finds the same folders.
import Foundation

public enum CacheDirectory {
    /// Cached networks: $HARNESS_CACHE_DIR, else $XDG_CACHE_HOME/harness/networks, else
    /// ~/.cache/harness/networks. The other caches sit beside it.
    public static var networks: String {
        let env = ProcessInfo.processInfo.environment
        if let d = env["HARNESS_CACHE_DIR"] { return d }
        let base = env["XDG_CACHE_HOME"] ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.cache")
        return base + "/harness/networks"
    }

    /// Decoded image folders: $HARNESS_CACHE_DIR/images, else ~/.cache/harness/images.
    public static var images: String {
        if ProcessInfo.processInfo.environment["HARNESS_CACHE_DIR"] != nil { return networks + "/images" }
        return (networks as NSString).deletingLastPathComponent + "/images"
    }

    /// The plugin scanner's record of what each plugin file declares.
    public static var pluginScans: String { networks + "/plugin-scans.json" }
}
