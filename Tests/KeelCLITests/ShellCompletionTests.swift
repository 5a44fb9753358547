import Foundation
import KeelTestSupport
import Testing

/// The completion scripts swift-argument-parser generates for keel, loaded by the shells
/// themselves: bash's completion function and fish's `complete -C` asked for real completions,
/// zsh's script parsed by zsh (docs/editors.md says how to install each).
@Suite struct ShellCompletionTests {
    static func script(_ shell: String) throws -> URL {
        let run = try KeelBinary.run(["--generate-completion-script", shell])
        #expect(run.status == 0 && !run.stdout.isEmpty, "\(run.stderr)")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("keel-completion-\(UUID().uuidString).\(shell)")
        try run.stdout.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// Runs `shell` with `arguments`, keel's folder first on PATH (the scripts call keel back for values).
    static func shell(_ shell: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [shell] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = KeelBinary.executable.deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        process.environment = environment
        let out = Pipe()
        (process.standardOutput, process.standardError) = (out, out)
        try Launch.run(process)
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    static func installed(_ shell: String) -> Bool { ["/usr/bin/\(shell)", "/bin/\(shell)"].contains { FileManager.default.isExecutableFile(atPath: $0) } }

    @Test("bash: subcommands, options and --template's values completed by the generated function")
    func bash() throws {
        let script = try Self.script("bash")
        /// COMPREPLY for the command line `line`, the cursor at its end.
        func complete(_ words: [String]) throws -> [String] {
            let quoted = words.map { "'\($0)'" }.joined(separator: " ")
            let program = """
                source '\(script.path)'
                COMP_WORDS=(\(quoted)); COMP_CWORD=\(words.count - 1); COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
                _keel keel "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
                printf '%s\\n' "${COMPREPLY[@]}"
                """
            let run = try Self.shell("bash", ["-c", program])
            #expect(run.status == 0, "\(run.output)")
            return run.output.split(separator: "\n").map(String.init)
        }
        #expect(try complete(["keel", "wal"]) == ["walkforward"])
        #expect(try Set(complete(["keel", "walkforward", "--tr"])) == ["--train", "--trials"])
        #expect(try complete(["keel", "new", "x", "--template", "mean"]) == ["mean-reversion"])
    }

    @Test("fish: complete -C gives keel's subcommands and --template's values")
    func fish() throws {
        guard Self.installed("fish") else { throw Missing(shell: "fish") }
        let script = try Self.script("fish")
        let run = try Self.shell("fish", ["-c", "source '\(script.path)'; complete -C 'keel wal'; complete -C 'keel new x --template br'"])
        #expect(run.status == 0, "\(run.output)")
        let words = run.output.split(separator: "\n").map { String($0.split(separator: "\t").first ?? "") }
        #expect(words.contains("walkforward") && words.contains("breakout"), "\(run.output)")
    }

    @Test("zsh: the script parses and defines _keel")
    func zsh() throws {
        guard Self.installed("zsh") else { throw Missing(shell: "zsh") }
        let script = try Self.script("zsh")
        let run = try Self.shell("zsh", ["-c", "autoload -Uz compinit && compinit -u -D; source '\(script.path)'; whence -w _keel"])
        #expect(run.status == 0 && run.output.contains("_keel: function"), "\(run.output)")
    }

    struct Missing: Error, CustomStringConvertible {
        let shell: String
        var description: String { "no \(shell) here: apt-get install \(shell) (.ci/run installs it)" }
    }
}
