// `--run-file run.json`: a comparison's options kept in a file instead of a long command line.
// The file is one JSON object whose keys are the command's long options ("target-per-class" or
// "target_per_class") and whose values are what would follow them: strings, numbers, true for a
// flag (false leaves it out), lists for comma-separated values ("strategies": ["freeze3",
// "finetune"]). It is expanded into arguments before parsing, ahead of the command line's own,
// so an option on the command line overrides the file; every key goes through the same parser
// as typed options, so an unknown key is the same usage error. The file's contents are recorded
// with the comparison's provenance.
import ArgumentParser
import Foundation
import HarnessCore

enum RunFile {
    static let flag = "--run-file"

    /// The commands that take one.
    static let commands: Set = ["compare", "transfer-curve"]

    /// `arguments` (without the program name) with a run file's options put in front of the
    /// command's own; unchanged when no --run-file is given.
    static func expand(_ arguments: [String]) throws -> [String] {
        guard let i = arguments.firstIndex(where: { $0 == flag || $0.hasPrefix(flag + "=") }) else { return arguments }
        guard let command = arguments.first, commands.contains(command) else {
            throw ValidationError("\(flag) goes with \(commands.sorted().joined(separator: " or ")), e.g. harness compare \(flag) run.json")
        }
        let path: String
        if arguments[i].hasPrefix(flag + "=") {
            path = String(arguments[i].dropFirst(flag.count + 1))
        } else {
            guard i + 1 < arguments.count else { throw ValidationError("\(flag) needs a file, e.g. \(flag) run.json") }
            path = arguments[i + 1]
        }
        return [command] + (try options(in: path)) + arguments.dropFirst()
    }

    /// The file's options as command-line arguments.
    static func options(in path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("\(flag) \(path): no such file (or it cannot be read)")
        }
        let options: [String: Value]
        do { options = try JSONDecoder().decode([String: Value].self, from: data) } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            throw ValidationError("\(path): '\(context.codingPath[0].stringValue)': \(context.debugDescription)")
        } catch {
            throw ValidationError("\(path) must hold one JSON object of options (strings, numbers, true/false or lists), "
                                  + "e.g. {\"strategies\": [\"freeze3\", \"finetune\"], \"seeds\": 5}")
        }
        var arguments: [String] = []
        for key in options.keys.sorted() {
            let name = "--" + (key.hasPrefix("--") ? String(key.dropFirst(2)) : key).replacingOccurrences(of: "_", with: "-")
            guard name != flag else { throw ValidationError("\(path): a run file cannot name another run file") }
            switch options[key]! {
            case let .flag(on):
                if on { arguments.append(name) }
            case let .text(s):
                arguments += [name, s]
            case let .list(items):
                // A repeatable option (--plugin-path) repeats; the others take a comma-separated list.
                if name == "--plugin-path" { items.forEach { arguments += [name, $0] } } else { arguments += [name, items.joined(separator: ",")] }
            }
        }
        return arguments
    }

    /// A value in a run file, as the argument text it stands for.
    enum Value: Decodable {
        case flag(Bool), text(String), list([String])

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .flag(b) }
            else if let i = try? c.decode(Int.self) { self = .text("\(i)") }
            else if let x = try? c.decode(Double.self) { self = .text("\(x)") }
            else if let s = try? c.decode(String.self) { self = .text(s) }
            else if let l = try? c.decode([Value].self) {
                self = .list(try l.map { v in
                    guard case let .text(t) = v else { throw DecodingError.dataCorruptedError(in: c, debugDescription: "a list holds strings or numbers") }
                    return t
                })
            } else { throw DecodingError.dataCorruptedError(in: c, debugDescription: "a value is a string, a number, true/false or a list") }
        }
    }

    /// The file's contents, to record with the run (nil without one, or if it vanished).
    static func contents(_ path: String?) -> String? {
        path.flatMap { FileManager.default.contents(atPath: $0) }.map { String(decoding: $0, as: UTF8.self) }
    }
}
