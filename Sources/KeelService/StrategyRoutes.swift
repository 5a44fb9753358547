import Keel
import Foundation
import Hummingbird
import KeelHTTP
import KeelLanguage
import KeelLint
import KeelRunner
import KeelStore

/// `/v1/strategies`: create from YAML (checked and linted; a broken file is 422 with every
/// diagnostic at its line and column), list, get, update (a new version), delete. New strategies
/// trade on paper.
enum StrategyRoutes {
    struct Body: Decodable {
        var source: String
    }

    struct ModeBody: Decodable {
        var mode: String
    }

    struct View: Encodable {
        var id: String
        var name: String
        var mode: String
        var version: Int
        var createdAt: Int64
        var updatedAt: Int64
        var source: String?
        /// Warnings and notes of the version just written.
        var diagnostics: [DiagnosticView]?

        init(_ s: StoredStrategy, source: String? = nil, diagnostics: [DiagnosticView]? = nil) {
            (id, name, mode, version, createdAt, updatedAt) = (s.id, s.name, s.mode, s.version, s.createdAt, s.updatedAt)
            (self.source, self.diagnostics) = (source, diagnostics)
        }

        enum CodingKeys: String, CodingKey {
            case id, name, mode, version, source, diagnostics
            case createdAt = "created_at", updatedAt = "updated_at"
        }
    }

    struct DiagnosticView: Codable {
        var id: String
        var severity: String
        var message: String
        var line: Int
        var column: Int
        var endLine: Int
        var endColumn: Int

        enum CodingKeys: String, CodingKey {
            case id, severity, message, line, column
            case endLine = "end_line", endColumn = "end_column"
        }
    }

    static func add(to group: RouterGroup<ServiceContext>, _ state: ServiceState) {
        group.post { request, context in
            let decoded = try await decode(Body.self, request, context)
            guard case .success(let body) = decoded else { return decoded.failureResponse }
            switch validate(body.source) {
            case .failure(let refusal): return refusal.response
            case .success(let (name, diagnostics)):
                let created = try state.store.createStrategy(id: ServiceState.newId("st"), name: name, source: body.source, now: state.now())
                var response = json(View(created, diagnostics: diagnostics), status: .created)
                response.headers[.location] = "/v1/strategies/\(created.id)"
                return response
            }
        }
        group.get { _, _ in json(try state.store.apiStrategies().map { View($0) }) }
        group.get(":id") { request, context in
            let id = context.parameters.get("id") ?? ""
            let version = request.uri.queryParameters["version"].flatMap { Int(String($0)) }
            guard ServiceState.isId(id, prefix: "st"), let (strategy, source) = try state.store.apiStrategy(id, version: version) else {
                return notFound("strategy", id)
            }
            var view = View(strategy, source: source)
            if let version { view.version = version }
            return json(view)
        }
        group.put(":id") { request, context in
            let id = context.parameters.get("id") ?? ""
            guard ServiceState.isId(id, prefix: "st"), try state.store.apiStrategy(id) != nil else { return notFound("strategy", id) }
            let decoded = try await decode(Body.self, request, context)
            guard case .success(let body) = decoded else { return decoded.failureResponse }
            switch validate(body.source) {
            case .failure(let refusal): return refusal.response
            case .success(let (name, diagnostics)):
                guard let updated = try state.store.updateStrategy(id, name: name, source: body.source, now: state.now()) else {
                    return notFound("strategy", id)
                }
                return json(View(updated, diagnostics: diagnostics))
            }
        }
        // The first of a live run's two opt-ins: the strategy is switched to live (the run's request is the second).
        group.put(":id/mode") { request, context in
            let id = context.parameters.get("id") ?? ""
            guard ServiceState.isId(id, prefix: "st"), try state.store.apiStrategy(id) != nil else { return notFound("strategy", id) }
            let decoded = try await decode(ModeBody.self, request, context)
            guard case .success(let body) = decoded else { return decoded.failureResponse }
            guard ["paper", "live"].contains(body.mode) else {
                return failure(.unprocessableContent, "invalid_mode", "mode is 'paper' or 'live', not '\(body.mode.prefix(40))'")
            }
            guard let updated = try state.store.setStrategyMode(id, mode: body.mode, now: state.now()) else { return notFound("strategy", id) }
            return json(View(updated))
        }
        group.delete(":id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard ServiceState.isId(id, prefix: "st"), try state.store.deleteStrategy(id, now: state.now()) else {
                return notFound("strategy", id)
            }
            return Response(status: .noContent)
        }
    }

    /// Checked, linted and compiled as `keel lint` and `keel backtest` do: the name and the
    /// findings that do not stop it, or a 422 with every diagnostic.
    static func validate(_ source: String, profile: ProfileName? = nil) -> Result<(String, [DiagnosticView]), ResponseError> {
        let (errors, diagnostics) = lint(source, profile: profile)
        do {
            guard errors == 0 else { throw RunnerError.refused("") }
            let loaded = try LoadedStrategy(path: "strategy.yaml", text: source)
            return .success((loaded.program.name, diagnostics))
        } catch {
            let details = encode(diagnostics)
            let message = errors > 0 ? "the strategy has \(errors) error\(errors == 1 ? "" : "s")" : "the strategy does not compile: \(error)"
            return .failure(ResponseError(failure(.unprocessableContent, "invalid_strategy", message, detailsJSON: details)))
        }
    }

    /// `keel lint` over a text: the number of errors and every finding at its line and column.
    static func lint(_ source: String, profile: ProfileName? = nil) -> (errors: Int, diagnostics: [DiagnosticView]) {
        let file = SourceFile(path: "strategy.yaml", text: source)
        let report = Linter(profileOverride: profile).lint(file)
        let diagnostics = report.diagnostics.map { d in
            let start = file.location(ofOffset: d.range.start), end = file.location(ofOffset: d.range.end)
            return DiagnosticView(id: d.id, severity: d.severity.rawValue, message: d.message, line: start.line, column: start.column,
                                  endLine: end.line, endColumn: end.column)
        }
        return (report.count(.error), diagnostics)
    }
}

extension Result where Failure == ResponseError {
    /// The refusal's answer (only read when the result is a failure).
    var failureResponse: Response {
        if case .failure(let error) = self { return error.response }
        return KeelHTTP.failure(.internalServerError, "internal", "no failure to report")
    }
}
