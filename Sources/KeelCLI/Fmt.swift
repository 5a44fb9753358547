import ArgumentParser
import Foundation
import KeelEditor
import KeelLanguage
import KeelLint

struct Fmt: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put strategy files in their canonical layout (or, with --check, say which are not).",
        usage: "keel fmt [--check] <path> ...",
        discussion: prose("""
        The canonical layout: top-level keys (and those of entry, exit, allocation, execution and
        risk) in the reference's order; block mappings indented two spaces a level, lists two
        under their key; every expression as the canonical printer prints it (single spaces, the
        fewest parentheses), in the quotes it had; comments kept with the key below them and
        blank-line groups kept; trailing spaces gone. fmt of fmt is the same file, and the file
        means what it meant: the result is checked to declare the same settings and expressions,
        and refused otherwise. A file with errors is left as it is, with why. Folders are read for
        .yaml and .yml files, as keel lint reads them. --check writes nothing and prints the diff
        of each file not in layout. Exits 0 when every file is (or now is) in layout, 1 when
        --check finds one that is not or a file is left as it is, 66 when a path cannot be read,
        74 when a file cannot be written.
        """)
    )

    @Argument(help: "Strategy files or folders.")
    var paths: [String]

    @Flag(help: "Write nothing; print the diff of each file not in the canonical layout and exit 1 if there is one.")
    var check = false

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("give the strategy files or folders to format") }
    }

    func run() throws {
        let (files, missing) = StrategyFiles.collect(paths)
        for path in missing { StandardError.say("cannot read '\(path)': no such file or folder") }
        var (changed, left, same) = (0, 0, 0)
        for path in files {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                StandardError.say("cannot read '\(path)'")
                throw Exit.unreadable
            }
            switch StrategyFormatter.format(SourceFile(path: path, text: text)) {
            case .refused(let why):
                StandardError.say("\(path): not formatted: \(why)")
                left += 1
            case .formatted(let canonical) where canonical == text:
                same += 1
            case .formatted(let canonical):
                changed += 1
                if check {
                    print(LineDiff.unified(text, canonical, path: path), terminator: "")
                    continue
                }
                do { try Data(canonical.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
                    StandardError.say("cannot write '\(path)': \(error.localizedDescription)")
                    throw Exit.cannotWrite
                }
            }
        }
        let files_ = files.count == 1 ? "1 file" : "\(files.count) files"
        StandardError.say("\(files_): \(same) in layout, \(changed) \(check ? "not in layout" : "formatted"), \(left) left as they are")
        if !missing.isEmpty { throw Exit.unreadable }
        if left > 0 || check && changed > 0 { throw Exit.findings }
    }
}
