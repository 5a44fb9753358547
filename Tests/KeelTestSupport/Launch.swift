import Foundation

/// Starts child processes for the tests, one at a time and never while the test process holds
/// many file descriptors.
///
/// Foundation's `Process.run()` on Linux (Swift 6.3.1) lists `/proc/self/fd` to find the highest
/// open descriptor and copies each entry's whole 256-byte `d_name`, past the end of the record
/// (swift-corelibs-foundation PR #5472). With some 1,350 descriptors open the directory fills
/// glibc's 32 KB buffer, the last records sit at its end, the copy runs off the mapped page, and
/// the test process dies with SIGSEGV (it did once here, holding 1,358). So a launch waits, up to
/// 30 s, while more than 900 are open, and says so on standard error with what they are.
package enum Launch {
    private static let lock = NSLock()
    package static let descriptorCeiling = 900

    package static func run(_ process: Process) throws {
        lock.lock()
        defer { lock.unlock() }
        let deadline = Date().addingTimeInterval(30)
        var count = openDescriptors()
        if count > descriptorCeiling {
            FileHandle.standardError.write(Data("Launch: \(count) descriptors open (\(kinds())); waiting before starting \(process.executableURL?.lastPathComponent ?? "a process")\n".utf8))
            while count > descriptorCeiling, Date() < deadline {
                Thread.sleep(forTimeInterval: 0.05)
                count = openDescriptors()
            }
        }
        try process.run()
    }

    /// Runs `executable` with `arguments` to its end, output discarded; its exit status.
    package static func status(_ executable: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        (process.standardOutput, process.standardError) = (FileHandle.nullDevice, FileHandle.nullDevice)
        try run(process)
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Open descriptors of this process, counted without `opendir` (which is what crashes).
    package static func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }

    /// What the open descriptors are, by kind: socket, pipe, anon_inode, file.
    static func kinds() -> String {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        var counts: [String: Int] = [:]
        for entry in entries {
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(entry)")) ?? "?"
            let kind = target.hasPrefix("socket:") ? "socket" : target.hasPrefix("pipe:") ? "pipe" : target.hasPrefix("anon_inode:") ? "anon_inode" : "file"
            counts[kind, default: 0] += 1
        }
        return counts.sorted { $0.value > $1.value }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
    }
}
