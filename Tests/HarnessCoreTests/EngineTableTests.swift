// The engine table a plugin receives, called as a plugin would: new_linear (ABI 2.1) makes a
// linear classifier over feature vectors, and every call refuses arguments it cannot take (a
// foreign shape, a short buffer, a label out of range, NULL, a released handle) with a reason,
// never writing memory it was not given.
import CStrategyAPI
import XCTest
@testable import HarnessCore
@testable import StrategyHost

final class EngineTableTests: XCTestCase {
    func testNewLinearMakesAClassifierOverFeatureVectorsAndRefusesBadArguments() throws {
        let session = HostSession(log: { _ in }, progress: nil, trained: nil, task: try tinyTask(), unlabelled: nil)
        let table = HostEngine.table.pointee
        XCTAssertGreaterThanOrEqual(Int(table.struct_size), MemoryLayout<harness_engine>.offset(of: \harness_engine.new_linear)! + 8,
                                    "the host's table holds the appended field")
        let made = try XCTUnwrap(table.new_linear(session.pointer, 12, 3, 1))
        let net = try session.network(made)
        XCTAssertEqual(net.units, ["fc"])
        XCTAssertEqual([net.spec.channels, net.spec.height, net.spec.width, net.classes], [12, 1, 1, 3])
        XCTAssertEqual(net.trainableParameterCount, 12 * 3 + 3)
        table.release_network(session.pointer, made)

        XCTAssertNil(table.new_linear(session.pointer, 0, 3, 1))
        XCTAssertEqual(session.lastErrorText, "new_linear: width must be 1 to 16777216 features, not 0")
        XCTAssertNil(table.new_linear(session.pointer, 12, 1, 1))
        XCTAssertEqual(session.lastErrorText, "new_linear: a classifier needs at least 2 classes, not 1")
    }

    /// Images of a shape the network does not take once made `features` write 34,560 floats past
    /// the caller's buffer and `predict` 135 predictions past the count, both returning success;
    /// a label equal to the class count trained, and -1 corrupted the heap.
    func testEveryCallChecksItsArgumentsAndWritesNothingItWasNotGiven() throws {
        let session = HostSession(log: { _ in }, progress: nil, trained: nil, task: try tinyTask(), unlabelled: nil)
        let table = HostEngine.table.pointee, h = session.pointer
        let net = try XCTUnwrap(table.new_network(h, session.lend(session.task.source), 3, 1))
        // The network takes 1x4x4; these are 1x8x8, and the buffers end in guard values.
        let wide = gaussian(5 * 64)
        var labels: [Int32] = [0, 1, 2, 0, 1]
        var floats = [Float](repeating: -7, count: 5 * 32 + 16), predictions = [Int32](repeating: -7, count: 5 + 16)
        var width: Int64 = 0
        wide.withUnsafeBufferPointer { px in
            labels.withUnsafeBufferPointer { lb in
                var images = harness_images(pixels: px.baseAddress, labels: lb.baseAddress, count: 5, channels: 1, height: 8, width: 8)
                XCTAssertEqual(table.features(h, net, "relu1", &images, &floats, 5 * 32, &width), 1)
                XCTAssertEqual(session.lastErrorText, "features: the images are 1x8x8 but the network takes 1x4x4; pass task images, or images of the network's input shape")
                XCTAssertEqual(table.predict(h, net, &images, &predictions), 1)
                XCTAssertTrue(session.lastErrorText?.hasPrefix("predict: the images are 1x8x8") == true, session.lastErrorText ?? "")
            }
        }
        XCTAssertTrue(floats.allSatisfy { $0 == -7 } && predictions.allSatisfy { $0 == -7 }, "nothing written")

        // The right shape, a buffer one image short.
        let right = gaussian(5 * 16)
        right.withUnsafeBufferPointer { px in
            var images = harness_images(pixels: px.baseAddress, labels: nil, count: 5, channels: 1, height: 4, width: 4)
            XCTAssertEqual(table.features(h, net, "relu1", &images, &floats, 4 * 32, &width), 1)
            XCTAssertEqual(session.lastErrorText, "features: 5 images of 32 features need 160 floats, the buffer holds 128")
            XCTAssertEqual(table.features(h, net, nil, &images, &floats, 5 * 32, &width), 1)
            XCTAssertEqual(session.lastErrorText, "features: the layer name is NULL")
            XCTAssertEqual(table.predict(h, net, nil, &predictions), 1)
            XCTAssertEqual(session.lastErrorText, "predict: the images are NULL")
            XCTAssertEqual(table.predict(h, net, &images, &predictions), 0, session.lastErrorText ?? "")
        }
        XCTAssertTrue(predictions[5...].allSatisfy { $0 == -7 }, "predictions for the 5 images only")

        // Labels outside 0..<classes, and no labels at all.
        var training = harness_training()
        training.struct_size = UInt32(MemoryLayout<harness_training>.size)
        training.epochs = 1
        for (bad, text) in [(Int32(3), "image 2 has label 3, but the network has 3 classes (labels 0 to 2)"),
                            (Int32(-1), "image 2 has label -1, but the network has 3 classes (labels 0 to 2)")] {
            labels[2] = bad
            right.withUnsafeBufferPointer { px in
                labels.withUnsafeBufferPointer { lb in
                    var images = harness_images(pixels: px.baseAddress, labels: lb.baseAddress, count: 5, channels: 1, height: 4, width: 4)
                    XCTAssertEqual(table.train(h, net, &images, &training), 1)
                    XCTAssertEqual(session.lastErrorText, text)
                }
            }
        }
        right.withUnsafeBufferPointer { px in
            var images = harness_images(pixels: px.baseAddress, labels: nil, count: 5, channels: 1, height: 4, width: 4)
            XCTAssertEqual(table.train(h, net, &images, &training), 1)
            XCTAssertEqual(session.lastErrorText, "train: the images have no labels (NULL); train on task->train")
            XCTAssertEqual(table.train(h, net, &images, nil), 1)
            XCTAssertEqual(session.lastErrorText, "train: the training settings are NULL")
        }

        // A released handle is no handle.
        table.release_network(h, net)
        XCTAssertEqual(table.copy_layer(h, net, session.lend(session.task.source), "conv1"), 1)
        XCTAssertEqual(session.lastErrorText, "a network handle that this run did not hand out")
        XCTAssertEqual(table.layer_count(h, net), 0)
    }
}
