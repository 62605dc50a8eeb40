// A data set as one string, for --source and --target:
//
//   SPEC       = DATA [":" CLASSES] { "@" TRANSFORM }
//   DATA       = a known data set (fashion-mnist) or a folder (four IDX files, or images per class)
//   CLASSES    = ITEM { "," ITEM }, ITEM = a class number, a range N-M, or a class name
//   TRANSFORM  = rotate:DEGREES | invert | noise:SIGMA | blur:SIGMA | downscale:FACTOR | gray
//
// e.g. fashion-mnist:0-4, fashion-mnist:sandal,sneaker@rotate:90@noise:0.2, ./photos@gray.
// Classes are relabelled in the order listed. A malformed SPEC is an error that points at the
// offending character and says what is allowed there.
import Foundation

public struct DataSpec: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// A known name or a folder, as written.
    public var data: String
    /// The class list as written, each item with its offset in the SPEC (nil: every class).
    public var classItems: [ClassItem]?
    public var transforms: [DomainTransform]
    /// The text as given, for pointing at errors found after parsing (an unknown class name).
    public var text: String

    public struct ClassItem: Equatable, Hashable, Sendable {
        public var text: String
        public var offset: Int
    }

    public static let grammar = "DATA[:CLASSES][@TRANSFORM]... where DATA is a known data set (\(DataSource.knownNames.joined(separator: ", "))) "
        + "or a folder, CLASSES a list of class numbers, ranges (0-4) or names, and TRANSFORM one of \(DomainTransform.allowed); "
        + "e.g. fashion-mnist:0-4@rotate:90@noise:0.2"

    public init(_ text: String) throws {
        self.text = text
        let chars = Array(text)
        func fail(_ at: Int, _ length: Int, _ message: String, _ allowed: String) -> DataSpecError {
            DataSpecError(spec: text, offset: at, length: max(1, length), message: message, allowed: allowed)
        }
        let dataEnd = chars.firstIndex(where: { $0 == ":" || $0 == "@" }) ?? chars.count
        data = String(chars[..<dataEnd])
        guard !data.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw fail(0, 1, "the data set is missing", "a known data set (\(DataSource.knownNames.joined(separator: ", "))) or a folder")
        }
        var i = dataEnd
        classItems = nil
        if i < chars.count, chars[i] == ":" {
            let end = chars[(i + 1)...].firstIndex(of: "@") ?? chars.count
            var items: [ClassItem] = []
            var start = i + 1
            for piece in String(chars[(i + 1)..<end]).split(separator: ",", omittingEmptySubsequences: false) {
                let item = piece.trimmingCharacters(in: .whitespaces)
                guard !item.isEmpty else {
                    throw fail(start, 1, "an empty class in the list", "class numbers, ranges like 0-4, or class names, separated by commas")
                }
                items.append(ClassItem(text: item, offset: start + (piece.count - piece.drop(while: { $0 == " " }).count)))
                start += piece.count + 1
            }
            classItems = items
            i = end
        }
        transforms = []
        while i < chars.count {
            // chars[i] is "@"
            let end = chars[(i + 1)...].firstIndex(of: "@") ?? chars.count
            let piece = String(chars[(i + 1)..<end])
            do { transforms.append(try DomainTransform(parsing: piece)) } catch let error as TransformParseError {
                let colon = piece.firstIndex(of: ":").map { piece.distance(from: piece.startIndex, to: $0) } ?? piece.count
                let at = error.inArgument ? i + 1 + colon + 1 : i + 1
                let length = error.inArgument ? piece.count - colon - 1 : colon
                throw fail(min(at, max(0, chars.count - 1)), length, error.message, "transforms: \(DomainTransform.allowed)")
            }
            i = end
        }
        if let g = transforms.firstIndex(of: .gray), transforms.lastIndex(of: .gray) != g {
            throw fail(chars.count - 1, 1, "gray is given twice", "each transform once")
        }
    }

    /// The canonical form: what cache keys and tables show.
    public var description: String {
        data + (classItems.map { ":" + $0.map(\.text).joined(separator: ",") } ?? "") + transforms.map { "@\($0)" }.joined()
    }

    /// A known name or a folder; anything else says which names are known.
    public var source: DataSource {
        get throws {
            if let named = try? DataSource(named: data) { return named }
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: data, isDirectory: &isDir), isDir.boolValue else {
                throw DataSpecError(spec: text, offset: 0, length: data.count,
                                    message: "'\(data)' is neither a known data set nor a folder",
                                    allowed: "known data sets: \(DataSource.knownNames.joined(separator: ", ")); or the path of a folder of IDX files or images")
            }
            return .directory((data as NSString).standardizingPath)
        }
    }

    /// The same SPEC with a folder's path made absolute, so workers and later runs in another
    /// directory find the same data.
    public func resolved() throws -> DataSpec {
        guard case .directory(let path) = try source else { return self }
        var copy = self
        copy.data = URL(fileURLWithPath: path).standardizedFileURL.path
        return copy
    }

    /// The chosen classes as indices into `classNames`, in the order listed (nil: all).
    public func classes(in classNames: [String]) throws -> [Int]? {
        guard let classItems else { return nil }
        let lowered = classNames.map { $0.lowercased() }
        var chosen: [Int] = []
        for item in classItems {
            let bounds = item.text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            if let index = lowered.firstIndex(of: item.text.lowercased()) {
                chosen.append(index)
            } else if bounds.count == 1, let n = bounds[0] {
                guard classNames.indices.contains(n) else { throw badClass(item, classNames) }
                chosen.append(n)
            } else if bounds.count == 2, let a = bounds[0], let b = bounds[1], a <= b {
                guard classNames.indices.contains(a), classNames.indices.contains(b) else { throw badClass(item, classNames) }
                chosen += Array(a...b)
            } else {
                throw badClass(item, classNames)
            }
        }
        if let twice = chosen.first(where: { c in chosen.filter { $0 == c }.count > 1 }) {
            throw DataSpecError(spec: text, offset: classItems[0].offset, length: classItems.map(\.text).joined(separator: ",").count,
                                message: "class \(twice) (\(classNames[twice])) is listed twice", allowed: "each class once")
        }
        guard chosen.count >= 2 else {
            throw DataSpecError(spec: text, offset: classItems[0].offset, length: classItems[0].text.count,
                                message: "a task needs at least two classes", allowed: "two or more classes")
        }
        return chosen
    }

    private func badClass(_ item: ClassItem, _ classNames: [String]) -> DataSpecError {
        let listed = classNames.enumerated().map { "\($0.offset) \($0.element)" }.joined(separator: ", ")
        return DataSpecError(spec: text, offset: item.offset, length: item.text.count,
                             message: "'\(item.text)' is not a class of \(data)",
                             allowed: "classes 0-\(classNames.count - 1) by number, range or name: \(listed)")
    }
}

extension DataSpec: Codable {
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// A malformed SPEC: the message, the SPEC with a caret under the fault, and what is allowed.
public struct DataSpecError: Error, Equatable, CustomStringConvertible {
    public var spec: String
    public var offset: Int
    public var length: Int
    public var message: String
    public var allowed: String

    public var description: String {
        "data spec '\(spec)': \(message)\n    \(spec)\n    \(String(repeating: " ", count: offset))\(String(repeating: "^", count: length))\n"
            + "  allowed here: \(allowed)\n  a SPEC is \(DataSpec.grammar)"
    }
}
