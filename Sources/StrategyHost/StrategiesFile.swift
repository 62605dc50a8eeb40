// strategies.json: named, ready configurations of strategy plugins.
//
//   { "freeze3": { "strategy": "freeze-n", "parameters": { "n": 3, "head": { "choice": ["xavier", "zero"] } },
//                  "training": { "lr": { "log-uniform": [0.005, 0.1] } },
//                  "source": "base", "description": "first 3 layers copied and frozen" } }
//
// "source" is "base" (the network trained on the source classes: Yosinski's AnB) or "self"
// (a network trained on the target's own classes: the BnB control). A parameter or training
// setting is a value, or a search space (SearchSpace.swift) that `--trials` draws from.
// Parsed with json-c; every error names file:line:column.
import CJSONC
import Foundation
import HarnessSupport
import HarnessSupport
import HarnessEngine

public struct StrategiesFile: Sendable {
    public var path: String
    public var configurations: [StrategyConfiguration]

    /// The configuration of that name; a name that differs only in case is the one it matches,
    /// when it matches one alone (`Finetune` is finetune).
    public func configuration(named name: String) throws -> StrategyConfiguration {
        if let c = configurations.first(where: { $0.name == name }) { return c }
        let folded = configurations.filter { $0.name.lowercased() == name.lowercased() }
        guard folded.count == 1 else { throw PluginError.unknownConfiguration(name: name, known: configurations.map(\.name)) }
        return folded[0]
    }

    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PluginError.badConfigFile(path: path, line: 0, column: 0, reason: "cannot read the file")
        }
        try self.init(text: String(decoding: data, as: UTF8.self), path: path)
    }

    public init(text: String, path: String) throws {
        self.path = path
        let bytes = Array(text.utf8)
        // Positions are looked up, not rescanned: a file of 10,000 configurations or
        // parameters once took minutes, each place counting lines from the file's start.
        let index = KeyIndex(bytes)
        let lines = LineStarts(bytes)
        func place(_ offset: Int) -> (Int, Int) { lines.lineColumn(of: offset) }
        func fail(_ offset: Int, _ reason: String) -> PluginError {
            let (l, c) = place(offset)
            return .badConfigFile(path: path, line: l, column: c, reason: reason)
        }
        /// Where `"key"` appears as an object key at or after `from` (json-c keeps no positions).
        func keyOffset(_ key: String, from: Int) -> Int { index.firstKey(key, atOrAfter: from) ?? from }
        func where_(_ offset: Int) -> String { let (l, c) = place(offset); return "\(path):\(l):\(c)" }

        /// A JSON scalar as a parameter value.
        func literal(_ v: OpaquePointer?, at offset: Int, what: String) throws -> ParameterValue {
            switch json_object_get_type(v) {
            case json_type_int: return .int(Int(json_object_get_int64(v)))
            case json_type_double: return .double(json_object_get_double(v))
            case json_type_boolean: return .bool(json_object_get_boolean(v) != 0)
            case json_type_string: return .string(String(cString: json_object_get_string(v)))
            default: throw fail(offset, "\(what) must be a number, boolean, string or a search space like {\"log-uniform\": [0.001, 0.1]}")
            }
        }
        /// A value, or a search space: {"log-uniform": [lo, hi]}, {"choice": [...]}, with an optional "default".
        func setting(_ v: OpaquePointer?, at offset: Int, what: String) throws -> SettingValue {
            guard json_object_get_type(v) == json_type_object else { return .fixed(try literal(v, at: offset, what: what)) }
            let usage = "help: write {\"log-uniform\": [LOW, HIGH]}, {\"uniform\": [LOW, HIGH]}, {\"int-uniform\": [LOW, HIGH]} or {\"choice\": [A, B, ...]}, optionally with \"default\": VALUE"
            var space: SearchSpace?, defaultValue: ParameterValue?
            for (key, item) in JSONObjectEntries(v!) {
                let at = keyOffset(key, from: offset)
                if key == "default" { defaultValue = try literal(item, at: at, what: "\(what): \"default\""); continue }
                guard SearchSpace.forms.contains(key) else { throw fail(at, "\(what): unknown search space \"\(key)\". \(usage)") }
                guard space == nil else { throw fail(at, "\(what): a search space has one form, not two. \(usage)") }
                guard json_object_get_type(item) == json_type_array else { throw fail(at, "\(what): \"\(key)\" takes an array. \(usage)") }
                let values = try (0..<json_object_array_length(item)).map { try literal(json_object_array_get_idx(item, $0), at: at, what: "\(what): each value of \"\(key)\"") }
                if key == "choice" {
                    guard !values.isEmpty else { throw fail(at, "\(what): \"choice\" needs at least one value") }
                    space = .choice(values)
                    continue
                }
                guard values.count == 2, let lo = values[0].number, let hi = values[1].number, lo < hi, (hi - lo).isFinite else {
                    throw fail(at, "\(what): \"\(key)\" takes two finite numbers [LOW, HIGH] with LOW < HIGH, not \(values.map(\.description))")
                }
                switch key {
                case "log-uniform":
                    guard lo > 0 else { throw fail(at, "\(what): \"log-uniform\" needs LOW > 0 (it draws the logarithm uniformly), not \(lo)") }
                    space = .logUniform(lo, hi)
                case "int-uniform":
                    guard case let .int(a) = values[0], case let .int(b) = values[1] else { throw fail(at, "\(what): \"int-uniform\" takes two integers") }
                    // Integer settings are C ints (plugin parameters) or bounded training
                    // settings; within that range no draw or grid point can overflow.
                    let limit = Int(Int32.max)
                    guard abs(a) <= limit, abs(b) <= limit else {
                        throw fail(at, "\(what): \"int-uniform\" bounds must lie within ±\(limit) (a C int), not [\(a), \(b)]")
                    }
                    space = .intUniform(a, b)
                default: space = .uniform(lo, hi)
                }
            }
            guard let space else { throw fail(offset, "\(what): an object here must be a search space. \(usage)") }
            return .searched(space, default: defaultValue)
        }

        guard let tokener = json_tokener_new() else { throw fail(0, "out of memory") }
        defer { json_tokener_free(tokener) }
        let root = bytes.withUnsafeBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) { json_tokener_parse_ex(tokener, $0, Int32(buf.count)) }
        }
        defer { if let root { json_object_put(root) } }
        let status = json_tokener_get_error(tokener)
        let end = Int(json_tokener_get_parse_end(tokener))
        guard status == json_tokener_success, let root else {
            let reason = status == json_tokener_continue ? "unexpected end of file (unclosed { or [?)"
                : String(cString: json_tokener_error_desc(status))
            throw fail(min(end, bytes.count), "invalid JSON: \(reason)")
        }
        // json-c stops at the end of the first value and calls that success; the rest must be blank.
        if let extra = bytes[end...].firstIndex(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D) }) {
            throw fail(extra, "unexpected text after the JSON object")
        }
        guard json_object_get_type(root) == json_type_object else { throw fail(0, "the file must hold one JSON object of named configurations") }
        if let dup = Self.firstDuplicateKey(bytes) {
            throw fail(dup.second, "\"\(dup.key)\" appears twice in one object (first at \(where_(dup.first))); JSON keeps only one of them. "
                       + "help: rename or remove one")
        }

        var configs: [StrategyConfiguration] = []
        var searchFrom = 0
        for (name, entry) in JSONObjectEntries(root) {
            let at = keyOffset(name, from: searchFrom)
            searchFrom = at + 1
            guard json_object_get_type(entry) == json_type_object else { throw fail(at, "'\(name)' must be an object with a \"strategy\" field") }
            var strategy: String?, description = "", source = StrategyConfiguration.Source.base, curve: StrategyConfiguration.CurvePoint?
            var params: [(String, ParameterValue)] = [], paramPlaces: [String: String] = [:]
            var training: [(Hyperparameter, ParameterValue)] = [], searches: [SearchedHyperparameter] = []
            for (field, value) in JSONObjectEntries(entry!) {
                let fat = keyOffset(field, from: at)
                switch field {
                case "strategy":
                    guard json_object_get_type(value) == json_type_string else { throw fail(fat, "'\(name)': \"strategy\" must be a string naming a plugin") }
                    strategy = String(cString: json_object_get_string(value))
                case "description":
                    guard json_object_get_type(value) == json_type_string else { throw fail(fat, "'\(name)': \"description\" must be a string") }
                    description = String(cString: json_object_get_string(value))
                case "source":
                    let s = json_object_get_type(value) == json_type_string ? String(cString: json_object_get_string(value)) : "(not a string)"
                    guard let parsed = StrategyConfiguration.Source(rawValue: s) else {
                        throw fail(fat, "'\(name)': \"source\" must be \"base\" (transfer from the source classes) or \"self\" (the BnB control), not \"\(s)\"")
                    }
                    source = parsed
                case "parameters":
                    guard json_object_get_type(value) == json_type_object else { throw fail(fat, "'\(name)': \"parameters\" must be an object") }
                    for (pname, pvalue) in JSONObjectEntries(value!) {
                        let pat = keyOffset(pname, from: fat)
                        paramPlaces[pname] = where_(pat)
                        switch try setting(pvalue, at: pat, what: "'\(name)': parameter '\(pname)'") {
                        case let .fixed(v): params.append((pname, v))
                        case let .searched(space, d):
                            searches.append(SearchedHyperparameter(name: pname, scope: .parameter, space: space, defaultValue: d, place: where_(pat)))
                        }
                    }
                case "training":
                    guard json_object_get_type(value) == json_type_object else { throw fail(fat, "'\(name)': \"training\" must be an object") }
                    for (tname, tvalue) in JSONObjectEntries(value!) {
                        let tat = keyOffset(tname, from: fat)
                        guard let t = Hyperparameter(rawValue: tname) else {
                            throw fail(tat, "'\(name)': unknown training setting \"\(tname)\" (known: \(Hyperparameter.allCases.map(\.rawValue).joined(separator: ", ")))")
                        }
                        let what = "'\(name)': training setting '\(tname)'"
                        func check(_ v: ParameterValue) throws -> ParameterValue {
                            guard let c = StrategyBinding.convert(v, to: t.kind) else { throw fail(tat, "\(what) must be \(t.kind.article), not \(v)") }
                            guard t.accepts(c) else { throw fail(tat, "\(what) must be \(t.range.phrase), not \(v)") }
                            return c
                        }
                        switch try setting(tvalue, at: tat, what: what) {
                        case let .fixed(v): training.append((t, try check(v)))
                        case let .searched(space, d):
                            _ = try space.extremes.map(check)
                            searches.append(SearchedHyperparameter(name: tname, scope: .training, space: space, defaultValue: try d.map(check), place: where_(tat)))
                        }
                    }
                case "curve":
                    guard json_object_get_type(value) == json_type_object else {
                        throw fail(fat, "'\(name)': \"curve\" must be an object like { \"point\": \"AnB\", \"copies\": \"layers\" }")
                    }
                    var point: String?, copies: String?
                    for (cname, cvalue) in JSONObjectEntries(value!) {
                        let text = json_object_get_type(cvalue) == json_type_string ? String(cString: json_object_get_string(cvalue)) : nil
                        switch cname {
                        case "point": point = text
                        case "copies": copies = text
                        default: throw fail(keyOffset(cname, from: fat), "'\(name)': unknown curve field \"\(cname)\" (fields: point, copies)")
                        }
                        guard text != nil else { throw fail(keyOffset(cname, from: fat), "'\(name)': curve \(cname) must be a string") }
                    }
                    guard let point else { throw fail(fat, "'\(name)': \"curve\" needs a \"point\" (\(CurvePoints.known))") }
                    guard CurvePoints.all.contains(point) else { throw fail(fat, "'\(name)': unknown curve point \"\(point)\" (known: \(CurvePoints.known))") }
                    guard (copies == nil) == (point == CurvePoints.baseline) else {
                        throw fail(fat, "'\(name)': curve point \(point) " + (point == CurvePoints.baseline ? "copies nothing: leave out \"copies\"" : "needs \"copies\", the parameter set to n"))
                    }
                    curve = StrategyConfiguration.CurvePoint(point: point, copies: copies)
                default:
                    throw fail(fat, "'\(name)': unknown field \"\(field)\" (fields: strategy, parameters, training, source, curve, description)")
                }
            }
            guard let strategy else { throw fail(at, "'\(name)' has no \"strategy\" field naming a plugin") }
            var configuration = StrategyConfiguration(name: name, strategy: strategy, parameters: params, source: source,
                                                      description: description, place: where_(at), parameterPlaces: paramPlaces)
            configuration.training = training
            configuration.searches = searches
            configuration.curve = curve
            configs.append(configuration)
        }
        configurations = configs
    }
}

