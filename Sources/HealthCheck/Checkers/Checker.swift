import IPVS
import SystemErrors

/// What one check found.
public struct CheckResult: Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Error, Sendable, Equatable, CustomStringConvertible {
        case ok
        /// MISC_CHECK exit status (a failure, or with misc_dynamic a new weight).
        case exitStatus(Int32)
        case killedBySignal(Int32)
        case scriptTimedOut
        case cannotRun(String)
        case connectFailed(errno: Errno, message: String)
        case timedOut(String)
        case httpStatus(Int)
        /// (Indirect, as `regexMismatch`: the two largest payloads, boxed, keep every result,
        /// and each checker's last one the daemon holds, at 21 bytes of reason instead of 33.)
        indirect case digestMismatch(expected: String, actual: String)
        /// HTTP_GET/SSL_GET `regex`: the response did not match (or, with regex_no_match, did).
        indirect case regexMismatch(pattern: String, noMatch: Bool)
        case badResponse(String)
        case icmp(String)
        case disabled
        /// SSL_GET: the TLS context, handshake or stream failed (OpenSSL's reason).
        case tls(String)
        /// UDP_CHECK / DNS_CHECK: an ICMP destination unreachable came back.
        case unreachable(String)
        /// FILE_CHECK: the tracked file's value puts the server down.
        case trackedFile(String)

        public var description: String {
            switch self {
            case .ok: return "ok"
            case let .exitStatus(c): return "exit status \(c)"
            case let .killedBySignal(s): return "killed by signal \(s)"
            case .scriptTimedOut: return "script timed out"
            case let .cannotRun(m): return "cannot run script: \(m)"
            case let .connectFailed(_, m): return "connect failed: \(m)"
            case let .timedOut(what): return "timed out (\(what))"
            case let .httpStatus(s): return "HTTP status \(s)"
            case let .digestMismatch(e, a): return "digest \(a) != expected \(e)"
            case let .regexMismatch(p, noMatch): return noMatch ? "regex '\(p)' matched (regex_no_match)" : "regex '\(p)' did not match"
            case let .badResponse(m): return "bad response: \(m)"
            case let .icmp(m): return "ping: \(m)"
            case .disabled: return "checker disabled"
            case let .tls(m): return "TLS: \(m)"
            case let .unreachable(m): return m
            case let .trackedFile(m): return "tracked file \(m)"
            }
        }
    }

    public var success: Bool
    public var reason: Reason
    public var latency: Duration
    /// misc_dynamic: the weight the server should now have.
    public var weight: Int32?
    /// FILE_CHECK: what this checker adds to the server's weight while it is up (the tracked
    /// value times its weight); the server's weight is its own plus every such offset, clamped
    /// to 0…65535 as keepalived does.
    public var weightOffset: Int64?

    public init(success: Bool, reason: Reason, latency: Duration = .zero, weight: Int32? = nil, weightOffset: Int64? = nil) {
        self.success = success
        self.reason = reason
        self.latency = latency
        self.weight = weight
        self.weightOffset = weightOffset
    }

    public static func ok(latency: Duration = .zero, weight: Int32? = nil) -> CheckResult {
        CheckResult(success: true, reason: .ok, latency: latency, weight: weight)
    }

    public static func failed(_ reason: Reason, latency: Duration = .zero) -> CheckResult {
        CheckResult(success: false, reason: reason, latency: latency)
    }

    public var description: String {
        let w = (weight.map { ", weight \($0)" } ?? "") + (weightOffset.map { ", weight offset \($0)" } ?? "")
        return (success ? "success" : "failure: \(reason)") + w
    }
}

extension CheckResult {
    /// The result of a check whose `body` returns why it failed (nil: it passed), with the
    /// time it took as its latency.
    static func timing(_ body: () async -> Reason?) async -> CheckResult {
        let start = ContinuousClock.now
        let reason = await body()
        let latency = start.duration(to: .now)
        return reason.map { .failed($0, latency: latency) } ?? .ok(latency: latency)
    }
}

extension CheckResult.Reason {
    /// `connectFailed` after a system call failed with `errno`, worded `STEP: REASON` (the
    /// errno's text alone without a step): `bind 192.0.2.1: Cannot assign requested address`.
    static func connectError(_ errno: Errno, at step: String? = nil) -> Self {
        .connectFailed(errno: errno, message: FailureText.render(subject: step ?? "", errno: errno))
    }
}

/// One health check of one real server, run again and again by the scheduler.
public protocol Checker: Sendable {
    func check() async -> CheckResult
}

/// A checker that can also run without a task: `start` begins one check at once and calls
/// `completion` once with its result (on the reactor thread). The daemon drives such checkers
/// from reactor timers, with no task (and no task memory) per checker.
public protocol StartableChecker: Checker {
    /// Returns a function that stops the check (its result still comes, as a failure).
    func start(_ completion: @escaping @Sendable (CheckResult) -> Void) -> @Sendable () -> Void

