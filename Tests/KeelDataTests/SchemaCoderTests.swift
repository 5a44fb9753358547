import Foundation
import KeelData
import Testing

@Suite("JSON Schemas read off Codable types")
struct SchemaCoderTests {
    enum Side: String, Codable, CaseIterable { case long, short }

    struct Leg: Codable {
        var price: Double
        var note: String?
    }

    struct Order: Codable {
        var symbol: String
        var quantity: Int64
        var side: Side
        var limit: Double?
        var legs: [Leg]
        var tags: [String: Double]
        var live: Bool?

        enum CodingKeys: String, CodingKey {
            case symbol, quantity, side, limit, legs, tags, live
        }
    }

    static func object(_ value: JSON.Value) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(JSON.encode(value, pretty: false).utf8)) as? [String: Any])
    }

    static var expected: [String: Any] { [
        "type": "object",
        "required": ["symbol", "quantity", "side", "legs", "tags"],
        "properties": [
            "symbol": ["type": "string"], "quantity": ["type": "integer"], "side": ["type": "string", "enum": ["long", "short"]],
            "limit": ["type": "number"], "live": ["type": "boolean"],
            "legs": ["type": "array", "items": ["type": "object", "required": ["price"], "properties": ["price": ["type": "number"], "note": ["type": "string"]]]],
            "tags": ["type": "object", "additionalProperties": ["type": "number"]],
        ],
    ] }

    @Test("encoding a sample: encode is required, encodeIfPresent optional, enums list their cases, maps and arrays their values")
    func encoder() throws {
        let sample = Order(symbol: "A", quantity: 1, side: .long, limit: 1, legs: [Leg(price: 1, note: "n")], tags: ["a": 1], live: true)
        let schema = try Self.object(SchemaEncoder.schema(of: sample))
        #expect(NSDictionary(dictionary: schema) == NSDictionary(dictionary: Self.expected), "\(schema)")
    }

    @Test("decoding: the type asks for what it reads, and the same schema comes out as from encoding")
    func decoder() throws {
        let schema = try Self.object(SchemaDecoder.schema(of: Order.self))
        #expect(NSDictionary(dictionary: schema) == NSDictionary(dictionary: Self.expected), "\(schema)")
    }

    @Test("a type that says its schema outright is taken at its word")
    func described() throws {
        struct Raw: Encodable, SchemaDescribed {
            var schema: JSON.Value { .object([("type", .string("string")), ("format", .string("raw"))]) }
            func encode(to encoder: Encoder) throws {}
        }
        struct Holder: Encodable { var raw: Raw }
        let schema = try Self.object(SchemaEncoder.schema(of: Holder(raw: Raw())))
        #expect(((schema["properties"] as? [String: Any])?["raw"] as? [String: Any])?["format"] as? String == "raw")
    }
}
