import ArgumentParser
import Foundation
import KeelEditor

struct LSP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lsp",
        abstract: "Serve the Language Server Protocol for strategy files over stdio (for editors).",
        discussion: prose("""
        An editor starts keel lsp and speaks LSP 3.17 to it on stdin and stdout: diagnostics as
        you type (the linter's, with the nearest .keel-lint.yaml), hover, completion, go to
        definition, references and rename of lets and params, quick fixes, and semantic tokens for
        the expressions inside the YAML. docs/editors.md sets it up in VS Code, Neovim and Helix.
        Exits 0 after the client's shutdown and exit, 1 when the client goes away without them.
        """)
    )

    func run() throws {
        let code = LanguageServer().run()
        if code != 0 { throw ExitCode(code) }
    }
}
