#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import SystemErrors

/// FILE_CHECK as keepalived 2.2.7 runs it (check_file.c, track_file.c): the real server follows
/// the number written in a tracked file, read as keepalived reads it (`strtol` with base 0 of
/// the first 127 bytes: decimal, 0x hex or 0 octal, leading blanks and a sign allowed; a
/// missing or empty file reads 0; a number outside the 32-bit range is logged and ignored).
///
/// The first check reads the file at once; every later check waits, on the reactor, for inotify
/// to report the file written (IN_CLOSE_WRITE), moved in or out, or deleted (which reads 0), and
/// returns when the value changed. The daemon runs it with no delay between checks and no
/// retries, so a change reaches the table as soon as the writer closes the file.
public struct FileChecker: Checker {
    public var config: FileCheckConfig
    let reactor: Reactor
    private let watch: Watch

    /// The inotify descriptor on the file's directory and the last value reported.
    private final class Watch: Sendable {
        let fd: Int32
        let setupError: CheckResult.Reason?
        let last = Mutex<Int64?>(nil)

        init(path: String) {
            let dir = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
            fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
            if fd < 0 {
                setupError = .trackedFile(FailureText.render(subject: "inotify_init1", errno: .current))
            } else if inotify_add_watch(fd, dir.isEmpty ? "/" : dir, UInt32(IN_CLOSE_WRITE | IN_DELETE | IN_MOVE)) < 0 {
                setupError = .trackedFile(FailureText.render(subject: "watch \(dir.isEmpty ? "/" : dir)", errno: .current))
            } else {
                setupError = nil
            }
        }

        deinit { if fd >= 0 { close(fd) } }
    }

    public init(config: FileCheckConfig, reactor: Reactor) {
        self.config = config
        self.reactor = reactor
        watch = Watch(path: config.path)
    }

    public func check() async -> CheckResult {
        if let e = watch.setupError { return .failed(e) }
        let start = ContinuousClock.now
        guard watch.last.withLock({ $0 }) != nil else {
            let v = Self.read(config.path) ?? 0
            watch.last.withLock { $0 = v }
            return Self.result(value: v, config, latency: start.duration(to: .now))
        }
        while true {
            switch await reactor.wait(fd: watch.fd, events: SystemCalls.EPOLLIN) {
            case .ready: break
            case .timedOut, .cancelled: return .failed(.timedOut("cancelled"))
            }
            guard let v = changedValue() else { continue }
            return Self.result(value: v, config, latency: .zero)
        }
    }

    /// Drains the inotify events; the file's new value when one concerns it and the value is
    /// not the last one reported.
    private func changedValue() -> Int64? {
        let name = String(config.path[(config.path.lastIndex(of: "/").map { config.path.index(after: $0) } ?? config.path.startIndex)...])
        var value: Int64?
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            // EINTR retried; EAGAIN (drained) ends the pass, and so, as before, does any other
            // failure: the next inotify event or tick reads again.
            let n = (try? buf.withUnsafeMutableBytes { try FileDescriptor(rawValue: watch.fd).read(into: $0) }) ?? 0
            guard n > 0 else { break }
            var off = 0
            while off + 16 <= n {
                let mask = buf.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: off + 4, as: UInt32.self) }
                let len = Int(buf.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: off + 12, as: UInt32.self) })
                let evName = String(decoding: buf[(off + 16)..<min(n, off + 16 + len)].prefix { $0 != 0 }, as: UTF8.self)
                off += 16 + len
                guard evName == name, mask & UInt32(IN_ISDIR) == 0 else { continue }
                if mask & UInt32(IN_DELETE | IN_MOVED_FROM) != 0 {
                    value = 0
                } else if let v = Self.read(config.path) {
                    value = v
                }
            }
        }
        guard let value else { return nil }
        return watch.last.withLock { last in
            guard last != value else { return nil }
            last = value
            return value
        }
    }

    /// The file's number as keepalived reads it; nil when the number is out of range (ignored).
    public static func read(_ path: String) -> Int64? {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buf = [CChar](repeating: 0, count: 128)
        // EINTR retried; an unreadable file reads as 0, as keepalived's does.
        let n = (try? buf.withUnsafeMutableBytes { try FileDescriptor(rawValue: fd).read(into: UnsafeMutableRawBufferPointer(rebasing: $0[..<127])) }) ?? 0
        guard n > 0 else { return 0 }
        return parse(Array(buf[0..<n]))
    }

    /// keepalived's number: strtol(text, NULL, 0); nil on ERANGE or outside
    /// INT32_MIN…INT32_MAX+1.
    public static func parse(_ text: [CChar]) -> Int64? {
        var s = text
        s.append(0)
        errno = 0
        let v = Int64(strtol(s, nil, 0))
        if errno != 0 || v < Int64(Int32.min) || v > Int64(Int32.max) + 1 { return nil }
        return v
    }

    /// keepalived's fault weight (-IPVS_WEIGHT_MAX - 1): a tracked status at or below it is down.
    public static let faultWeight: Int64 = -65536

    /// The check's result for `value`: down (weight 0: any non-zero value, or zero with
    /// reverse; else value × weight, negated with reverse, at or below -65536), or up with that
    /// product as the real server's weight offset.
    public static func result(value: Int64, _ c: FileCheckConfig, latency: Duration = .zero) -> CheckResult {
        if c.weight == 0 {
            let down = c.reverse ? value == 0 : value != 0
            return down ? .failed(.trackedFile("\(c.name) (\(c.path)) reads \(value)"), latency: latency)
                        : CheckResult(success: true, reason: .ok, latency: latency, weightOffset: 0)
        }
        // |value| <= 2^31 and |weight| <= 65535: the product fits; keepalived clamps it to an int.
        let status = max(Int64(Int32.min), min(Int64(Int32.max), value * Int64(c.weight) * (c.reverse ? -1 : 1)))
        if status <= faultWeight {
            return .failed(.trackedFile("\(c.name) (\(c.path)) reads \(value), weight \(status)"), latency: latency)
        }
        return CheckResult(success: true, reason: .ok, latency: latency, weightOffset: status)
    }

    /// `init_file`: the value written when the checker starts and the file does not exist, or,
    /// with overwrite, over a regular file (keepalived writes "VALUE\n"); why it could not be
    /// written, or nil.
    public static func initialise(_ c: FileCheckConfig) -> String? {
        guard let v = c.initValue else { return nil }
        var st = stat()
        if stat(c.path, &st) == 0 {
            guard c.initOverwrite else { return nil }
            guard st.st_mode & S_IFMT == S_IFREG else { return "cannot initialise \(c.path): it is not a regular file" }
        }
        let fd = open(c.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return FailureText.render(subject: "cannot initialise \(c.path)", errno: .current) }
        defer { close(fd) }
        let text = Array("\(v)\n".utf8)
        let n = text.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        return n == text.count ? nil : FailureText.render(subject: "cannot initialise \(c.path)", reason: n < 0 ? Errno.current.description : "short write")
    }
}
