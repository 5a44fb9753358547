import Foundation

/// libFuzzer's own driver, linked in by `-sanitize=fuzzer`. A Swift executable has its own `main`,
/// so it calls the driver itself with its arguments and the one-input function.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

public enum FuzzDriver {
    /// Runs libFuzzer with the process's arguments (`-max_total_time=`, `-dict=`, corpus folders)
    /// over `body`, which traps on any property it finds broken; exits with libFuzzer's status.
    public static func run(_ body: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, body))
    }

    /// The input's bytes (libFuzzer may pass a null pointer with a size of 0).
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: data, count: data == nil ? 0 : size)
    }

    /// The input as text; invalid UTF-8 is repaired as a file reader would.
    public static func text(_ data: UnsafePointer<UInt8>?, _ size: Int) -> String {
        String(decoding: bytes(data, size), as: UTF8.self)
    }

    /// A broken property: libFuzzer keeps the input that broke it.
    public static func broken(_ what: @autoclosure () -> String, file: StaticString = #file, line: UInt = #line) -> Never {
        fatalError("property broken: \(what())", file: file, line: line)
    }
}
