import KeelData
import Testing

@Suite("decimal text")
struct DecimalTextTests {
    @Test("a double in plain decimal notation: the exponent written out, no trailing zeros, the decimal that went in comes out")
    func plain() {
        let cases: [(Double, String)] = [(0.1, "0.1"), (0.2, "0.2"), (0.1 + 0.2, "0.30000000000000004"), (1e-8, "0.00000001"), (2, "2"), (-0.5, "-0.5"),
                                         (1.2345e16, "12345000000000000"), (12.345678901234, "12.345678901234"), (0, "0"), (-0.0, "0"),
                                         (1.5e-7, "0.00000015"), (123456789.125, "123456789.125")]
        for (value, text) in cases { #expect(DecimalText.string(value) == text, "\(value)") }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<10_000 {
            let value = Double.random(in: -1e9...1e9, using: &generator) * (Bool.random(using: &generator) ? 1e-12 : 1)
            #expect(Double(DecimalText.string(value)) == value, "\(value)")
        }
    }
}
