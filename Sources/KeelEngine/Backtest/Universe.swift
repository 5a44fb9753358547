/// The order of the symbols within one time step: fills, rules and ties in the rank follow it, so
/// it decides who gets the cash first. It never depends on the order data was given in.
package enum Universe {
    /// The strategy's `symbols:` in its order, then every other symbol of the feed by name.
    package static func order(named: [String], feed: [String]) -> [String] {
        let present = Set(feed)
        var seen = Set<String>()
        let listed = named.filter { present.contains($0) && seen.insert($0).inserted }
        return listed + feed.filter { seen.insert($0).inserted }.sorted()
    }
}
