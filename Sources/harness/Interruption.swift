// Ctrl-C during a comparison: say what is safe (every finished cell is already in the database)
// and the command that resumes, then exit with the interrupted status. Workers run in process
// groups of their own, so the terminal's SIGINT reaches only this process; each worker watches
// its parent and ends when it does, so none outlives the comparison and none is stored as failed.
import Dispatch
import Foundation
import HarnessCore

final class Interruption {
    private let source: DispatchSourceSignal

    /// Until `end()`, SIGINT prints how many of the comparison's `planned` cells `database` holds.
    init(database: String, setting: String, planned: Int) {
        let command = Provenance.current(sourceRoot: nil).command
        signal(SIGINT, SIG_IGN)  // delivered to the dispatch source instead of ending the process
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler {
            let stored = (try? ResultsDatabase(path: database).cells(setting: setting).count).map(String.init) ?? "the finished"
            FileHandle.standardError.write(Data(("\ninterrupted: \(stored) of \(planned) cells of this comparison are stored in \(database); "
                + "cells that were running are not, and run again on resume. Resume with the same command:\n  \(command)\n").utf8))
            exit(HarnessExit.interrupted.rawValue)
        }
        source.resume()
    }

    func end() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
