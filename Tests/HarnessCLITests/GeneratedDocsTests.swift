// The tables in the docs that list plugins and configurations are a command's output pasted
// between markers; this regenerates each and fails when the docs have gone stale.
// (bash scripts/update-docs.sh rewrites them.)
import Foundation
import XCTest

final class GeneratedDocsTests: XCTestCase {
    func testEveryGeneratedTableInTheDocsMatchesTheCommandThatMakesIt() throws {
        let root = TransferBetweenDataTests.repository
        let files = ["README.md"] + (try FileManager.default.contentsOfDirectory(atPath: root + "/docs")).filter { $0.hasSuffix(".md") }.map { "docs/" + $0 }
        let marker = try NSRegularExpression(pattern: #"<!-- BEGIN (harness [^>]+?) -->\n(.*?)\n<!-- END \1 -->"#, options: [.dotMatchesLineSeparators])
        var checked = 0
        for file in files {
            let text = try String(contentsOfFile: root + "/" + file, encoding: .utf8)
            for m in marker.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let command = String(text[Range(m.range(at: 1), in: text)!])
                let committed = String(text[Range(m.range(at: 2), in: text)!])
                let r = try harness(Array(command.split(separator: " ").dropFirst().map(String.init)))
                XCTAssertEqual(r.status, 0, r.stderr)
                XCTAssertEqual(committed, r.stdout.trimmingCharacters(in: .newlines),
                               "\(file): the output of `\(command)` changed. help: bash scripts/update-docs.sh")
                checked += 1
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 1, "docs/strategies.md holds the generated tables")
    }
}
