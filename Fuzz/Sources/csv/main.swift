import FuzzSupport
@testable import KeelData

// A bar file's text. The whole reader (`CSVBarReader.parse`, skipping bad rows), then each row
// through both row parsers: the one-pass path must agree bit for bit with the general path on
// every row it takes, and leave the series untouched on every row it refuses.

func agreeRowByRow(_ bytes: UnsafeBufferPointer<UInt8>) {
    var lines = LineCursor(bytes)
    guard let first = lines.next(), let layout = try? ColumnMap(first: first, bytes: bytes, file: "fuzz.csv", options: BarFileOptions()),
          var fast = FastRowParser(layout) else { return }
    var one = BarSeries(symbol: "X"), general = BarSeries(symbol: "X")
    var last: Int64?
    while let line = lines.next() {
        one.removeAll(keepingCapacity: true)
        general.removeAll(keepingCapacity: true)
        var unit: EpochUnit?
        var decoder = RowDecoder(layout, symbol: "X")
        let message = decoder.decodeGeneral(line, bytes, into: &general, lastTime: last)
        if fast.append(line, bytes, to: &one, lastTime: last, epochUnit: &unit) {
            guard message == nil else { FuzzDriver.broken("the one-pass parser took a row the general path refuses: \(message!)") }
            let same = one.time[0] == general.time[0] && one.open[0].bitPattern == general.open[0].bitPattern
                && one.high[0].bitPattern == general.high[0].bitPattern && one.low[0].bitPattern == general.low[0].bitPattern
                && one.close[0].bitPattern == general.close[0].bitPattern && one.volume[0].bitPattern == general.volume[0].bitPattern
            if !same { FuzzDriver.broken("the two row parsers read one row differently") }
        } else if one.count != 0 {
            FuzzDriver.broken("the one-pass parser refused a row and still appended a bar")
        }
        if message == nil { last = general.time[0] }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = FuzzDriver.bytes(data, size)
    agreeRowByRow(bytes)
    let text = String(decoding: bytes, as: UTF8.self)
    if let read = try? CSVBarReader.parse(text, file: "fuzz.csv", symbol: "X", policy: .skip) {
        let series = read.series
        for i in 0..<series.count {
            if i > 0, series.time[i] <= series.time[i - 1] { FuzzDriver.broken("bars out of time order") }
            let (o, h, l, c) = (series.open[i], series.high[i], series.low[i], series.close[i])
            if !(l > 0 && l <= o && o <= h && l <= c && c <= h) { FuzzDriver.broken("an invalid bar passed: \(o) \(h) \(l) \(c)") }
        }
    }
    return 0
}

FuzzDriver.run(fuzz)