    /// `start`, telling `began` once when the check really begins: at once for most checkers;
    /// for a MISC_CHECK when its process is spawned, which may be after a wait for a free
    /// process slot. How the daemon measures how late each check started, once per check.
    func start(began: @escaping @Sendable () -> Void, _ completion: @escaping @Sendable (CheckResult) -> Void) -> @Sendable () -> Void
}

extension StartableChecker {
    public func start(began: @escaping @Sendable () -> Void, _ completion: @escaping @Sendable (CheckResult) -> Void) -> @Sendable () -> Void {
        began()
        return start(completion)
    }
}

/// Builds the checker a configuration asks for.
public struct CheckerFactory: Sendable {
    public let runner: ProcessRunner
    /// The runner's: sockets and children are followed on the same thread.
    public var reactor: Reactor { runner.reactor }
    /// SSL_GET's OpenSSL contexts, made when the first SSL_GET is (none without one).
    private let tls = TLSContexts()

    public init(runner: ProcessRunner) {
        self.runner = runner
    }

    /// The OpenSSL contexts alive now (held by SSL_GET checkers), for tests and status.
    var liveTLSContexts: [TLSContext] { tls.live }

    public func make(_ c: CheckerConfig) -> any Checker {
        let endpoint = Endpoint(address: c.connectIP, port: c.connectPort, bindTo: c.bindTo, bindPort: c.bindPort,
                                bindInterface: c.bindInterface, fwmark: c.fwmark)
        switch c.kind {
        case .tcp:
            return TCPChecker(endpoint: endpoint, timeout: c.connectTimeout, reactor: reactor)
        case let .http(h):
            var checker = HTTPChecker(endpoint: endpoint, urls: h.urls, version: h.version, virtualhost: h.virtualhost,
                                      timeout: c.connectTimeout, reactor: reactor)
            if h.tls { checker.tls = HTTPChecker.TLS(context: tls.context(for: h.ssl), sni: h.enableSNI) }
            return checker
        case let .smtp(s):
            return SMTPChecker(endpoint: endpoint, heloName: s.heloName, timeout: c.connectTimeout, reactor: reactor)
        case let .dns(d):
            return DNSChecker(endpoint: endpoint, type: d.type, name: d.name, timeout: c.connectTimeout, reactor: reactor)
        case let .udp(u):
            return UDPChecker(endpoint: endpoint, config: u, timeout: c.connectTimeout, reactor: reactor)
        case let .file(f):
            return FileChecker(config: f, reactor: reactor)
        case .ping:
            return PingChecker(address: c.connectIP, timeout: c.connectTimeout, reactor: reactor)
        case let .misc(m):
            return MiscChecker(command: m.command, timeout: m.timeout ?? c.delayLoop, dynamic: m.dynamic, runner: runner)
        }
    }
}

/// MISC_CHECK: runs a program. Exit 0 is success, 1 failure; with misc_dynamic 2–255 is
/// success with weight status − 2 (keepalived's rule), without it any non-zero is failure.
///
/// The command is prepared once (argv in the spawn's form, the user looked up), and its output
/// goes to /dev/null, as keepalived's does: only the exit status counts.
public struct MiscChecker: StartableChecker {
    public let command: CheckCommand
    public let timeout: Duration
    public let dynamic: Bool
    public let runner: ProcessRunner
    private let prepared: ProcessRunner.PreparedCommand

    public init(command: CheckCommand, timeout: Duration, dynamic: Bool, runner: ProcessRunner) {
        self.command = command
        self.timeout = timeout
        self.dynamic = dynamic
        self.runner = runner
        prepared = runner.prepare(command)
    }

    public func check() async -> CheckResult {
        Self.interpret(await runner.run(prepared, timeout: timeout, captureOutput: false), dynamic: dynamic)
    }

    public func start(_ completion: @escaping @Sendable (CheckResult) -> Void) -> @Sendable () -> Void {
        let dynamic = dynamic
        return runner.start(prepared, timeout: timeout, captureOutput: false) { completion(Self.interpret($0, dynamic: dynamic)) }
    }

    /// `began` is told when the process is spawned (after its wait for a slot, if any).
    public func start(began: @escaping @Sendable () -> Void, _ completion: @escaping @Sendable (CheckResult) -> Void) -> @Sendable () -> Void {
        let dynamic = dynamic
        return runner.start(prepared, timeout: timeout, captureOutput: false, began: began) { completion(Self.interpret($0, dynamic: dynamic)) }
    }

    public static func interpret(_ o: CheckOutcome, dynamic: Bool) -> CheckResult {
        switch o.termination {
        case .exited(0):
            return .ok(latency: o.latency)
        case let .exited(code) where dynamic && code >= 2:
            return .ok(latency: o.latency, weight: code - 2)
        case let .exited(code):
            return .failed(.exitStatus(code), latency: o.latency)
        case let .signaled(sig):
            return .failed(.killedBySignal(sig), latency: o.latency)
        case .timedOut:
            return .failed(.scriptTimedOut, latency: o.latency)
        case let .spawnFailed(_, message):
            return .failed(.cannotRun(message), latency: o.latency)
        }
    }
}
