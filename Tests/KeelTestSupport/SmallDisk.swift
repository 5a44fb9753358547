import Foundation

/// A real small file system for the full-disk tests: a tmpfs mounted at a folder (root only; CI
/// runs as root), grown or unmounted by the test.
package struct SmallDisk {
    package let folder: URL

    /// Mounts a tmpfs of `size` (`1m`, `512k`) at a new temporary folder; nil where this process may not.
    package init?(size: String) {
        guard SmallDisk.available, let parent = try? KeelBinary.temporaryFolder() else { return nil }
        folder = parent.appendingPathComponent("disk")
        guard SmallDisk.mount(folder, size: size) else { return nil }
    }

    /// Whether this process can mount one (it is root and the kernel lets it).
    package static let available: Bool = {
        guard getuid() == 0, let parent = try? KeelBinary.temporaryFolder() else { return false }
        let probe = parent.appendingPathComponent("probe")
        guard mount(probe, size: "64k") else { return false }
        _ = try? Launch.status("/bin/umount", [probe.path])
        return true
    }()

    private static func mount(_ folder: URL, size: String) -> Bool {
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return (try? Launch.status("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", folder.path])) == 0
    }

    /// Gives the file system `size` in all: the space returns.
    package func grow(to size: String) throws -> Bool {
        try Launch.status("/bin/mount", ["-o", "remount,size=\(size)", folder.path]) == 0
    }

    package func unmount() { _ = try? Launch.status("/bin/umount", ["-l", folder.path]) }
}
