#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import HealthCheck

/// A temporary directory, removed with everything in it when released.
final class TempDir: Sendable {
    let path: String

    init() throws {
        var template = Array("/tmp/swiftvs-hc-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw TestError("mkdtemp failed") }
        path = String(cString: p)
    }

    deinit { Self.remove(path) }

    /// Writes `text` to `name` (directories created), optionally executable.
    @discardableResult
    func write(_ name: String, _ text: String, executable: Bool = false) throws -> String {
        let full = path + "/" + name
        var dir = ""
        for part in full.split(separator: "/").dropLast() {
            dir += "/" + part
            mkdir(dir, 0o755)
        }
        guard let f = fopen(full, "w") else { throw TestError("cannot write \(full)") }
        fputs(text, f)
        fclose(f)
        if executable { chmod(full, 0o755) }
        return full
    }

    /// A shell script.
    @discardableResult
    func script(_ name: String, _ body: String) throws -> String {
        try write(name, "#!/bin/sh\n" + body + "\n", executable: true)
    }

    private static func remove(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR, let d = opendir(path) {
            while let e = readdir(d) {
                let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                    String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
                }
                if name == "." || name == ".." { continue }
                remove(path + "/" + name)
            }
            closedir(d)
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}

struct TestError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Every process in /proc: pid, state letter, parent and process group.
func processTable() -> [(pid: Int32, state: String, ppid: Int32, pgrp: Int32)] {
    var out: [(Int32, String, Int32, Int32)] = []
    guard let d = opendir("/proc") else { return [] }
    defer { closedir(d) }
    while let e = readdir(d) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        guard let pid = Int32(name), let f = fopen("/proc/\(pid)/stat", "r") else { continue }
        var buf = [CChar](repeating: 0, count: 1024)
        let line = fgets(&buf, 1024, f) != nil ? String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        fclose(f)
        // pid (comm) state ppid pgrp …
        guard let close = line.lastIndex(of: ")") else { continue }
        let fields = line[line.index(after: close)...].split(separator: " ")
        guard fields.count > 2, let ppid = Int32(fields[1]), let pgrp = Int32(fields[2]) else { continue }
        out.append((pid, String(fields[0]), ppid, pgrp))
    }
    return out
}

/// Direct children of this process that still exist (zombies included).
func childProcesses() -> [(pid: Int32, state: String)] {
    let me = getpid()
    return processTable().filter { $0.ppid == me }.map { ($0.pid, $0.state) }
}

/// Whether any process in process group `pgid` is still alive (not a zombie).
func processGroupAlive(_ pgid: Int32) -> Bool {
    processTable().contains { $0.pgrp == pgid && $0.state != "Z" }
}

/// Waits until no process of group `pgid` is alive (zombies count as dead), for at most
/// `seconds`: a SIGKILL is delivered asynchronously, so a group killed a moment ago may
/// still be listed. Waits on the members' pidfds (readable when they exit), not on a timer.
func groupDies(_ pgid: Int32, within seconds: Double = 5) -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while true {
        let members = processTable().filter { $0.pgrp == pgid && $0.state != "Z" }.map(\.pid)
        if members.isEmpty { return true }
        var fds = members.map { pollfd(fd: SystemCalls.pidfdOpen($0), events: Int16(POLLIN), revents: 0) }.filter { $0.fd >= 0 }
        defer { for f in fds { close(f.fd) } }
        let left = ContinuousClock.now.duration(to: deadline).components
        let ms = Int32(clamping: left.seconds * 1000 + left.attoseconds / 1_000_000_000_000_000)
        if ms <= 0 { return false }
        // A member that exited between the listing and pidfd_open has no fd: list again.
        if fds.count == members.count { _ = poll(&fds, nfds_t(fds.count), ms) }
    }
}
