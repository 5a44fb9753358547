import KeelBroker
import KeelStore
import Testing

/// Keel's record and the broker agree: every order at the broker is one Keel committed first,
/// once; every fill of the run's orders is recorded, once; the positions are the broker's.
package func expectBrokerAgreement(_ store: KeelStore, _ broker: PaperBrokerProcess, runId: String,
                                  sourceLocation: SourceLocation = #_sourceLocation) throws {
    let ours = try store.brokerOrders(run: runId)
    let atBroker = try (broker.decode([Order].self, "/orders?limit=5000") + broker.decode([Order].self, "/orders/history?limit=5000"))
        .filter { $0.clientOrderId?.hasPrefix(runId + "-") == true && $0.parentOrderId == nil }
    let committed = Set(ours.map(\.clientOrderId))
    #expect(atBroker.allSatisfy { committed.contains($0.clientOrderId ?? "") }, "an order at the broker that Keel never committed",
            sourceLocation: sourceLocation)
    #expect(Set(atBroker.map(\.clientOrderId)).count == atBroker.count, "two broker orders for one client order id", sourceLocation: sourceLocation)
    let sent = ours.filter { $0.brokerOrderId != nil }
    #expect(sent.count == atBroker.count, "Keel's sent orders and the broker's", sourceLocation: sourceLocation)
    for order in sent {
        #expect(atBroker.first { $0.clientOrderId == order.clientOrderId }?.id == order.brokerOrderId, sourceLocation: sourceLocation)
    }

    // A bracket's legs carry their parent's client id with a suffix.
    func parent(_ id: String) -> String { id.hasSuffix("-tp") || id.hasSuffix("-sl") ? String(id.dropLast(3)) : id }
    let fills = try broker.decode([Trade].self, "/trades?order=asc&limit=5000").filter { committed.contains(parent($0.clientOrderId ?? "")) }
    let recorded = try store.brokerFills(run: runId).filter { $0.kind == "fill" }
    #expect(recorded.map(\.fillId) == fills.map(\.id), "every broker fill recorded once, in order", sourceLocation: sourceLocation)
    #expect(recorded.map(\.qty) == fills.map(\.quantity.double), sourceLocation: sourceLocation)
    #expect(recorded.map(\.price) == fills.map(\.price.double), sourceLocation: sourceLocation)
    let positions = try broker.decode([Position].self, "/positions")
    let held = try store.brokerPositions(run: runId)
    #expect(held == Dictionary(uniqueKeysWithValues: positions.map { ($0.symbol, $0.signedQuantity.double) }), sourceLocation: sourceLocation)
    #expect(try store.integrityCheck() == "ok", sourceLocation: sourceLocation)
}
