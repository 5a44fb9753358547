/// The one owner of the per-bar loop's unsafe memory.
///
/// Why there is any: the evaluator's slots, the indicators' state, the engine's books and ledger
/// and a backtest's feed positions are read and written on every bar. Held as `var` properties of
/// a class, each access costs a dynamic exclusivity check and often a retain, more than the work
/// itself; held in memory allocated once and reached through pointers, an access is a load or a
/// store. The rule: a pointer from here never outlives the object that holds its `LoopMemory`
/// (the evaluator, the engine, the feeds, a kernel), and is freed with it, here and nowhere else.
final class LoopMemory {
    private var releases: [() -> Void] = []

    /// `count` elements, each `value`.
    func buffer<Element>(repeating value: Element, count: Int) -> UnsafeMutableBufferPointer<Element> {
        let buffer = UnsafeMutableBufferPointer<Element>.allocate(capacity: count)
        buffer.initialize(repeating: value)
        releases.append { buffer.deinitialize(); buffer.deallocate() }
        return buffer
    }

    /// The elements, copied in.
    func buffer<Element>(_ elements: [Element]) -> UnsafeMutableBufferPointer<Element> {
        let buffer = UnsafeMutableBufferPointer<Element>.allocate(capacity: elements.count)
        _ = buffer.initialize(from: elements)
        releases.append { buffer.deinitialize(); buffer.deallocate() }
        return buffer
    }

    /// One value.
    func value<Element>(_ initial: Element) -> UnsafeMutablePointer<Element> {
        let pointer = UnsafeMutablePointer<Element>.allocate(capacity: 1)
        pointer.initialize(to: initial)
        releases.append { pointer.deinitialize(count: 1); pointer.deallocate() }
        return pointer
    }

    deinit {
        for release in releases { release() }
    }
}
