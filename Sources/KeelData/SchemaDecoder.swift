/// JSON Schemas read off `Decodable` types: the type decodes itself from a decoder that answers
/// every question and writes down what was asked. So a request body's schema is the type that
/// reads the body. A key read with `decode` is required, one read with `decodeIfPresent` optional;
/// a `String`-backed `CaseIterable` enum lists its cases; `[String: V]` is an object of `V`s.
package enum SchemaDecoder {
    package static func schema<T: Decodable>(of type: T.Type) -> JSON.Value {
        let node = SchemaEncoder.Node()
        _ = try? T(from: NodeDecoder(node: node))
        return node.schema
    }

    struct NodeDecoder: Decoder {
        let node: SchemaEncoder.Node
        /// The text a `String` question gets: an enum's first case, so the enum decodes.
        var text = "x"
        var codingPath: [any CodingKey] = []
        var userInfo: [CodingUserInfoKey: Any] = [:]

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedDecodingContainer<Key> {
            if case .object = node.shape {} else { node.shape = .object([]) }
            return KeyedDecodingContainer(Keyed<Key>(node: node))
        }

        func unkeyedContainer() -> any UnkeyedDecodingContainer { Unkeyed(node: node) }
        func singleValueContainer() -> any SingleValueDecodingContainer { Single(node: node, text: text) }
    }

    /// Answers a question about `T` at `node`: a sample value, and the node's schema written down.
    static func answer<T: Decodable>(_ type: T.Type, at node: SchemaEncoder.Node) throws -> T {
        if let cases = SchemaEncoder.Node.cases(of: T.self) {
            node.shape = .fixed(.object([("type", .string("string")), ("enum", .array(cases.map { .string($0) }))]))
            return try T(from: NodeDecoder(node: SchemaEncoder.Node(), text: cases[0]))
        }
        if let sampled = T.self as? any SchemaSampled.Type {
            let sample = sampled.schemaSample
            node.shape = .fixed(sample.schema)
            return sample as! T
        }
        if let sample = scalar(T.self) {
            node.shape = .fixed(SchemaEncoder.Node.scalar(sample) ?? .object([]))
            return sample as! T
        }
        if let map = T.self as? any SchemaMap.Type {
            let values = SchemaEncoder.Node()
            let empty = try map.emptyMap(valuesAt: values)
            node.shape = .fixed(.object([("type", .string("object")), ("additionalProperties", values.schema)]))
            return empty as! T
        }
        return try T(from: NodeDecoder(node: node))
    }

    static func scalar<T>(_ type: T.Type) -> Any? {
        switch type {
        case is Bool.Type: true
        case is String.Type: "x"
        case is Double.Type: 1.0
        case is Float.Type: Float(1)
        case is Int.Type: 1
        case is Int64.Type: Int64(1)
        case is Int32.Type: Int32(1)
        case is UInt64.Type: UInt64(1)
        case is UInt32.Type: UInt32(1)
        case is UInt.Type: UInt(1)
        default: nil
        }
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let node: SchemaEncoder.Node
        var codingPath: [any CodingKey] = []
        var allKeys: [Key] { [] }

        func contains(_ key: Key) -> Bool { true }
        func decodeNil(forKey key: Key) -> Bool {
            _ = node.field(key.stringValue, required: false)
            return false
        }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try SchemaDecoder.answer(type, at: node.field(key.stringValue, required: true))
        }

        func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
            try SchemaDecoder.answer(type, at: node.field(key.stringValue, required: false))
        }

        // Each concrete overload, so that an optional is written down as optional.
        func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try optional(type, key) }
        func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try optional(type, key) }
        func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try optional(type, key) }
        func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try optional(type, key) }
        func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try optional(type, key) }
        func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try optional(type, key) }
        func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try optional(type, key) }
        func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try optional(type, key) }
        func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try optional(type, key) }
        func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try optional(type, key) }
        func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try optional(type, key) }
        func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try optional(type, key) }
        func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try optional(type, key) }
        func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try optional(type, key) }

        private func optional<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? {
            try SchemaDecoder.answer(type, at: node.field(key.stringValue, required: false))
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) -> KeyedDecodingContainer<NestedKey> {
            NodeDecoder(node: node.field(key.stringValue, required: true)).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedDecodingContainer {
            NodeDecoder(node: node.field(key.stringValue, required: true)).unkeyedContainer()
        }

        func superDecoder() -> any Decoder { NodeDecoder(node: node) }
        func superDecoder(forKey key: Key) -> any Decoder { NodeDecoder(node: node.field(key.stringValue, required: true)) }
    }

    /// An array: asked for one element (its schema is the items'), then at its end.
    struct Unkeyed: UnkeyedDecodingContainer {
        let node: SchemaEncoder.Node
        var codingPath: [any CodingKey] = []
        var count: Int? { 1 }
        var currentIndex = 0
        var isAtEnd: Bool { currentIndex >= 1 }

        init(node: SchemaEncoder.Node) {
            self.node = node
            if case .array = node.shape {} else { node.shape = .array(nil) }
        }

        private mutating func element() -> SchemaEncoder.Node {
            currentIndex += 1
            let element = SchemaEncoder.Node()
            node.shape = .array(element)
            return element
        }

        mutating func decodeNil() -> Bool { false }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try SchemaDecoder.answer(type, at: element()) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) -> KeyedDecodingContainer<NestedKey> {
            NodeDecoder(node: element()).container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedDecodingContainer { NodeDecoder(node: element()).unkeyedContainer() }
        mutating func superDecoder() -> any Decoder { NodeDecoder(node: element()) }
    }

    struct Single: SingleValueDecodingContainer {
        let node: SchemaEncoder.Node
        let text: String
        var codingPath: [any CodingKey] = []

        func decodeNil() -> Bool { false }
        func decode(_ type: String.Type) throws -> String {
            if case .unknown = node.shape { node.shape = .fixed(.object([("type", .string("string"))])) }
            return text
        }

        func decode<T: Decodable>(_ type: T.Type) throws -> T { try SchemaDecoder.answer(type, at: node) }
    }
}

/// `[String: V]`, answered as an object of `V`s without asking for any key.
protocol SchemaMap {
    static func emptyMap(valuesAt node: SchemaEncoder.Node) throws -> Any
}

extension Dictionary: SchemaMap where Key == String, Value: Decodable {
    static func emptyMap(valuesAt node: SchemaEncoder.Node) throws -> Any {
        // The values' schema, from one value asked for and thrown away.
        _ = try SchemaDecoder.answer(Value.self, at: node)
        return [String: Value]()
    }
}
