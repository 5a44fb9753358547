import FuzzSupport
@testable import KeelData

// The live stream's JSON-lines decoder, line by line. Three properties: the in-place bar path
// gives the general path's event for every line it takes; an event written back as a line
// (`MarketEvent.line`) reads back equal; and neither path crashes on any bytes.

@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = FuzzDriver.text(data, size)
    for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
        var line = String(line)
        let fast = line.withUTF8(EventLine.fastBar)
        let general = try? EventLine.general(line)
        if let fast, fast != general { FuzzDriver.broken("the bar path read \(fast), the general path \(String(describing: general))") }
        guard let event = general else { continue }
        let written = event.line
        guard let back = try? EventLine.parse(written), back == event else {
            FuzzDriver.broken("\(event) written as \(written) does not read back equal")
        }
    }
    return 0
}

FuzzDriver.run(fuzz)
