import Foundation
import KeelData
import Testing

@Suite("the JSON reader")
struct JSONReaderTests {
    @Test("every finite double the writer writes reads back bit for bit (Foundation's JSONSerialization misses about half); keys keep their order")
    func exactNumbers() throws {
        var generator = SystemRandomNumberGenerator()
        var foundationMissed = 0
        for _ in 0..<20_000 {
            let number = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &generator))
            let money = Double.random(in: -1e6...1e6, using: &generator)
            guard number.isFinite else { continue }
            let text = JSON.encode(.object([("z", .number(number)), ("a", .number(money)), ("m", .array([.number(money), .int(-7)]))]), pretty: false)
            let read = try JSONReader.parse(text)
            guard case .object(let fields) = read, case .number(let back)? = read["z"], case .number(let backMoney)? = read["a"] else {
                Issue.record("not an object: \(text)")
                return
            }
            #expect(fields.map(\.0) == ["z", "a", "m"])
            #expect(back.bitPattern == number.bitPattern && backMoney == money, "\(text)")
            #expect(JSON.encode(read, pretty: false) == text, "written again, the same text")
            let foundation = (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["a"] as? NSNumber
            if foundation?.doubleValue != money { foundationMissed += 1 }
            #expect(((try JSONReader.foundationObject(Array(text.utf8)) as? [String: Any])?["a"] as? NSNumber)?.doubleValue == money)
        }
        // Why the reader exists: if Foundation ever reads exactly, this says so and the reader can go.
        #expect(foundationMissed > 1_000, "JSONSerialization missed \(foundationMissed) of 20,000")
    }

    @Test("strings, escapes and surrogate pairs; integers stay integers; the Foundation shape matches JSONSerialization's")
    func values() throws {
        let text = #"{"s": "a\"b\\c\/d\n\t\u00e9\ud83d\udc4d", "i": -42, "big": 123456789012345678901234, "f": 1.5e-8, "b": [true, false, null], "o": {}}"#
        let read = try JSONReader.parse(text)
        guard case .string(let s)? = read["s"], case .int(let i)? = read["i"], case .number(let big)? = read["big"], case .number(let f)? = read["f"] else {
            Issue.record("\(read)")
            return
        }
        #expect(s == "a\"b\\c/d\n\té👍" && i == -42 && big == 1.2345678901234568e23 && f == 1.5e-8)
        let mine = try #require(try JSONReader.foundationObject(Array(text.utf8)) as? [String: Any])
        let theirs = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(mine["s"] as? String == theirs["s"] as? String && mine["i"] as? Int == -42 && (mine["b"] as? [Any])?.count == 3)
        #expect(mine["o"] is [String: Any] && (mine["b"] as? [Any])?[2] is NSNull && (mine["b"] as? [Any])?[0] as? Bool == true)
    }

    @Test("bad JSON is refused with where and why: trailing text, bad numbers, control characters, lone escapes, depth past 512")
    func refusals() {
        let cases: [(String, String)] = [
            ("{} x", "text after the value"), ("01", "not a number"), ("1.", "not a number"), ("-", "not a number"), ("1e", "not a number"),
            ("+1", "not a number"), ("1e999", "out of range"), ("\"a\u{1}\"", "control character"), ("\"\\x\"", "unknown escape"),
            ("\"\\u12\"", "four hex digits"), ("[1,]", "unexpected character"), ("{\"a\" 1}", "expected ':'"), ("{1:2}", "expected a key"),
            ("[1 2]", "expected ',' or ']'"), ("\"abc", "unexpected end"), ("tru", "expected true"), ("", "unexpected end"),
            (String(repeating: "[", count: 600) + String(repeating: "]", count: 600), "nested deeper than 512"),
        ]
        for (text, reason) in cases {
            #expect(throws: JSONReader.Failure.self, "\(text.prefix(20))") { try JSONReader.parse(text) }
            do { _ = try JSONReader.parse(text) } catch { #expect(error.description.contains(reason), "\(text.prefix(20)): \(error)") }
        }
        #expect((try? JSONReader.parse(String(repeating: "[", count: 500) + String(repeating: "]", count: 500))) != nil)
    }
}
