#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemErrors

/// How a check process ended.
public struct CheckOutcome: Sendable, Equatable {
    /// Why the process ended.
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        /// Exited by itself with this status.
        case exited(Int32)
        /// Killed by a signal nobody in swiftvs sent.
        case signaled(Int32)
        /// Ran past its timeout; its process group got SIGTERM, then SIGKILL if `killedWith` says so.
        case timedOut(killedWith: Int32)
        /// Never started: the spawn (or the user lookup) failed.
        case spawnFailed(errno: Errno, message: String)

        /// As a log line says it ("exit status 1", "timed out (SIGKILL)"…).
        public var description: String {
            switch self {
            case let .exited(code): return "exit status \(code)"
            case let .signaled(sig): return "killed by signal \(sig)"
            case let .timedOut(sig): return "timed out (\(sig == SIGKILL ? "SIGKILL" : "SIGTERM"))"
            case let .spawnFailed(_, message): return "cannot run: \(message)"
            }
        }
    }

    /// Why it ended.
    public var termination: Termination
    /// From spawn to the leader's exit (or to the spawn failure).
    public var latency: Duration
    /// The first `outputLimit` bytes of stdout and stderr, interleaved as written.
    public var output: [UInt8]
    /// Everything the process wrote, kept or drained.
    public var outputBytes: Int
    /// The leader's pid; nil when it never started.
    public var pid: pid_t?

    /// More was written than `output` kept.
    public var outputTruncated: Bool { outputBytes > output.count }
    /// `output` decoded as UTF-8.
    public var outputText: String { String(decoding: output, as: UTF8.self) }
}
