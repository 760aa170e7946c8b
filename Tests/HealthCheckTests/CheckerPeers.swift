#if canImport(Glibc)
import Glibc
#endif
import Testing

/// Real servers for the checkers, run by Debian's python3 from its standard library: a TLS HTTP
/// server (ssl module) that logs the SNI names and requests it sees and serves files from a
/// directory, an SMTP responder, a DNS responder and a UDP responder. Each reads `mode` in its
/// directory at every request, so a test turns a server bad and good again by writing one file.
/// The process prints its port, and is killed when released.
final class PeerProcess: Sendable {
    static let python = "/usr/bin/python3"
    static var available: Bool { access(python, X_OK) == 0 }
    static var opensslAvailable: Bool { access("/usr/bin/openssl", X_OK) == 0 }

    let pid: pid_t
    let port: UInt16
    let dir: TempDir

    /// Starts `kind` (tls-http, smtp, dns, udp) serving from a new directory.
    init(_ kind: String, extra: (TempDir) throws -> [String] = { _ in [] }) throws {
        dir = try TempDir()
        let script = try dir.write("peers.py", Self.script)
        let args = [Self.python, script, kind, dir.path] + (try extra(dir))
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw TestError("pipe: \(errno)") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        defer { posix_spawn_file_actions_destroy(&actions) }
        var cargs = args.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, Self.python, &actions, nil, &cargs, environ)
        close(fds[1])
        guard rc == 0 else { close(fds[0]); throw TestError("posix_spawn python3: \(rc)") }
        pid = child
        defer { close(fds[0]) }
        var line: [UInt8] = []
        var p = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
        while !line.contains(10) {
            guard poll(&p, 1, 10_000) == 1 else { kill(child, SIGKILL); waitpid(child, nil, 0); throw TestError("\(kind): no port announced") }
            var b = [UInt8](repeating: 0, count: 64)
            let n = read(fds[0], &b, 64)
            guard n > 0 else { kill(child, SIGKILL); waitpid(child, nil, 0); throw TestError("\(kind) exited before announcing its port") }
            line += b[0..<n]
        }
        guard let port = UInt16(String(decoding: line.prefix { $0 != 10 }, as: UTF8.self)) else { throw TestError("\(kind): bad port line") }
        self.port = port
    }

    deinit {
        kill(pid, SIGKILL)
        waitpid(pid, nil, 0)
    }

    /// Sets what the server does next (each server's `mode` file).
    func set(mode: String) throws { try dir.write("mode", mode + "\n") }

    /// A log file the server writes (empty if the server has not written it yet; any other
    /// failure to read it is thrown, not taken for an empty log).
    func log(_ name: String) throws -> String {
        let path = dir.path + "/" + name
        return access(path, F_OK) == 0 ? try readFile(path) : ""
    }

    /// Runs a program to its end; its exit status.
    @discardableResult
    static func run(_ argv: [String]) -> Int32 {
        var cargs = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var child: pid_t = 0
        guard posix_spawn(&child, argv[0], &actions, nil, &cargs, environ) == 0 else { return -1 }
        var status: Int32 = 0
        waitpid(child, &status, 0)
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
    }

    /// A self-signed certificate and its key (EC P-256) in `dir`: (certificate, key).
    static func certificate(in dir: TempDir, name: String = "server", keyPassword: String? = nil) throws -> (String, String) {
        let cert = dir.path + "/\(name).crt", key = dir.path + "/\(name).key"
        var argv = ["/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=\(name).test"]
        if let keyPassword { argv += ["-passout", "pass:\(keyPassword)"] } else { argv.append("-nodes") }
        guard run(argv) == 0 else { throw TestError("openssl req failed") }
        return (cert, key)
    }

    static let script = #"""
import socket, ssl, sys, os, threading

def mode(d):
    try:
        with open(os.path.join(d, "mode")) as f: return f.read().strip()
    except OSError: return "ok"

def announce(port):
    sys.stdout.write("%d\n" % port); sys.stdout.flush()

