/// Bar series replayed as one live stream: events in time order, ties in the order of the series
/// given; each row its signal events (one per signal with a value) and then its bar event. What
/// `keel data events` prints, and what a paper run reads.
package struct MergedEvents: Sequence, IteratorProtocol {
    private let feeds: [BarSeries]
    private var rows: [Int]
    /// The events of the current time not yet handed out, in order.
    private var pending: [MarketEvent] = []
    private var handedOut = 0

    package init(_ feeds: [BarSeries]) {
        self.feeds = feeds
        rows = feeds.map { _ in 0 }
    }

    package mutating func next() -> MarketEvent? {
        if handedOut == pending.count {
            pending.removeAll(keepingCapacity: true)
            handedOut = 0
            fillNextTime()
            if pending.isEmpty { return nil }
        }
        handedOut += 1
        return pending[handedOut - 1]
    }

    private mutating func fillNextTime() {
        guard let now = feeds.indices.compactMap({ rows[$0] < feeds[$0].count ? feeds[$0].time[rows[$0]] : nil }).min() else { return }
        for (k, feed) in feeds.enumerated() where rows[k] < feed.count && feed.time[rows[k]] == now {
            let row = rows[k]
            for (column, name) in feed.signalNames.enumerated() where !feed.signals[column][row].isNaN {
                pending.append(.signal(symbol: feed.symbol, time: now, name: name, value: feed.signals[column][row]))
            }
            pending.append(.bar(symbol: feed.symbol, time: now, open: feed.open[row], high: feed.high[row], low: feed.low[row],
                                close: feed.close[row], volume: feed.volume[row]))
            rows[k] += 1
        }
    }
}
