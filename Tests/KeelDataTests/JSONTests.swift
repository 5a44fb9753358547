import Foundation
import KeelData
import Testing

@Suite("the JSON writer")
struct JSONTests {
    @Test("what it writes parses back (Foundation's parser) to the same values: escapes, UTF-8, numbers, nesting, both layouts")
    func roundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["a", "\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1f}", "\u{7f}", "é", "日本", "👍🏽", "/", " "]
        for _ in 0..<200 {
            let text = (0..<Int.random(in: 0...12, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            let number = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &generator))
            let value = JSON.Value.object([
                ("text", .string(text)), ("number", .number(number)), ("int", .int(Int.random(in: Int.min...Int.max, using: &generator))),
                ("list", .array([.bool(true), .null, .array([]), .object([])])), (text, .number(0.1)),
            ])
            for pretty in [true, false] {
                let encoded = JSON.encode(value, indent: pretty ? 1 : 0, pretty: pretty)
                let parsed = try #require(try JSONSerialization.jsonObject(with: Data(encoded.utf8)) as? [String: Any], "\(encoded)")
                #expect(parsed["text"] as? String == text)
                // Foundation's parser is not correctly rounded in its last digit: the number is checked as text, Swift's shortest form.
                if number.isFinite { #expect(encoded.contains("\"number\":\(pretty ? " " : "")\(number)"), "\(number)") } else { #expect(parsed["number"] is NSNull) }
                #expect((parsed[text] as? NSNumber)?.doubleValue == 0.1)
                // The byte writer and the string form agree.
                var bytes: [UInt8] = []
                JSON.write(value, indent: pretty ? 1 : 0, pretty: pretty, into: &bytes)
                #expect(bytes == Array(encoded.utf8))
            }
        }
    }

    @Test("the layout: two spaces a level, \": \" between key and value, empty containers closed at once")
    func layout() {
        let value = JSON.Value.object([("a", .array([.int(1), .string("x")])), ("b", .object([])), ("c", .array([]))])
        #expect(JSON.encode(value) == "{\n  \"a\": [\n    1,\n    \"x\"\n  ],\n  \"b\": {},\n  \"c\": []\n}")
        #expect(JSON.encode(value, pretty: false) == "{\"a\":[1,\"x\"],\"b\":{},\"c\":[]}")
        #expect(JSON.quote("\u{1}\u{1b}") == "\"\\u0001\\u001b\"")
    }
}
