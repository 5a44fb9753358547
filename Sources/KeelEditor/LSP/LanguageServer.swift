import Foundation
import KeelLanguage
import KeelLint

/// `keel lsp`: a Language Server Protocol 3.17 server for strategy files over stdio. One thread
/// answers in the order messages came; each burst of edits is linted once, after its last edit.
/// A request never takes the server down: a file that does not read gives fewer answers, not a
/// crash, and a message it cannot read gets a JSON-RPC error.
public final class LanguageServer {
    private let connection: JSONRPCConnection
    private var documents: [String: EditorDocument] = [:]
    /// The analysis of each open document's current version.
    private var analyses: [String: (version: Int, analysis: DocumentAnalysis)] = [:]
    /// Each document's last `let`s and params that read: completion still offers them while the file is half typed.
    private var lastDeclarations: [String: [String: DocumentAnalysis.Declaration]] = [:]
    var encoding = PositionEncoding.utf16
    private var shuttingDown = false
    let schema = SchemaGuide()

    public init(input: FileHandle = .standardInput, output: FileHandle = .standardOutput) {
        connection = JSONRPCConnection(input: input, output: output)
    }

    /// Serves until `exit`; returns the process's exit code (0 after `shutdown`, 1 otherwise).
    public func run() -> Int32 {
        connection.start()
        while true {
            var changed: [String] = []
            for incoming in connection.takeAll() {
                switch incoming {
                case .closed: return shuttingDown ? 0 : 1
                case .malformed(let why): connection.send(["id": NSNull(), "error": ["code": -32700, "message": "cannot read the message: \(why)"]])
                case .message(let message):
                    if message["method"] as? String == "exit" { return shuttingDown ? 0 : 1 }
                    if let uri = handle(message), !changed.contains(uri) { changed.append(uri) }
                }
            }
            for uri in changed { publishDiagnostics(uri) }
        }
    }

    /// Handles one message; returns the URI of a document it changed.
    private func handle(_ message: [String: Any]) -> String? {
        let method = message["method"] as? String ?? ""
        let params = message["params"] as? [String: Any] ?? [:]
        guard let id = message["id"] else { return notify(method, params) }
        if method.isEmpty { return nil }  // a client's answer to a request of ours
        if shuttingDown {
            connection.send(["id": id, "error": ["code": -32600, "message": "the server is shutting down"]])
            return nil
        }
        do {
            let result = try answer(method, params)
            connection.send(["id": id, "result": result ?? NSNull()])
        } catch let failure as RequestFailure {
            connection.send(["id": id, "error": ["code": failure.code, "message": failure.message]])
        } catch {
            connection.send(["id": id, "error": ["code": -32603, "message": "\(error)"]])
        }
        return nil
    }

    struct RequestFailure: Error {
        let code: Int
        let message: String
        static func invalid(_ message: String) -> RequestFailure { RequestFailure(code: -32602, message: message) }
    }

    private func notify(_ method: String, _ params: [String: Any]) -> String? {
        let document = params["textDocument"] as? [String: Any]
        let uri = document?["uri"] as? String ?? ""
        switch method {
        case "textDocument/didOpen":
            documents[uri] = EditorDocument(uri: uri, version: document?["version"] as? Int ?? 0, text: document?["text"] as? String ?? "")
            return uri
        case "textDocument/didChange":
            guard var open = documents[uri] else { return nil }
            for change in params["contentChanges"] as? [[String: Any]] ?? [] { open.apply(change, encoding: encoding) }
            open.version = document?["version"] as? Int ?? open.version + 1
            documents[uri] = open
            return uri
        case "textDocument/didClose":
            documents[uri] = nil
            analyses[uri] = nil
            lastDeclarations[uri] = nil
            connection.send(["method": "textDocument/publishDiagnostics", "params": ["uri": uri, "diagnostics": []]])
            return nil
        case "textDocument/didSave":
            // `.keel-lint.yaml` may have changed beside it: lint again.
            analyses[uri] = nil
            return documents[uri] == nil ? nil : uri
        default:
            return nil
        }
    }

    private func answer(_ method: String, _ params: [String: Any]) throws -> Any? {
        switch method {
        case "initialize": return initialize(params)
        case "shutdown":
            shuttingDown = true
            return nil
        case "textDocument/hover": return try at(params) { hover($0, $1) }
        case "textDocument/completion": return try at(params) { completion($0, $1) }
        case "textDocument/definition": return try at(params) { definition($0, $1) }
        case "textDocument/references":
            let declaration = ((params["context"] as? [String: Any])?["includeDeclaration"] as? Bool) ?? true
            return try at(params) { references($0, $1, includeDeclaration: declaration) }
        case "textDocument/prepareRename": return try at(params) { prepareRename($0, $1) }
        case "textDocument/rename":
            let name = params["newName"] as? String ?? ""
            return try at(params) { try rename($0, $1, to: name) }
        case "textDocument/codeAction": return try document(params).map { codeActions($0, params) }
        case "textDocument/formatting": return try document(params).map { formatting($0) }
        case "textDocument/semanticTokens/full": return try document(params).map { semanticTokens($0) }
        default:
            throw RequestFailure(code: -32601, message: "keel lsp does not answer \(method)")
        }
    }

