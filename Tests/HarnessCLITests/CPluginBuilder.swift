// Strategy plugins written in C against harness_strategy.h alone, as a user (or an attacker)
// would write them, for the end-to-end tests of how the harness copes with them.
import Foundation
import XCTest

enum CPluginBuilder {
    static let include = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        + "/Sources/CStrategyAPI/include"

    /// A plugin named `name` whose run function is `body` (it sees s, task, e, h and out), with
    /// `preamble` placed before it (helpers, a load-time constructor).
    static func source(_ name: String, version: String = "1", preamble: String = "", body: String) -> String {
        """
        #include <harness_strategy.h>
        #include <signal.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <unistd.h>
        \(preamble)
        static void *configure(void) { static int state; return &state; }
        static int run(void *s, const harness_task *task, const harness_engine *e, harness_host *h, int32_t *out) {
            (void)s; (void)task; (void)e; (void)h; (void)out;
            \(body)
        }
        static const harness_strategy strategy = { .abi_version = HARNESS_STRATEGY_ABI_VERSION, .struct_size = sizeof(harness_strategy),
            .name = "\(name)", .version = "\(version)", .summary = "test plugin", .configure = (void *)configure, .run = run };
        const harness_strategy *harness_strategy_entry_v2(void) { return &strategy; }
        """
    }

    /// Trains a fresh network at the task's settings (or `rate`) and predicts: a plugin that works.
    static func trainAndPredict(rate: String = "task->learning_rate") -> String {
        """
        harness_network *n = e->new_network(h, task->source, task->classes, 1);
        harness_training t = { .struct_size = sizeof t, .epochs = task->epochs, .batch_size = task->batch_size,
                               .learning_rate = \(rate), .momentum = 0.9, .schedule = "onecycle", .seed = task->seed };
        if (e->train(h, n, &task->train, &t) != 0) return 1;
        return e->predict(h, n, &task->eval, out);
        """
    }

    /// Compiles `source` to `directory/file.so`.
    @discardableResult
    static func build(_ source: String, file: String, in directory: String, testFile: StaticString = #filePath, line: UInt = #line) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let c = "\(directory)/\(file).c", so = "\(directory)/\(file).so"
        try source.write(toFile: c, atomically: true, encoding: .utf8)
        let cc = Process()
        cc.executableURL = URL(fileURLWithPath: "/usr/bin/cc")
        cc.arguments = ["-shared", "-fPIC", "-I", include, c, "-o", so]
        try cc.run()
        cc.waitUntilExit()
        XCTAssertEqual(cc.terminationStatus, 0, "cc \(c)", file: testFile, line: line)
        return so
    }
}
