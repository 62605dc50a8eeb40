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

    /// Outputs of frozen network prefixes (PrefixFeatureCache): $HARNESS_CACHE_DIR/features,
    /// else ~/.cache/harness/features.
    public static var features: String {
        if ProcessInfo.processInfo.environment["HARNESS_CACHE_DIR"] != nil { return networks + "/features" }
        return (networks as NSString).deletingLastPathComponent + "/features"
    }

    /// The plugin scanner's record of what each plugin file declares.
    public static var pluginScans: String { networks + "/plugin-scans.json" }
}
