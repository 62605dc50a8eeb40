// `harness version`: what this binary is, as provenance records it (the git commit when built
// from a checkout, oneDNN, the processor the kernels use).
import ArgumentParser
import HarnessCore

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the harness version, its git commit, oneDNN's version and the processor.")

    func run() {
        let p = Provenance.current(sourceRoot: Installation.sourceRoot)
        print("harness \(p.harnessVersion)")
        print("commit: \(p.commit ?? "unknown (not built from a git checkout)")")
        print("oneDNN: \(p.onednn)")
        print("processor: \(p.processor)")
    }
}
