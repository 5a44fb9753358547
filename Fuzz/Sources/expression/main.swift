import FuzzSupport
import KeelLanguage

// The expression parser on any text, and the printer's promise: what it prints from a tree parses
// back to a tree it prints the same (keel fmt and the language server's edits depend on it).

@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = FuzzDriver.text(data, size)
    var ids = ExprIDGenerator()
    let (tree, problems) = ExpressionParser.parse(ExpressionText(standalone: text), ids: &ids)
    guard problems.isEmpty else { return 0 }
    let printed = ExpressionPrinter.print(tree)
    // The printer's spaces can carry an expression near the length limit past it; keel fmt checks
    // its output and leaves such a file as it is, so the promise holds below the limit.
    guard printed.utf8.count <= ExpressionLimits.default.maxLength else { return 0 }
    let (again, later) = ExpressionParser.parse(ExpressionText(standalone: printed), ids: &ids)
    guard later.isEmpty else { FuzzDriver.broken("'\(text)' printed as '\(printed)', which does not parse: \(later)") }
    let reprinted = ExpressionPrinter.print(again)
    if reprinted != printed { FuzzDriver.broken("'\(text)' printed as '\(printed)', then as '\(reprinted)'") }
    return 0
}

FuzzDriver.run(fuzz)