def tls_http(d, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    def sni(sock, name, c):
        with open(os.path.join(d, "sni.log"), "a") as f: f.write("%s\n" % name)
    ctx.sni_callback = sni
    ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0)); ls.listen(16); announce(ls.getsockname()[1])
    def serve(c):
        try:
            s = ctx.wrap_socket(c, server_side=True)
            req = b""
            while b"\r\n\r\n" not in req:
                chunk = s.recv(4096)
                if not chunk: return
                req += chunk
            with open(os.path.join(d, "requests.log"), "ab") as f: f.write(req)
            path = req.split(b" ")[1].decode().lstrip("/")
            full = os.path.join(d, "www", path)
            if os.path.isfile(full):
                body = open(full, "rb").read(); status = b"200 OK"
            else:
                body = b"not found\n"; status = b"404 Not Found"
            s.sendall(b"HTTP/1.0 " + status + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            s.unwrap()
        except Exception:
            pass
        finally:
            c.close()
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()

def smtp(d):
    ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0)); ls.listen(16); announce(ls.getsockname()[1])
    while True:
        c, _ = ls.accept()
        try:
            m = mode(d)
            if m == "bad-banner":
                c.sendall(b"554 go away\r\n"); c.close(); continue
            c.sendall(b"220 test.example ESMTP\r\n")
            f = c.makefile("rb")
            for line in f:
                with open(os.path.join(d, "smtp.log"), "ab") as log: log.write(line)
                if line.upper().startswith(b"HELO"):
                    c.sendall(b"250 test.example\r\n" if m != "bad-helo" else b"501 no\r\n")
                elif line.upper().startswith(b"QUIT"):
                    c.sendall(b"221 bye\r\n"); break
            f.close()
        except Exception:
            pass
        finally:
            c.close()

def datagrams(d, log_name, answer):
    """A UDP responder: logs each datagram (hex), answers what answer(datagram, mode) returns."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0)); announce(s.getsockname()[1])
    while True:
        q, peer = s.recvfrom(2048)
        with open(os.path.join(d, log_name), "ab") as log: log.write(q.hex().encode() + b"\n")
        reply = answer(q, mode(d))
        if reply is not None: s.sendto(reply, peer)

def dns_answer(q, m):
    if m == "silent": return None
    if m == "wrong-id": return bytes([q[0] ^ 0xFF, q[1], 0x81, 0x80]) + q[4:]
    if m == "query-echo": return q
    rcode = {"ok": 0, "servfail": 2, "nxdomain": 3}.get(m, 0)
    return q[:2] + bytes([0x81, 0x80 | rcode]) + q[4:]

def udp_answer(q, m):
    if m == "silent": return None
    return b"PONG" + q[:4] if m == "ok" else b"NOPE"

def exit_with_parent():
    # The test process normally kills this server (PeerProcess.deinit); if it dies first, the
    # server must not outlive it holding its output pipe open (swift test would wait for EOF
    # forever): the parent's pidfd becomes readable when it exits.
    import select
    parent = os.getppid()
    if parent == 1: os._exit(0)   # already orphaned
    fd = os.pidfd_open(parent)
    select.select([fd], [], [])
    os._exit(0)

threading.Thread(target=exit_with_parent, daemon=True).start()
kind = sys.argv[1]
{"tls-http": lambda: tls_http(*sys.argv[2:5]), "smtp": lambda: smtp(sys.argv[2]),
 "dns": lambda: datagrams(sys.argv[2], "dns.log", dns_answer),
 "udp": lambda: datagrams(sys.argv[2], "udp.log", udp_answer)}[kind]()
"""#
}

/// Polls `condition` until it holds or `limit` passes (checks run on their own schedule; the
/// table is looked at between them). True when it held. The checks, their results and this
/// poll all wait for the shared reactor thread and the two-thread pool, which beside the whole
/// unit pass on a loaded machine fell more than 10 s behind (a FILE_CHECK step missed a 10 s
/// limit, and the same checker passed every step after it): the limit is generous, and a test
/// that asserts a time measures it.
func eventually(within limit: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
