// `harness cache`: the cached source networks, decoded image folders and plugin scans.
import ArgumentParser
import Foundation
import HarnessCore

struct Cache: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List or clear the cached source networks, decoded image folders and plugin scans.",
        subcommands: [List.self, Clear.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List cached networks (the default).")
        func run() {
            let cache = NetworkCache()
            let entries = cache.entries()
            print("\(entries.count) cached network\(entries.count == 1 ? "" : "s") in \(cache.directory)")
            for e in entries { print("  \((e.path as NSString).lastPathComponent)  \(e.bytes / 1024) KiB  \(e.summary)") }
        }
    }

    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete every cached network, decoded image folder and remembered plugin scan.")
        func run() throws {
            let cache = NetworkCache(), images = DecodedImageCache(), scans = PluginScanner(executable: "")
            print("removed \(try cache.clear()) cached networks from \(cache.directory)")
            print("removed \(try images.clear()) decoded image folders from \(images.directory)")
            print("removed \(try scans.clearCache()) remembered plugin scans from \(PluginScanner.defaultCacheFile)")
        }
    }
}
