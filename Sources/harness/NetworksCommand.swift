// `harness networks`: the architectures --network can name, with their size and cost, and one
// network's layers (the numbering "the first n layers" counts) or its spec as JSON to edit.
import ArgumentParser
import Foundation
import HarnessCore

struct Networks: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the networks --network can name, or show one network's layers.",
        discussion: """
            Example: harness networks
                     harness networks vgg-small --input 3x32x32 --classes 10
                     harness networks lenet-5 --json > my-net.json   (edit it, then --network my-net.json)
            """)

    @Argument(help: ArgumentHelp("A network name or spec file to show layer by layer.", valueName: "name|file"))
    var network: String?

    @Option(help: ArgumentHelp("The input shape to size the networks for (default: each network's native input: 1x28x28, or 3x224x224 for the ImageNet backbones).", valueName: "CxHxW"))
    var input: String?

    @Option(parsing: .unconditional, help: "Classes of the classifier.")
    var classes: Int = 10

    @Flag(help: "Print the network's spec as JSON (what a --network FILE.json holds).")
    var json = false

    func validate() throws {
        _ = try parsedInputShape(input, example: "3x32x32")
        guard classes >= 2 else { throw ValidationError("--classes must be at least 2") }
        if let network { do { _ = try NetworkChoice(network) } catch { throw ValidationError("\(error)") } }
    }

    func run() throws {
        let given = try parsedInputShape(input, example: "3x32x32")
        guard let network else {
            print("Networks for \(given.map { "a \($0) input" } ?? "their native input") and \(classes) classes (--network NAME; or a spec file, see --json):")
            var rows: [[String]] = []
            for a in Architecture.allCases {
                let shape = given ?? a.nativeShape
                let spec = a.spec(classes: classes, shape: shape)
                guard (try? spec.validatedShapes()) != nil else {
                    rows.append([a.rawValue, "—", "—", "—", "does not fit a \(shape) input"])
                    continue
                }
                rows.append([a.rawValue, "\(shape)", "\(spec.units.count)", Self.count(try Network(spec: spec, seed: 1).trainableParameterCount),
                             String(format: "%.1f", try spec.forwardFLOPsPerImage() / 1e6), a.summary])
            }
            TextTable.lines(["name", "input", "units", "parameters", "forward MFLOP/image", "what it is"], rows, leftAligned: [0, 5], rule: true)
                .forEach { print($0) }
            return
        }
        let spec = try NetworkChoice(network).spec(classes: classes, shape: given)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(spec), as: UTF8.self))
            return
        }
        let shapes = try spec.validatedShapes()
        var flops: [String: Double] = [:]
        for (layer, f) in try spec.forwardFLOPs() { flops[layer] = f }
        let units = spec.units
        print("\(network) for a \(InputShape(spec)) input, \(classes) classes: \(units.count) transfer units; "
              + "\"the first n layers\" (freeze-n, layer-transfer 1-n, transfer-curve) counts units as numbered here, "
              + "and copying or freezing a unit moves all its layers (a residual block, or a convolution with its batch normalisation).")
        var numbered = Set<String>()
        let rows = zip(zip(spec.layers, spec.unitOfLayer), shapes).map { pair, out -> [String] in
            let (layer, unit) = pair
            let n = unit.flatMap { u in numbered.insert(u).inserted ? units.firstIndex(of: u).map { "\($0 + 1)" } : nil } ?? ""
            let reads = [layer.input.map { "reads \($0)" }, layer.shortcut.map { "+ \($0)" }, layer.gate.map { "x \($0)" }].compactMap { $0 }.joined(separator: " ")
            return [n, unit ?? "", layer.name, layer.kind.rawValue + (reads.isEmpty ? "" : " (\(reads))"),
                    out.map(String.init).joined(separator: "x"), flops[layer.name].map { String(format: "%.2f", $0 / 1e6) } ?? ""]
        }
        TextTable.lines(["n", "unit", "layer", "kind", "output", "forward MFLOP"], rows, leftAligned: [1, 2, 3], rule: true).forEach { print($0) }
    }

    static func count(_ n: Int) -> String { n >= 1_000_000 ? String(format: "%.2fM", Double(n) / 1e6) : String(format: "%.1fk", Double(n) / 1e3) }
}
