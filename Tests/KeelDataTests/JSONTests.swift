import Foundation
import KeelData
import KeelTestSupport
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

    @Test("whole numbers take a fast path that writes what description writes, at every boundary")
    func wholeNumbers() {
        var generator = SeededGenerator(seed: 11)
        var values: [Double] = [0, -0.0, 1, -1, 2, 1e14, 1e15 - 1, 1e15, -1e15, 1e15 + 2, 9_007_199_254_740_992, 1e16, 1e300, 0.5, -2.5, 1e-300,
                                .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        values += (0..<2_000).map { _ in Double(Int64.random(in: -2_000_000_000_000_000...2_000_000_000_000_000, using: &generator)) }
        values += (0..<2_000).map { _ in Double(Int.random(in: -100_000...100_000, using: &generator)) }
        for value in values {
            var bytes: [UInt8] = []
            JSON.write(.number(value), into: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == value.description, "\(value)")
        }
        for int in [0, -1, 7, Int.max, Int.min, -1_000_000] {
            #expect(JSON.encode(.int(int)) == String(int))
        }
    }
}