/// What strategies.json gives a parameter or training setting.
enum SettingValue {
    case fixed(ParameterValue)
    case searched(SearchSpace, default: ParameterValue?)
}

extension StrategiesFile {
    /// The first key that appears twice in one object, with both offsets. json-c keeps the later
    /// value without a word, so a second "freeze3" would silently replace the first. Runs on
    /// text json-c has already accepted, so it only tracks strings and nesting.
    static func firstDuplicateKey(_ bytes: [UInt8]) -> (key: String, first: Int, second: Int)? {
        struct Level { var isObject: Bool; var keys: [String: Int] = [:]; var expectingKey: Bool }
        var stack: [Level] = []
        var i = 0
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "{"): stack.append(Level(isObject: true, expectingKey: true))
            case UInt8(ascii: "["): stack.append(Level(isObject: false, expectingKey: false))
            case UInt8(ascii: "}"), UInt8(ascii: "]"): stack.removeLast()
            case UInt8(ascii: ","): if stack.last?.isObject == true { stack[stack.count - 1].expectingKey = true }
            case UInt8(ascii: "\""):
                let start = i
                i += 1
                while i < bytes.count, bytes[i] != UInt8(ascii: "\"") { i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
                if let level = stack.last, level.isObject, level.expectingKey {
                    let key = String(decoding: bytes[(start + 1)..<min(i, bytes.count)], as: UTF8.self)
                    if let first = level.keys[key] { return (key, first, start) }
                    stack[stack.count - 1].keys[key] = start
                    stack[stack.count - 1].expectingKey = false
                }
            default: break
            }
            i += 1
        }
        return nil
    }
}

