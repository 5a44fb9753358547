/// A coding key of any name: for objects whose keys are data (a summary's figures) and for
/// listing the keys a body holds, so a request type can refuse the ones it does not define.
package struct JSONKey: CodingKey {
    package var stringValue: String
    package var intValue: Int? { nil }
    package init(_ name: String) { stringValue = name }
    package init(stringValue: String) { self.stringValue = stringValue }
    package init?(intValue: Int) { nil }

    /// The keys of the object being decoded, sorted: the first unknown one named is the same every time.
    package static func keys(of decoder: Decoder) throws -> [String] {
        try decoder.container(keyedBy: JSONKey.self).allKeys.map(\.stringValue).sorted()
    }
}
