// `harness export-images`: a data spec written out as an image folder, to see what its classes
// and transforms look like, or to make a folder in the layout `--target DIR` reads.
import ArgumentParser
import Foundation
import HarnessCore

struct ExportImages: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-images",
        abstract: "Write a data spec's images as an image folder (DIR/train/<class>/*, DIR/test/<class>/*).",
        discussion: "Example: harness export-images fashion-mnist:sandal,sneaker@rotate:30 --per-class 5 --out /tmp/look")

    @Argument(help: ArgumentHelp("The data to write. \(TransferOptions.specHelp)", valueName: "spec"))
    var spec: String

    @Option(help: "Where to write the folder.")
    var out: String

    @Option(parsing: .unconditional, help: ArgumentHelp("Images per class and split (0: all).", valueName: "K"))
    var perClass: Int = 10

    @Option(help: ArgumentHelp("File formats, cycled over the images: jpg, png, webp, tif.", valueName: "list"))
    var formats: String = "png"

    @Option(help: ArgumentHelp("Side lengths in pixels, cycled over the images (default: the data's own).", valueName: "list"))
    var sizes: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Write every N-th grayscale image tinted in colour (0: none), to make a mixed folder.", valueName: "N"))
    var colourEvery: Int = 0

    func validate() throws {
        _ = try parsedSpec(spec)
        let fs = formats.split(separator: ",").map(String.init)
        guard !fs.isEmpty, fs.allSatisfy({ ImageFolder.imageExtensions.contains($0.lowercased()) }) else {
            throw ValidationError("--formats takes a list of \(ImageFolder.imageExtensions.sorted().joined(separator: ", ")), not '\(formats)'")
        }
        if let sizes, sizes.split(separator: ",").contains(where: { (Int($0) ?? 0) < 1 }) {
            throw ValidationError("--sizes takes positive side lengths like 28,64,200, not '\(sizes)'")
        }
        guard perClass >= 0, colourEvery >= 0 else { throw ValidationError("--per-class and --colour-every must not be negative") }
    }

    func run() throws {
        let loaded = try parsedSpec(spec)!.load()
        let writer = ImageFolderWriter(formats: formats.split(separator: ",").map(String.init),
                                       sizes: sizes.map { $0.split(separator: ",").compactMap { Int($0) } }, colourEvery: colourEvery)
        let n = try writer.write(loaded.dataset, to: out, perClass: perClass > 0 ? perClass : nil)
        print("wrote \(n) images of \(loaded.dataset.classCount) classes to \(out)")
    }
}
