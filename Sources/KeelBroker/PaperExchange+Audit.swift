import Foundation

/// The book's own accounts, recomputed from its trades: what must hold after every request and
/// every bar, whatever came before. The fuzz target (Fuzz/Sources/broker) and the money property
/// test check it step by step; nil when everything agrees, else the first thing that does not.
extension PaperExchange {
    package func audit(startingCash: Amount) -> String? {
        var auditor = Auditor(startingCash: startingCash)
        return auditor.check(self)
    }

    /// The audit's running sums over the trades it has read. Trades are only ever appended, so each
    /// `check` reads just the trades made since the last one: checking after every request then
    /// costs what the new trades and the working orders cost, not the whole history again (Decimal's
    /// products allocate, and the fuzz target audits after every line of its input).
    package struct Auditor {
        let startingCash: Amount
        private var read = 0
        private var held: [String: Decimal] = [:]
        private var cashFlow: Decimal = 0, turnover: Decimal = 0
        private var filledByOrder: [String: Decimal] = [:]

        package init(startingCash: Amount) { self.startingCash = startingCash }

        package mutating func check(_ book: PaperExchange) -> String? {
            if book.trades.count < read { self = Auditor(startingCash: startingCash) }
            // Positions are the sum of their fills, and cash is the start less what fills cost.
            while read < book.trades.count {
                let t = book.trades[read]
                guard t.quantity.value > 0, t.price.value > 0, t.commission.value >= 0 else { return "trade \(t.id) fills \(t.quantity) at \(t.price)" }
                let signed = t.side.sign * t.quantity.value
                held[t.symbol, default: 0] += signed
                cashFlow -= signed * t.price.value + t.commission.value
                turnover += (signed * t.price.value).magnitude + t.commission.value
                filledByOrder[t.orderId, default: 0] += t.quantity.value
                read += 1
            }
            for (symbol, sum) in held where (book.holdings[symbol]?.quantity ?? 0) != sum {
                return "\(symbol): the position is \(book.holdings[symbol]?.quantity ?? 0), its fills sum to \(sum)"
            }
            for (symbol, holding) in book.holdings where held[symbol] == nil && holding.quantity != 0 {
                return "\(symbol): the position is \(holding.quantity), and no fill made it"
            }
            // Exact, up to Decimal's 38 significant digits: a sum of fills far apart in scale (a quantity
            // of 1e-29 beside one of 100, found by the broker fuzz target) rounds in its last digits,
            // summed in another order here than in the book.
            let slack = (startingCash.value.magnitude + turnover) * Decimal(sign: .plus, exponent: -32, significand: 1)
            if (book.cash.value - (startingCash.value + cashFlow)).magnitude > slack {
                return "cash is \(book.cash), the start and the fills make \(Amount(startingCash.value + cashFlow))"
            }
            // Each order's filled quantity is its trades', never past its quantity, and its status says so.
            for o in book.orders {
                let filled = filledByOrder[o.id] ?? 0
                if o.filledQuantity.value != filled { return "\(o.id) says \(o.filledQuantity) filled, its trades \(filled)" }
                if filled > o.quantity.value { return "\(o.id) filled \(filled) of \(o.quantity)" }
                if (o.status == .filled) != (filled == o.quantity.value && filled > 0) { return "\(o.id) is \(o.status.rawValue) with \(filled) of \(o.quantity) filled" }
            }
            let account = book.account
            if account.marginAvailable.value < 0 { return "margin available is \(account.marginAvailable)" }
            if account.equity.value != book.cash.value + book.holdings.reduce(Decimal(0)) { $0 + $1.value.quantity * (book.lastPrice[$1.key] ?? $1.value.entry) } {
                return "equity \(account.equity) is not cash plus positions at the mark"
            }
            return nil
        }
    }
}
