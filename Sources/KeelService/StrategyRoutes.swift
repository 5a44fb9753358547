import Keel
import Foundation
import Hummingbird
import KeelHTTP
import KeelLanguage
import KeelLint
import KeelReport
import KeelRunner
import KeelStore
import NIOCore

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
        /// The current version's `description:`, in lists.
        var description: String?
        /// Warnings and notes of the version just written.
        var diagnostics: [DiagnosticView]?

        enum CodingKeys: String, CodingKey {
            case id, name, mode, version, source, description, diagnostics
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
        group.get { request, _ in
            guard let page = Page(request) else { return Page.invalid }
            // `q`: words found, case folded, in the name or the description.
            let words = (request.uri.queryParameters["q"].map(String.init) ?? "").lowercased().split(separator: " ")
            let found = try state.store.apiStrategiesWithSources().map { strategy, source in
                View(strategy, description: StrategyReader.read(SourceFile(path: "strategy.yaml", text: source)).0?.description?.value)
            }.filter { view in
                let text = (view.name + " " + (view.description ?? "")).lowercased()
                return words.allSatisfy { text.contains($0) }
            }
            return page.answer(Array(found.dropFirst(page.offset).prefix(page.limit)), total: found.count)
        }
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
            if body.mode == "live", let refusal = try evidenceRefusal(id, state) { return refusal.response }
            guard let updated = try state.store.setStrategyMode(id, mode: body.mode, now: state.now()) else { return notFound("strategy", id) }
            return json(View(updated))
        }
        // keel research's evidence file: what a strategy with gates must show before it goes live.
        group.put(":id/evidence") { request, context in
            let id = context.parameters.get("id") ?? ""
            guard ServiceState.isId(id, prefix: "st"), try state.store.apiStrategy(id) != nil else { return notFound("strategy", id) }
            let body: ByteBuffer
            do { body = try await request.body.collect(upTo: context.maxUploadSize) } catch is NIOTooManyBytesError {
                return tooLarge(context.maxUploadSize)
            }
            let data = Data(buffer: body)
            do { _ = try Evidence.read(data, path: "the request's body") } catch {
                return failure(.unprocessableContent, "invalid_evidence", "\(error)")
            }
            guard try state.store.setStrategyEvidence(id, evidence: String(decoding: data, as: UTF8.self), now: state.now()) else {
                return notFound("strategy", id)
            }
            let refusal = try evidenceRefusal(id, state)
            return json(EvidenceView(strategyId: id, admitted: refusal == nil, reason: refusal?.message))
        }
        group.get(":id/evidence") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard ServiceState.isId(id, prefix: "st"), try state.store.apiStrategy(id) != nil else { return notFound("strategy", id) }
            guard let evidence = try state.store.strategyEvidence(id) else {
                return failure(.notFound, "no_evidence", "strategy \(id) has no research evidence: PUT keel research's evidence file to /v1/strategies/\(id)/evidence")
            }
            return raw(Data(evidence.utf8))
        }
        group.delete(":id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard ServiceState.isId(id, prefix: "st"), try state.store.deleteStrategy(id, now: state.now()) else {
                return notFound("strategy", id)
            }
            return Response(status: .noContent)
        }
    }

    struct EvidenceView: Encodable {
        var strategyId: String
        /// Whether the current version may go live on this evidence, and why not.
        var admitted: Bool
        var reason: String?

        enum CodingKeys: String, CodingKey { case admitted, reason, strategyId = "strategy_id" }
    }

    /// Why the strategy's current version may not trade live on its stored evidence (missing,
    /// stale or failing a gate), as a 409; nil when it declares no gates or every gate passes.
    static func evidenceRefusal(_ id: String, _ state: ServiceState) throws -> ResponseError? {
        guard let (_, source) = try state.store.apiStrategy(id), let loaded = try? LoadedStrategy(path: "\(id).yaml", text: source) else { return nil }
        let admission = Evidence.admit(strategyPath: "strategy \(id)", text: source, gates: loaded.checked.parsed.gates.map(\.value),
                                       evidence: try state.store.strategyEvidence(id).map { Data($0.utf8) }, from: "/v1/strategies/\(id)/evidence",
                                       remedy: "run keel research on its source and PUT the evidence file to /v1/strategies/\(id)/evidence")
        guard case .refused(let why) = admission else { return nil }
        return ResponseError(.conflict, "evidence_refused", "refusing to trade live: \(why)")
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

/// From the stored record (the memberwise initializer stays, for the OpenAPI document's sample).
extension StrategyRoutes.View {
    init(_ s: StoredStrategy, source: String? = nil, description: String? = nil, diagnostics: [StrategyRoutes.DiagnosticView]? = nil) {
        (id, name, mode, version, createdAt, updatedAt) = (s.id, s.name, s.mode, s.version, s.createdAt, s.updatedAt)
        (self.source, self.description, self.diagnostics) = (source, description, diagnostics)
    }
}
