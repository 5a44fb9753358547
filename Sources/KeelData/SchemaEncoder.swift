/// JSON Schemas read off `Encodable` types: one sample of a type is encoded, and what its encoding
/// writes is its schema. So an answer's schema is the type that writes the answer, and cannot
/// drift from it.
///
/// - A key written with `encode` is required; one written with `encodeIfPresent` is optional. The
///   sample sets its optionals, so their types are seen (one left nil is typed `{}`).
/// - `Double`, `Float` → number; integers → integer; `String` → string; `Bool` → boolean;
///   `encodeNil` → null. A `String`-backed `CaseIterable` enum lists its cases.
/// - An array is of its first element's schema (a sample's array holds one); a `[String: V]` is an
///   object whose values are `V`s.
/// - A type whose JSON is not what its encoding shows (text it writes raw) says so with
///   `SchemaDescribed`.
package enum SchemaEncoder {
    package static func schema<T: Encodable>(of sample: T) -> JSON.Value {
        if let described = sample as? SchemaDescribed { return described.schema }
        let node = Node()
        try? sample.encode(to: NodeEncoder(node: node))
        return node.schema
    }

    /// A node of the shape being read: what was written at one place of the encoding.
    final class Node {
        enum Shape {
            case unknown
            case fixed(JSON.Value)
            case object([(key: String, node: Node, required: Bool)])
            case array(Node?)
        }

        var shape = Shape.unknown

        var schema: JSON.Value {
            switch shape {
            case .unknown: return .object([])
            case .fixed(let schema): return schema
            case .array(let element): return .object([("type", .string("array")), ("items", element?.schema ?? .object([]))])
            case .object(let fields):
                let required = fields.filter(\.required).map { JSON.Value.string($0.key) }
                var schema: [(String, JSON.Value)] = [("type", .string("object")),
                                                      ("properties", .object(fields.map { ($0.key, $0.node.schema) }))]
                if !required.isEmpty { schema.append(("required", .array(required))) }
                return .object(schema)
            }
        }

        /// The node of a key (made on first use; a key written twice, as two encoders of one object do, keeps one).
        func field(_ key: String, required: Bool) -> Node {
            var fields: [(key: String, node: Node, required: Bool)] = []
            if case .object(let existing) = shape { fields = existing }
            if let index = fields.firstIndex(where: { $0.key == key }) {
                fields[index].required = fields[index].required || required
                shape = .object(fields)
                return fields[index].node
            }
            let node = Node()
            fields.append((key, node, required))
            shape = .object(fields)
            return node
        }

        func set<T: Encodable>(_ value: T) {
            if let described = value as? SchemaDescribed {
                shape = .fixed(described.schema)
            } else if let cases = Self.cases(of: T.self) {
                shape = .fixed(.object([("type", .string("string")), ("enum", .array(cases.map { .string($0) }))]))
            } else if let map = value as? [String: any Encodable] {
                let values = Node()
                if let first = map.keys.sorted().first, let value = map[first] { values.setAny(value) }
                shape = .fixed(.object([("type", .string("object")), ("additionalProperties", values.schema)]))
            } else if let scalar = Self.scalar(value) {
                shape = .fixed(scalar)
            } else {
                try? value.encode(to: NodeEncoder(node: self))
            }
        }

        private func setAny(_ value: any Encodable) { set(value) }

        static func scalar(_ value: Any) -> JSON.Value? {
            let type: String
            switch value {
            case is Bool: type = "boolean"
            case is String: type = "string"
            case is Double, is Float: type = "number"
            case is Int, is Int8, is Int16, is Int32, is Int64, is UInt, is UInt8, is UInt16, is UInt32, is UInt64: type = "integer"
            default: return nil
            }
            return .object([("type", .string(type))])
        }

        static func cases<T>(of type: T.Type) -> [String]? {
            guard let iterable = type as? any CaseIterable.Type else { return nil }
            func names<C: CaseIterable>(_ type: C.Type) -> [String]? {
                let names = type.allCases.compactMap { ($0 as? any RawRepresentable)?.rawValue as? String }
                return names.isEmpty ? nil : names
            }
            return names(iterable)
        }
    }

    struct NodeEncoder: Encoder {
        let node: Node
        var codingPath: [any CodingKey] = []
        var userInfo: [CodingUserInfoKey: Any] = [:]

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            if case .object = node.shape {} else { node.shape = .object([]) }
            return KeyedEncodingContainer(Keyed<Key>(node: node))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            if case .array = node.shape {} else { node.shape = .array(nil) }
            return Unkeyed(node: node)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer { Single(node: node) }
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let node: Node
        var codingPath: [any CodingKey] = []

        mutating func encodeNil(forKey key: Key) { node.field(key.stringValue, required: true).shape = .fixed(.object([("type", .string("null"))])) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) { node.field(key.stringValue, required: true).set(value) }
        mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) { optional(value, key) }
        // Each concrete overload: the protocol's defaults would skip a nil without telling.
        mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) { optional(value, key) }
        mutating func encodeIfPresent(_ value: String?, forKey key: Key) { optional(value, key) }
        mutating func encodeIfPresent(_ value: Double?, forKey key: Key) { optional(value, key) }
        mutating func encodeIfPresent(_ value: Float?, forKey key: Key) { optional(value, key) }
        mutating func encodeIfPresent(_ value: Int?, forKey key: Key) { optional(value, key) }
        mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) { optional(value, key) }
        mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) { optional(value, key) }
        mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) { optional(value, key) }
        mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) { optional(value, key) }
        mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) { optional(value, key) }
        mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) { optional(value, key) }
        mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) { optional(value, key) }
        mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) { optional(value, key) }
        mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) { optional(value, key) }

        private func optional<T: Encodable>(_ value: T?, _ key: Key) {
            let field = node.field(key.stringValue, required: false)
            if let value { field.set(value) }
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            NodeEncoder(node: node.field(key.stringValue, required: true)).container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            NodeEncoder(node: node.field(key.stringValue, required: true)).unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder { NodeEncoder(node: node) }
        mutating func superEncoder(forKey key: Key) -> any Encoder { NodeEncoder(node: node.field(key.stringValue, required: true)) }
    }

    /// An array: its first element is its items' schema.
    struct Unkeyed: UnkeyedEncodingContainer {
        let node: Node
        var codingPath: [any CodingKey] = []
        var count = 0

        private mutating func element() -> Node? {
            count += 1
            guard case .array(nil) = node.shape else { return nil }
            let element = Node()
            node.shape = .array(element)
            return element
        }

        mutating func encodeNil() { element()?.shape = .fixed(.object([("type", .string("null"))])) }
        mutating func encode<T: Encodable>(_ value: T) { element()?.set(value) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            NodeEncoder(node: element() ?? Node()).container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { NodeEncoder(node: element() ?? Node()).unkeyedContainer() }
        mutating func superEncoder() -> any Encoder { NodeEncoder(node: element() ?? Node()) }
    }

    struct Single: SingleValueEncodingContainer {
        let node: Node
        var codingPath: [any CodingKey] = []

        mutating func encodeNil() { node.shape = .fixed(.object([("type", .string("null"))])) }
        mutating func encode<T: Encodable>(_ value: T) { node.set(value) }
    }
}

/// A type whose JSON its encoding does not show (text written raw, a choice of shapes): its schema, said outright.
package protocol SchemaDescribed {
    var schema: JSON.Value { get }
}

/// A value type read from text it checks (a decimal string): the schema reader takes its sample
/// instead of asking it to read a placeholder it would refuse.
package protocol SchemaSampled: SchemaDescribed, Decodable {
    static var schemaSample: Self { get }
}
