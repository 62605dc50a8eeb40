// `harness decode-images`: decodes one share of an image folder's files in this throwaway process
// and writes their pixels to a file (started by harness itself, one per core; see
// DecoderProcesses for why processes and not threads).
import ArgumentParser
import Foundation
import HarnessCore

struct DecodeImages: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode-images",
        abstract: "Decode a share of an image folder (started by harness itself).",
        shouldDisplay: false)

    @Option(help: "The job: files, shape and colour handling, as JSON.")
    var job: String

    @OptionGroup var child: ChildOptions

    func run() throws {
        try child.guardSelf()
        let share = try child.read(DecoderProcesses.Job.self, from: job)
        try ChildProcess.writeResult(try DecoderProcesses.decode(share).serialized(), to: child.result)
    }
}
