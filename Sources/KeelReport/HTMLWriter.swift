import Foundation
import KeelData
import KeelReportAssets

/// Builds the report's one HTML file as bytes: escaped text, the inlined library, script and
/// style sheet, and the data the script draws from.
struct HTMLWriter {
    private(set) var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(6 << 20) }

    mutating func raw(_ html: String) { bytes += html.utf8 }

    /// Text in an element or an attribute.
    mutating func text(_ text: String) { bytes += Self.escape(text).utf8 }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// `<tag attributes>text</tag>`, the text escaped.
    mutating func element(_ tag: String, _ attributes: String = "", _ content: String) {
        raw("<\(tag)\(attributes.isEmpty ? "" : " " + attributes)>")
        text(content)
        raw("</\(tag)>")
    }

    /// The data the script draws, as JSON in a script element: `</` is written `<\/` so no string
    /// in it can close the element.
    mutating func data(_ value: JSON.Value) {
        raw("<script id=\"keel-data\" type=\"application/json\">")
        var json: [UInt8] = []
        JSON.write(value, pretty: false, into: &json)
        var previous: UInt8 = 0
        for byte in json {
            if previous == UInt8(ascii: "<"), byte == UInt8(ascii: "/") { bytes.append(UInt8(ascii: "\\")) }
            bytes.append(byte)
            previous = byte
        }
        raw("</script>\n")
    }

    mutating func asset(_ asset: keel_asset) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: asset.bytes, count: Int(asset.count)))
    }

    mutating func styleSheet() {
        raw("<style>\n")
        asset(keel_asset_report_css())
        raw("</style>\n")
    }

    /// Plotly gzipped and base64'd (1.9 MB instead of 4.8), which the report's script unpacks and
    /// runs after the page's text has painted; then the script itself.
    mutating func scripts() {
        raw("<!-- plotly.js v4.1.1, (c) Plotly, Inc., MIT licence: gzip, then base64 -->\n")
        raw("<script id=\"plotly-gz\" type=\"application/octet-stream\">")
        raw(Self.packedPlotly)
        raw("</script>\n<script>\n")
        asset(keel_asset_report_js())
        raw("\n</script>\n")
    }

    /// Base64'd once a process, then shared by every report it writes.
    static let packedPlotly: String = {
        let plotly = keel_asset_plotly_gz()
        return Data(bytes: plotly.bytes, count: Int(plotly.count)).base64EncodedString()
    }()
}
