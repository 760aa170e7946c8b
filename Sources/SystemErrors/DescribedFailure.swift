/// An error that says what failed in the package's one form, `SUBJECT[: STEP]: REASON`
/// (`add address 198.51.100.39/24 to eth0: File exists`, `/run/swiftvs/control.sock: bind:
/// Address already in use`): each domain's error keeps its own fields (code, operation,
/// object, errno) and says which of them are the subject, the step and the reason; the
/// wording is put together here, for all of them alike.
public protocol DescribedFailure: Error, CustomStringConvertible {
    /// What was being done, on what: `add address 198.51.100.39/24 to eth0`, a path.
    var failureSubject: String { get }
    /// The step that failed when the operation has several (`setsockopt IP_HDRINCL`), or nil.
    var failureStep: String? { get }
    /// Why: an errno's text (`Errno.description`, strerror's words), or the domain's own; empty
    /// when there is nothing to say.
    var failureReason: String { get }
}

extension DescribedFailure {
    /// No step by default.
    public var failureStep: String? { nil }

    /// `SUBJECT[: STEP]: REASON`.
    public var description: String {
        FailureText.render(subject: failureSubject, step: failureStep, reason: failureReason)
    }
}

/// The rendering `DescribedFailure` uses, for a message that is not an error value of its own
/// (a log line, a failed set-up step of a checker).
public enum FailureText {
    /// `SUBJECT[: STEP]: REASON`, the parts joined by ": "; an empty one is left out.
    public static func render(subject: String, step: String? = nil, reason: String) -> String {
        [subject, step ?? "", reason].filter { !$0.isEmpty }.joined(separator: ": ")
    }

    /// `SUBJECT[: STEP]: ` and the errno's text (strerror's words, as swift-system's `Errno`
    /// gives them: the one place the package turns an errno into words).
    public static func render(subject: String, step: String? = nil, errno: Errno) -> String {
        render(subject: subject, step: step, reason: errno.description)
    }
}

/// A system call that failed on something, and its errno: `SUBJECT: STEP: REASON`
/// (`/run/swiftvs/control.sock: bind: Address already in use`). The error of the daemon's
/// files, sockets and namespace, which have nothing to add to it. A record of a call that
/// failed: its parts do not change afterwards.
public struct SystemCallFailure: DescribedFailure, Sendable, Hashable {
    /// What it was done to: a path, an address, a namespace.
    public let subject: String
    /// The call or step that failed (`bind`, `fsync directory`).
    public let step: String
    /// Why.
    public let errno: Errno

    /// `step` on `subject` failed with `errno`.
    public init(subject: String, step: String, errno: Errno) {
        self.subject = subject
        self.step = step
        self.errno = errno
    }

    public var failureSubject: String { subject }
    public var failureStep: String? { step }
    public var failureReason: String { errno.description }
}

extension SystemCallFailure {
    /// The failure of the call that has just failed (`Errno.current`), with `descriptor`
    /// closed after the errno is read: for a set-up that gives up on its half-made socket.
    public static func closing(_ descriptor: Int32, subject: String, step: String) -> SystemCallFailure {
        let failure = SystemCallFailure(subject: subject, step: step, errno: .current)
        _ = try? FileDescriptor(rawValue: descriptor).close()
        return failure
    }
}
