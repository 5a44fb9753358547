import Foundation

/// The strategy file's JSON Schema read as a guide to its keys: which keys a mapping takes, what
/// each means, the words a value may be. The schema is the one built into the binary, so the
/// editor's help and yaml-language-server's agree.
struct SchemaGuide {
    struct Key {
        let name: String
        let documentation: String
    }

    private let root: [String: Any]

    init(text: String = EditorSchema.text) {
        root = ((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]) ?? [:]
    }

    /// A schema with its `$ref` followed (within this document).
    private func resolved(_ node: [String: Any], depth: Int = 0) -> [String: Any] {
        guard depth < 16, let reference = node["$ref"] as? String, reference.hasPrefix("#/") else { return node }
        var target: Any = root
        for part in reference.dropFirst(2).split(separator: "/") { target = (target as? [String: Any])?[String(part)] ?? [:] }
        var merged = resolved((target as? [String: Any]) ?? [:], depth: depth + 1)
        // What stands beside the $ref (a description) wins over the target's.
        for (key, value) in node where key != "$ref" { merged[key] = value }
        return merged
    }

    /// The schema and its alternatives (oneOf, anyOf), each resolved.
    private func alternatives(_ node: [String: Any]) -> [[String: Any]] {
        let node = resolved(node)
        let branches = ((node["oneOf"] as? [[String: Any]]) ?? []) + ((node["anyOf"] as? [[String: Any]]) ?? [])
        return [node] + branches.flatMap { alternatives($0) }
    }

    /// The schema of `key` inside a mapping (or a list of mappings) whose schema is `node`.
    private func child(_ node: [String: Any], _ key: String) -> [String: Any]? {
        for candidate in alternatives(node) {
            if let found = (candidate["properties"] as? [String: Any])?[key] as? [String: Any] { return found }
            if let items = candidate["items"] as? [String: Any], let found = child(items, key) { return found }
            if let any = candidate["additionalProperties"] as? [String: Any] { return any }
        }
        return nil
    }

    /// The schema at a path of keys from the top (a list's items are stepped into).
    func node(at path: [String]) -> [String: Any]? {
        var node = root
        for key in path {
            guard let next = child(node, key) else { return nil }
            node = next
        }
        return node
    }

    /// The keys a mapping at `path` takes, with their documentation.
    func keys(at path: [String]) -> [Key] {
        guard let node = node(at: path) else { return [] }
        var seen: Set<String> = []
        var keys: [Key] = []
        func collect(_ node: [String: Any]) {
            for candidate in alternatives(node) {
                if let properties = candidate["properties"] as? [String: Any] {
                    for name in properties.keys.sorted() where seen.insert(name).inserted {
                        keys.append(Key(name: name, documentation: documentation((properties[name] as? [String: Any]) ?? [:])))
                    }
                }
                if let items = candidate["items"] as? [String: Any] { collect(items) }
            }
        }
        collect(node)
        return keys
    }

    /// The documentation of the key at `path`: its text and the words it takes.
    func documentation(at path: [String]) -> String? {
        guard let node = node(at: path) else { return nil }
        let text = documentation(node)
        return text.isEmpty ? nil : text
    }

    private func documentation(_ node: [String: Any]) -> String {
        let own = (node["markdownDescription"] as? String) ?? (node["description"] as? String)
        let text = own ?? alternatives(node).lazy.compactMap { ($0["markdownDescription"] as? String) ?? ($0["description"] as? String) }.first ?? ""
        let words = words(node)
        return words.isEmpty ? text : text + "\n\nOne of: " + words.map { "`\($0)`" }.joined(separator: ", ")
    }

    /// The words a value at `path` may be (an enum's, a const's); only text (a schema's `false`
    /// is no word to offer).
    func words(at path: [String]) -> [String] { node(at: path).map(words) ?? [] }

    private func words(_ node: [String: Any]) -> [String] {
        var words: [String] = []
        for candidate in alternatives(node) {
            for value in (candidate["enum"] as? [Any]) ?? [] { if let word = value as? String, !words.contains(word) { words.append(word) } }
            if let word = candidate["const"] as? String, !words.contains(word) { words.append(word) }
        }
        return words
    }
}
