import Foundation
import Glibc
import TestSupport

/// Debian's keepalived 2.2.7 in config-test mode (`keepalived -t -f FILE`), run in a network
/// namespace of its own that has the interfaces the test configurations name (eth0 and ens160,
/// a veth pair), since `keepalived -t` refuses an instance whose interface does not exist.
///
/// Exit status of `keepalived -t` (2.2.7; keepalived(8)'s "Exit status" list is off by one
/// against the binary): 0 clean; 5 configuration errors that keepalived would run after
/// "fixing" (dropping a value, an instance, rounding…); 6 scripts configured without
/// `enable_script_security`; 2 a line it cannot parse at all (e.g. a missing parameter).
/// Its messages go to stderr.
enum KeepalivedPeer {
    static let keepalived = "/usr/sbin/keepalived"
    static let ip: String? = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { (path: String) in access(path, X_OK) == 0 }

    /// Root, keepalived and ip(8) present.
    static var available: Bool { getuid() == 0 && access(keepalived, X_OK) == 0 && ip != nil }

    struct Outcome {
        var status: Int32
        var output: String
    }

    /// Runs `keepalived -t` on `config` in a namespace created for this call and removed after.
    static func configTest(_ config: String, tag: String) throws -> Outcome {
        let ns = "vcfgt-\(getpid())-\(tag)"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(ns)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("keepalived.conf")
        try config.write(to: file, atomically: true, encoding: .utf8)
        try run(ip!, ["netns", "add", ns])
        defer { _ = try? run(ip!, ["netns", "del", ns]) }
        try run(ip!, ["-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "ens160"])
        try run(ip!, ["-n", ns, "link", "set", "eth0", "up"])
        try run(ip!, ["-n", ns, "link", "set", "ens160", "up"])
        return try capture(ip!, ["netns", "exec", ns, keepalived, "-t", "-f", file.path])
    }

    /// What keepalived itself made of `config`: it is started for real (`-n -l -D -d -P`, VRRP
    /// only, in a namespace of its own), its `-d` configuration dump is read once complete, and
    /// it is stopped. Returns the dump's lines without their time stamps; `section` picks one
    /// instance's or script's lines out of it.
    static func dump(_ config: String, tag: String) throws -> [String] {
        let ns = "vcfgd-\(getpid())-\(tag)"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(ns)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("keepalived.conf")
        try config.write(to: file, atomically: true, encoding: .utf8)
        try run(ip!, ["netns", "add", ns])
        defer { _ = try? run(ip!, ["netns", "del", ns]) }
        try run(ip!, ["-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "ens160"])
        try run(ip!, ["-n", ns, "link", "set", "eth0", "up"])
        try run(ip!, ["-n", ns, "link", "set", "ens160", "up"])
        let log = dir.appendingPathComponent("log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let out = try FileHandle(forWritingTo: log)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ip!)
        p.arguments = ["netns", "exec", ns, keepalived, "-n", "-l", "-D", "-d", "-P", "-f", file.path,
                       "-p", dir.appendingPathComponent("k.pid").path, "-r", dir.appendingPathComponent("v.pid").path]
        p.standardOutput = out
        p.standardError = out
        try p.run()
        defer { p.terminate(); p.waitUntilExit(); try? out.close() }
        // The dump ends with the interfaces section; poll for it with a deadline.
        let deadline = ContinuousClock.now + .seconds(10)
        var text = ""
        while ContinuousClock.now < deadline {
            text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if text.contains("< Interfaces >") { break }
            usleep(20_000)
        }
        return text.split(separator: "\n").map { line -> String in
            // "Fri Dec  4 17:11:33 2026: message": the first ": " ends the time stamp.
            guard let r = line.range(of: ": ") else { return String(line) }
            return String(line[r.upperBound...])
        }
    }

    /// The lines of one dump entry (`header` is "VRRP Instance = VI_1" or "VRRP Script = chk"),
    /// up to the next entry or section, without their indentation.
    static func section(_ header: String, in lines: [String]) -> [String] {
        guard let start = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == header }) else { return [] }
        let rest = lines[(start + 1)...]
        let end = rest.firstIndex { $0.hasPrefix(" VRRP ") || $0.hasPrefix("------<") } ?? rest.endIndex
        return rest[..<end].map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// Runs a setup command; throws with its output when it fails.
    @discardableResult
    static func run(_ path: String, _ args: [String]) throws -> Outcome {
        let o = try capture(path, args)
        guard o.status == 0 else { throw SetupError(command: ([path] + args).joined(separator: " "), outcome: o.output) }
        return o
    }

    /// The exit status (128 + N for a signal) and stdout + stderr together.
    static func capture(_ path: String, _ args: [String]) throws -> Outcome {
        let r = try TestProcess.run([path] + args, standardError: .merged)
        return Outcome(status: r.signalled ? 128 + r.status : r.status, output: r.stdout)
    }

    struct SetupError: Error, CustomStringConvertible {
        var command: String
        var outcome: String
        var description: String { "\(command) failed: \(outcome)" }
    }
}
