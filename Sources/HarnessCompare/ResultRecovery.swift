// Results a comparison could not write to its database (locked past the wait, a full disk, an
// I/O error) are kept as files, never lost: beside the database when there is room, else in the
// cache folder, else in the temporary folder, each under a name derived from the database's
// path. The next time that database is opened (the rerun of the same comparison, `leaderboard`)
// it stores them and removes the files, so the work is not done twice.
import Foundation
import HarnessSupport

public struct ResultRecovery: Sendable {
    public let databasePath: String

    public init(databasePath: String) { self.databasePath = databasePath }

    /// One kept result.
    struct Entry: Codable {
        var cell: Cell
        var result: CellResult
    }

    /// Where kept results go, in order of preference.
    public var folders: [String] {
        let absolute = URL(fileURLWithPath: databasePath).standardizedFileURL.path
        let tag = "recovery-" + StableHash.of(absolute)
        return [absolute + ".recovery", (CacheDirectory.networks as NSString).deletingLastPathComponent + "/" + tag,
                FileManager.default.temporaryDirectory.appendingPathComponent("harness-" + tag).path]
    }

    /// Writes the result to the first folder that takes it; returns the file, or nil when no
    /// folder could (then the result is lost, and the caller says so).
    public func keep(_ cell: Cell, _ result: CellResult) -> String? {
        guard let data = try? HarnessJSON.encoder.encode(Entry(cell: cell, result: result)) else { return nil }
        for folder in folders {
            let file = folder + "/\(cell.key).json"
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                try ChildProcess.writeResult(data, to: file)
                return file
            } catch {
                try? FileManager.default.removeItem(atPath: file + ".partial")
                rmdir(folder)  // only if empty: a folder made just now for nothing
            }
        }
        return nil
    }

    /// Every kept result, with its file.
    func pending() -> [(file: String, entry: Entry)] {
        folders.flatMap { folder -> [(String, Entry)] in
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
            return names.compactMap { name in
                let file = folder + "/" + name
                guard let data = FileManager.default.contents(atPath: file),
                      let entry = try? HarnessJSON.decoder.decode(Entry.self, from: data) else { return nil }
                return (file, entry)
            }
        }
    }
}
