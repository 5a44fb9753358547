import Foundation
import KeelTestSupport
import Testing
@testable import KeelEditor

/// The schema as the editor tools read it: every key documented (description and
/// markdownDescription), the keys of each place, and the words a value takes, text only.
@Suite struct SchemaGuideTests {
    @Test("every key of the schema has a description and a markdownDescription")
    func documented() throws {
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(EditorSchema.text.utf8)) as? [String: Any])
        var missing: [String] = []
        func walk(_ node: Any?, _ path: String) {
            guard let node = node as? [String: Any] else { return }
            for (key, value) in (node["properties"] as? [String: Any]) ?? [:] {
                let property = value as? [String: Any] ?? [:]
                if property["description"] == nil || property["markdownDescription"] == nil { missing.append(path + key) }
                walk(property, path + key + ".")
            }
            for branch in ((node["oneOf"] as? [Any]) ?? []) + ((node["anyOf"] as? [Any]) ?? []) { walk(branch, path) }
            walk(node["items"], path + "[].")
            walk(node["additionalProperties"], path + "*.")
        }
        walk(schema, "")
        for (name, definition) in (schema["$defs"] as? [String: Any]) ?? [:] { walk(definition, "$defs.\(name).") }
        #expect(missing.isEmpty, "\(missing)")
    }

    @Test("keys and words by place: a list's items stepped into, a $ref followed, a schema's false never offered as a word")
    func places() {
        let guide = SchemaGuide()
        #expect(guide.keys(at: []).map(\.name).contains("stop_loss"))
        #expect(guide.keys(at: ["execution"]).map(\.name) == ["fees", "fill", "intrabar", "slippage"])
        #expect(Set(guide.keys(at: ["take_profit"]).map(\.name)).isSuperset(of: ["at", "close"]))
        #expect(guide.keys(at: ["entry"]).map(\.name) == ["long", "short"])
        #expect(guide.words(at: ["profile"]) == ["conservative", "balanced", "aggressive", "degen"])
        #expect(guide.words(at: ["risk", "max_drawdown"]) == ["off"])
        #expect(guide.words(at: ["execution", "fill"]) == ["next_open", "close"])
        #expect(guide.documentation(at: ["entry", "long"])?.contains("long") == true)
    }
}
