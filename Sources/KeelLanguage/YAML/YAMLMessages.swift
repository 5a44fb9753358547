/// Every message of the YAML front end: the file as bytes, as YAML, as one mapping of keys.
extension DiagnosticMessage {
    static func fileTooLarge(bytes: Int, limit: Int) -> Self {
        .init("file-too-large", "file is \(bytes) bytes; strategy files are limited to \(limit) bytes")
    }

    static let emptyFile = Self("empty-file", "the file is empty; a strategy needs at least 'keel: 1' and 'entry:'")

    static let multipleDocuments = Self("yaml-multiple-documents", "a strategy file holds one YAML document; remove this '---' and what follows")

    static func alias(_ name: String) -> Self {
        .init("yaml-alias", "YAML aliases ('*\(name)') are not allowed in strategy files; write the value out, or use 'let:' to name a shared expression")
    }

    static func anchor(_ name: String) -> Self {
        .init("yaml-anchor", "YAML anchors ('&\(name)') are not allowed in strategy files; use 'let:' to name a shared expression")
    }

    static func tag(_ tag: String) -> Self {
        .init("yaml-tag", "YAML tags ('\(tag)') are not allowed in strategy files; the schema decides each value's type")
    }

    static func tooDeep(limit: Int) -> Self {
        .init("yaml-too-deep", "nesting deeper than \(limit) levels; strategy files are shallow, check the indentation")
    }

    static func tooManyNodes(limit: Int) -> Self {
        .init("yaml-too-many-nodes", "more than \(limit) YAML nodes; a strategy file this large is refused")
    }

    static func duplicateKey(_ name: String) -> Self {
        .init("duplicate-key", "duplicate key '\(name)'; each key may appear once in a mapping")
    }

    static func complexKey(found: String) -> Self {
        .init("yaml-complex-key", "mapping keys must be plain names, not \(found)")
    }

    /// libyaml's problem and context, and a hint for the usual causes.
    static func syntax(_ problem: String, hint: String) -> Self {
        .init("yaml-syntax", "YAML syntax: \(problem)" + hint)
    }
}