    private func initialize(_ params: [String: Any]) -> [String: Any] {
        let offered = ((params["capabilities"] as? [String: Any])?["general"] as? [String: Any])?["positionEncodings"] as? [String] ?? []
        // UTF-16 is every client's; UTF-8 only for a client that cannot do UTF-16.
        encoding = offered.isEmpty || offered.contains("utf-16") ? .utf16 : offered.contains("utf-8") ? .utf8 : .utf16
        return [
            "capabilities": [
                "positionEncoding": encoding.rawValue,
                "textDocumentSync": ["openClose": true, "change": 2, "save": ["includeText": false]],
                "hoverProvider": true,
                "completionProvider": ["triggerCharacters": [".", "(", " ", ":", "{", ","], "resolveProvider": false],
                "definitionProvider": true,
                "referencesProvider": true,
                "renameProvider": ["prepareProvider": true],
                "documentFormattingProvider": true,
                "codeActionProvider": ["codeActionKinds": ["quickfix", "refactor.rewrite"]],
                "semanticTokensProvider": [
                    "legend": ["tokenTypes": DocumentAnalysis.Role.allCases.map(\.tokenType), "tokenModifiers": ["declaration", "defaultLibrary"]],
                    "full": true,
                ],
            ] as [String: Any],
            "serverInfo": ["name": "keel", "version": KeelVersion.current],
        ]
    }

    /// The open document a request names.
    private func document(_ params: [String: Any]) throws -> EditorDocument? {
        guard let uri = (params["textDocument"] as? [String: Any])?["uri"] as? String else { throw RequestFailure.invalid("no textDocument.uri") }
        return documents[uri]
    }

    /// A request at a position: its document and byte offset; nil for a document not open.
    private func at(_ params: [String: Any], _ body: (EditorDocument, Int) throws -> Any?) throws -> Any? {
        guard let open = try document(params) else { return nil }
        guard let offset = encoding.offset(params["position"], in: open.file) else { throw RequestFailure.invalid("no position") }
        return try body(open, offset)
    }

    /// The analysis of a document's current version, made when first asked for.
    func analysis(_ document: EditorDocument) -> DocumentAnalysis {
        if let cached = analyses[document.uri], cached.version == document.version, cached.analysis.file.text == document.text { return cached.analysis }
        let made = DocumentAnalysis(file: document.file, linter: linter(for: document.file.path))
        analyses[document.uri] = (document.version, made)
        if !made.declarations.isEmpty || made.root != nil { lastDeclarations[document.uri] = made.declarations }
        return made
    }

    /// The `let`s and params completion offers: the current text's, else the last that read.
    func declarations(_ document: EditorDocument) -> [String: DocumentAnalysis.Declaration] {
        let current = analysis(document)
        return current.root != nil ? current.declarations : lastDeclarations[document.uri] ?? [:]
    }

    /// The linter with the `.keel-lint.yaml` nearest the file, as `keel lint` finds it.
    private func linter(for path: String) -> Linter {
        guard path.hasPrefix("/"), let found = StrategyFiles.findConfiguration(from: (path as NSString).deletingLastPathComponent),
              let text = try? String(contentsOfFile: found, encoding: .utf8) else { return Linter() }
        let (configuration, _) = LintConfiguration.parse(SourceFile(path: found, text: text))
        return Linter(configuration: configuration)
    }

    private func publishDiagnostics(_ uri: String) {
        guard let open = documents[uri] else { return }
        let made = analysis(open)
        let diagnostics = made.report.diagnostics.map { lspDiagnostic($0, in: open) }
        connection.send(["method": "textDocument/publishDiagnostics", "params": ["uri": uri, "version": open.version, "diagnostics": diagnostics]])
    }

    func lspDiagnostic(_ diagnostic: Diagnostic, in document: EditorDocument) -> [String: Any] {
        let file = document.file
        var object: [String: Any] = [
            "range": encoding.lspRange(diagnostic.range, in: file),
            "severity": diagnostic.severity == .error ? 1 : diagnostic.severity == .warning ? 2 : 3,
            "code": diagnostic.id, "source": "keel", "message": diagnostic.message,
        ]
        let related: [[String: Any]] = diagnostic.notes.compactMap { note in
            guard let range = note.range else { return nil }
            return ["location": ["uri": document.uri, "range": encoding.lspRange(range, in: file)], "message": note.message]
        }
        if !related.isEmpty { object["relatedInformation"] = related }
        return object
    }

    /// Formatting: `keel fmt`'s layout as one edit of the whole text; a file it leaves as it is
    /// gets no edit and a message saying why.
    func formatting(_ document: EditorDocument) -> [[String: Any]] {
        switch StrategyFormatter.format(document.file) {
        case .formatted(let text) where text != document.text:
            return [["range": encoding.lspRange(SourceRange(0, document.file.bytes.count), in: document.file), "newText": text]]
        case .formatted: return []
        case .refused(let why):
            connection.send(["method": "window/showMessage", "params": ["type": 2, "message": "keel fmt: not formatted: \(why)"]])
            return []
        }
    }

    func location(_ range: SourceRange, in document: EditorDocument) -> [String: Any] {
        ["uri": document.uri, "range": encoding.lspRange(range, in: document.file)]
    }
}
