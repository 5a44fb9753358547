import KeelData
import KeelEngine
import KeelLanguage

/// A manual order as a control's argument, journaled with the run's events so a replay places it
/// at the same point: `{"symbol":"ORCL","side":"long","quantity":10,"take_profits":[[0.5,0.05]],"stop_losses":[[1,0.03]]}`,
/// each level `[fraction of the position, distance from the entry]`.
package enum ManualOrderText {
    package static func encode(symbol: String, _ order: ManualOrder) -> String {
        func levels(_ list: [ManualOrder.Level]) -> JSON.Value { .array(list.map { .array([.number($0.fraction), .number($0.distance)]) }) }
        return JSON.encode(.object([("symbol", .string(symbol)), ("side", .string(order.side.rawValue)), ("quantity", .number(order.quantity)),
                                    ("take_profits", levels(order.takeProfits)), ("stop_losses", levels(order.stopLosses))]), pretty: false)
    }

    package static func decode(_ text: String) -> (symbol: String, order: ManualOrder)? {
        guard let value = try? JSONReader.parse(text), case .string(let symbol)? = value["symbol"], case .string(let sideName)? = value["side"],
              let side = Side(rawValue: sideName), let quantity = number(value["quantity"]) else { return nil }
        func levels(_ key: String) -> [ManualOrder.Level]? {
            guard case .array(let items)? = value[key] else { return nil }
            return items.compactMap { item in
                guard case .array(let pair) = item, pair.count == 2, let fraction = number(pair[0]), let distance = number(pair[1]) else { return nil }
                return ManualOrder.Level(fraction: fraction, distance: distance)
            }
        }
        guard let targets = levels("take_profits"), let stops = levels("stop_losses") else { return nil }
        return (symbol, ManualOrder(side: side, quantity: quantity, takeProfits: targets, stopLosses: stops))
    }

    private static func number(_ value: JSON.Value?) -> Double? {
        switch value {
        case .number(let x)?: x
        case .int(let n)?: Double(n)
        default: nil
        }
    }
}
