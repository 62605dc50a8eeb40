// PNG copies of SVG figures, for viewers that do not show SVG: librsvg's rsvg-convert (Debian:
// librsvg2-bin, which scripts/bootstrap.sh installs). Its absence is said, never an error.
import Foundation

public enum SVGRasterizer {
    public static let executable = "/usr/bin/rsvg-convert"

    /// Writes FILE.png beside FILE.svg at twice the size; the PNG's path, or why there is none.
    public static func png(from svg: String) -> Result<String, Missing> {
        let png = (svg as NSString).deletingPathExtension + ".png"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = ["--zoom", "2", "-o", png, svg]
        guard (try? p.run()) != nil else { return .failure(Missing(reason: "rsvg-convert is missing (apt-get install librsvg2-bin)")) }
        p.waitUntilExit()
        return p.terminationStatus == 0 ? .success(png) : .failure(Missing(reason: "rsvg-convert failed on \(svg) (status \(p.terminationStatus))"))
    }

    public struct Missing: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }
}