/// The (key, value) pairs of a json-c object, in file order, through the iterator API (the
/// json_object_object_foreach macro does not import into Swift).
struct JSONObjectEntries: Sequence {
    let object: OpaquePointer
    init(_ object: OpaquePointer) { self.object = object }

    /// A JSON null comes back as nil, which json-c's type query reports as json_type_null.
    func makeIterator() -> AnyIterator<(String, OpaquePointer?)> {
        var it = json_object_iter_begin(object)
        var end = json_object_iter_end(object)
        return AnyIterator {
            guard json_object_iter_equal(&it, &end) == 0 else { return nil }
            let name = String(cString: json_object_iter_peek_name(&it))
            let value = json_object_iter_peek_value(&it)
            json_object_iter_next(&it)
            return (name, value)
        }
    }
}

/// The points of Yosinski et al.'s transfer curve a configuration can be the template of.
public enum CurvePoints {
    public static let baseline = "baseB"
    public static let treatments = ["BnB", "BnB+", "AnB", "AnB+", "random"]
    public static var all: [String] { [baseline] + treatments }
    static var known: String { all.joined(separator: ", ") }
}

/// Every object key of a JSON text by name with its offsets, found in one pass: a key (a string
/// followed by a colon) is found at or after an offset by binary search (LineStarts turns the
/// offset into line and column).
struct KeyIndex {
    private var keys: [String: [Int]] = [:]

    init(_ bytes: [UInt8]) {
        var i = 0
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "\"") else { i += 1; continue }
            let start = i
            i += 1
            while i < bytes.count, bytes[i] != UInt8(ascii: "\"") { i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
            i += 1
            var j = i
            while j < bytes.count, bytes[j] == 0x20 || bytes[j] == 0x09 || bytes[j] == 0x0A || bytes[j] == 0x0D { j += 1 }
            if j < bytes.count, bytes[j] == UInt8(ascii: ":") {
                keys[String(decoding: bytes[(start + 1)..<min(i - 1, bytes.count)], as: UTF8.self), default: []].append(start)
            }
        }
    }

    /// The first offset of `key` as a key at or after `from`.
    func firstKey(_ key: String, atOrAfter from: Int) -> Int? {
        guard let offsets = keys[key] else { return nil }
        var lo = 0, hi = offsets.count
        while lo < hi { let mid = (lo + hi) / 2; if offsets[mid] < from { lo = mid + 1 } else { hi = mid } }
        return lo < offsets.count ? offsets[lo] : nil
    }
}
