import Foundation
import KeelLanguage
for path in CommandLine.arguments.dropFirst() {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let result = Frontend.check(SourceFile(path: path, text: text))
    for d in result.diagnostics {
        let loc = result.file.location(ofOffset: d.range.start)
        print("\(path):\(loc): \(d.severity)[\(d.id)]: \(d.message)")
    }
    print(path, "warmup", result.checked?.warmup ?? -1, "stop", String(describing: result.checked?.stopLoss?.level), result.checked?.sizing as Any)
}
