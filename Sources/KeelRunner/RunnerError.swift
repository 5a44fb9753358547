/// Why a run cannot start or go on; each says what to do about it.
package enum RunnerError: Error, CustomStringConvertible {
    case usage(String)
    case stream(String)
    case mismatch(String)
    case journal(String)
    case refused(String)

    package var description: String {
        switch self {
        case .usage(let message), .stream(let message), .mismatch(let message), .journal(let message), .refused(let message): message
        }
    }
}
