import Foundation

/// What `keel lint` reads. Finds strategy files under the paths given on the command line: `.yaml` and `.yml` files in any
/// case, through symbolic links (a folder reached twice, by a link loop or two links, is walked
/// once), skipping folders whose name starts with a dot unless named on the command line.
public enum StrategyFiles {
    public static func collect(_ paths: [String]) -> (files: [String], missing: [String]) {
        var files: [String] = []
        var missing: [String] = []
        var visited = Set<String>()
        for path in paths {
            var isDirectory: ObjCBool = false
            // fileExists follows links: a link to a folder is a folder.
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                missing.append(path)
                continue
            }
            guard isDirectory.boolValue else {
                files.append(path)
                continue
            }
            var found: [String] = []
            walk(path, into: &found, visited: &visited)
            files += found.sorted()
        }
        return (files, missing)
    }

    private static func walk(_ folder: String, into found: inout [String], visited: inout Set<String>) {
        // The folder's real path identifies it whatever links led here.
        guard let resolved = realpath(folder, nil) else { return }
        let real = String(cString: resolved)
        free(resolved)
        guard visited.insert(real).inserted else { return }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where !name.hasPrefix(".") {
            let path = (folder as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                walk(path, into: &found, visited: &visited)
            } else if isStrategyFile(name) {
                found.append(path)
            }
        }
    }

    public static func isStrategyFile(_ name: String) -> Bool {
        let ext = (name as NSString).pathExtension.lowercased()
        return ext == "yaml" || ext == "yml"
    }

    /// The nearest folder at or above `folder` that holds a `.git`: SARIF's URIs are relative to it.
    public static func repositoryRoot(from folder: String) -> String? {
        var current = URL(fileURLWithPath: folder)
        while true {
            if FileManager.default.fileExists(atPath: current.appendingPathComponent(".git").path) { return current.path }
            let parent = current.deletingLastPathComponent()
            if parent.path == current.path { return nil }
            current = parent
        }
    }

    /// The nearest `.keel-lint.yaml` in `start` or a folder above it.
    public static func findConfiguration(from start: String) -> String? {
        var folder = URL(fileURLWithPath: start)
        while true {
            let candidate = folder.appendingPathComponent(LintConfiguration.fileName).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path { return nil }
            folder = parent
        }
    }
}
