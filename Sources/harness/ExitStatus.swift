// One table of exit statuses for every command, so scripts and schedulers can tell a typo from a
// bad file from a comparison that ran with some cells failed. `harness --help` prints it and
// docs/guide.md ("Exit status") holds the same table.
import ArgumentParser
import Foundation
import HarnessCore

enum HarnessExit: Int32, CaseIterable {
    case ok = 0
    case error = 1
    case cellsFailed = 3
    case trackerFailed = 4
    case usage = 64
    case interrupted = 130

    /// What the status means, as `harness --help` and docs/guide.md say it.
    var meaning: String {
        switch self {
        case .ok: return "done"
        case .error: return "a file, data set, database or system call failed (the message names it)"
        case .cellsFailed: return "the comparison finished with some cells failed (their rows say why)"
        case .trackerFailed: return "results stored; logging them to MLflow failed"
        case .usage: return "the command line is wrong: unknown option or name, value out of range, conflicting options"
        case .interrupted: return "interrupted: finished cells are stored; the same command resumes"
        }
    }

    static var table: String { allCases.map { "\($0.rawValue): \($0.meaning)" }.joined(separator: "; ") }

    /// A strategy name that strategies.json does not hold is a usage error, though it is found
    /// only when run() binds the strategies. (Network and data-set names are checked in the
    /// commands' validate(), which ArgumentParser already gives the usage status.)
    static func isUsage(_ error: Error) -> Bool {
        guard let e = error as? PluginError else { return false }
        switch e {
        case .unknownStrategy, .unknownConfiguration: return true
        default: return false
        }
    }
}

extension Harness {
    /// ArgumentParser's main, with usage errors from below the CLI given the usage status.
    static func main() {
        // --version says what `harness version` says (the commit too), computed only when asked.
        if CommandLine.arguments.dropFirst() == ["--version"] {
            Version().run()
            return
        }
        let typed = Array(CommandLine.arguments.dropFirst())
        var arguments = typed
        do {
            arguments = try RunFile.expand(typed)
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            if arguments != typed {
                let added = Array(arguments.dropFirst().prefix(arguments.count - typed.count))
                FileHandle.standardError.write(Data("note: --run-file gave the options \(added.joined(separator: " ")), ahead of those typed\n".utf8))
            }
            if HarnessExit.isUsage(error) {
                FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
                Foundation.exit(HarnessExit.usage.rawValue)
            }
            exit(withError: error)
        }
    }
}
