// Gradient buffers share memory where their lives do not overlap (issue 27, item 4). A backward
// pass runs the layers from the last down; the gradient of layer p's output is written in the
// step of the layer that reads p (the loss, for the last layer) and read in p's own step, and is
// dead outside those steps. So in a chain only two gradients are alive at once, where every
// layer used to keep its own for the whole run, as large as its output. Kernel-layout copies
// used inside one layer's backward step (`Layer.backwardScratch`) join the same pool.
//
// This is sound because every writer overwrites the whole buffer (oneDNN's backward kernels, the
// copies of Addition and Dropout), and nothing reads a gradient outside the backward pass:
// gradient taps and extra consumers' gradients are added in the producer's own step.

struct GradientLife {
    let buffer: DNNLMemory
    /// The backward step (layer index) that reads it last: its producer's.
    let readAt: Int
    /// The backward step that writes it: its consumer's (the layer count for the loss).
    let writtenAt: Int

    /// Gives each buffer a shared allocation no other buffer uses during its life, and returns
    /// the allocations. Lives are taken in the order the backward pass starts them (first
    /// fit, interval colouring): each goes to the smallest free allocation that holds it, else
    /// grows the largest free one, else gets a new one.
    static func pool(_ lives: [GradientLife]) -> [SharedStorage] {
        var slots: [(storage: SharedStorage, busyDownTo: Int)] = []
        for life in lives.sorted(by: { $0.writtenAt > $1.writtenAt }) {
            // Free: its last life was read in a step after (above) the one that writes this.
            let free = slots.indices.filter { slots[$0].busyDownTo > life.writtenAt }
            let holding = free.filter { slots[$0].storage.byteCount >= life.buffer.byteCount }
            let chosen = holding.min { slots[$0].storage.byteCount < slots[$1].storage.byteCount }
                ?? free.max { slots[$0].storage.byteCount < slots[$1].storage.byteCount }
            if let chosen {
                life.buffer.share(slots[chosen].storage)
                slots[chosen].busyDownTo = life.readAt
            } else {
                let storage = SharedStorage()
                life.buffer.share(storage)
                slots.append((storage, life.readAt))
            }
        }
        return slots.map(\.storage)
    }
}
