import KeelData
import Testing

@Suite("bar series merged into one event stream")
struct MergedEventsTests {
    static func series(_ symbol: String, _ times: [Int64], signal: [Double]? = nil) -> BarSeries {
        var series = BarSeries(symbol: symbol, signalNames: signal == nil ? [] : ["flow"])
        for (row, time) in times.enumerated() {
            series.append(time: time, open: 1, high: 2, low: 0.5, close: Double(row), volume: 10, signals: signal.map { [$0[row]] } ?? [])
        }
        return series
    }

    @Test("time order; ties in the order the series are given; a row's signals (those with a value) before its bar")
    func order() {
        let a = Self.series("A", [1, 3, 5], signal: [7, .nan, 9])
        let b = Self.series("B", [1, 2, 5])
        let events = Array(MergedEvents([b, a])).map { event -> String in
            switch event {
            case .bar(let symbol, let time, _, _, _, _, _): "bar \(symbol) \(time)"
            case .signal(let symbol, let time, let name, let value): "signal \(symbol) \(time) \(name)=\(value)"
            default: "other"
            }
        }
        #expect(events == ["bar B 1", "signal A 1 flow=7.0", "bar A 1", "bar B 2", "bar A 3", "bar B 5", "signal A 5 flow=9.0", "bar A 5"])
        #expect(Array(MergedEvents([])).isEmpty)
    }
}
