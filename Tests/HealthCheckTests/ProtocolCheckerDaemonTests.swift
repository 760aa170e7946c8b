#if canImport(Glibc)
import Glibc
#endif
@testable import EventLoop
@testable import HealthCheck
@testable import IPVS
import Logging
import Testing

/// The daemon's engine as `swiftvs daemon` runs it (the real checker factory on the reactor,
/// the state machine, reconcile), over the in-memory kernel table, with one real server at
/// 127.0.0.1:`port` guarded by `checker` (NAT: a direct-routing real server takes the
/// service's port, as keepalived sets it, and the table would not show `port`).
struct CheckedServer {
    let table = FakeTable()
    let engine: DaemonEngine
    let port: UInt16
    let factory: CheckerFactory

    init(port: UInt16, checker: String, leading: String = "") throws {
        self.port = port
        let config = try Self.config(port: port, checker: checker, leading: leading)
        let factory = CheckerFactory(runner: ProcessRunner(reactor: testReactor))
        self.factory = factory
        engine = DaemonEngine(
            config: config, table: table, marks: nil, settings: DaemonSettings(),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            makeChecker: { factory.make($0) },
            runScript: { _, _ in CheckOutcome(termination: .exited(0), latency: .zero, output: [], outputBytes: 0, pid: nil) },
            checkLoop: testReactor)
    }

    /// The configuration: one real server at 127.0.0.1:`port` guarded by `checker`.
    static func config(port: UInt16, checker: String, leading: String = "") throws -> DaemonConfig {
        try ConfigParser.parse(text: leading + """
            virtual_server 192.0.2.100 80 {
              delay_loop 0.1
              lb_kind NAT
              protocol TCP
              real_server 127.0.0.1 \(port) {
                weight 10
                \(checker)
              }
            }

            """, file: "test.conf")
    }

    /// The real server's weight in the table, nil when it is not there.
    var weight: Int32? {
        table.entries.first?.destinations.first { $0.destination.port == port }?.destination.weight
    }

    /// Starts the engine with the server out of the table (as alpha would): the first check's
    /// success must bring it in.
    func start() async {
        await engine.start()
    }

    /// Up, down when `breakIt` runs, back when `fixIt` runs; each within `limit`.
    func upDownBack(limit: Duration = .seconds(60), breakIt: () throws -> Void, fixIt: () throws -> Void,
                    sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws {
        await start()
        #expect(try await eventually(within: limit) { weight == 10 }, "up", sourceLocation: sourceLocation)
        try breakIt()
        #expect(try await eventually(within: limit) { weight == nil }, "down", sourceLocation: sourceLocation)
        try fixIt()
        #expect(try await eventually(within: limit) { weight == 10 }, "back", sourceLocation: sourceLocation)
        await engine.stop()
    }
}

@Suite("the new checkers drive the daemon's table: up, down, back",
       .enabled(if: PeerProcess.available && PeerProcess.opensslAvailable, "needs Debian's /usr/bin/python3 and /usr/bin/openssl"))
struct ProtocolCheckerDaemonTests {
    static let common = "alpha\n warmup 0\n retry 0\n connect_timeout 0.5\n"

    @Test func sslGetThroughTheEngine() async throws {
        let peer = try ProtocolCheckerTests.tlsServer()
        let s = try CheckedServer(port: peer.port, checker: """
            SSL_GET {
              url {
                path /health
                digest \(MD5.hex(Array("hello".utf8)))
              }
              \(Self.common)
            }
            """)
        try await s.upDownBack(breakIt: { try peer.dir.write("www/health", "changed") },
                               fixIt: { try peer.dir.write("www/health", "hello") })
    }

    /// A reload that changes the top-level `SSL` block replaces the SSL_GET checkers, and the
    /// old OpenSSL context is freed once they are gone (keepalived frees its SSL_CTX at every
    /// reload); a reload that leaves the block as it was keeps the checkers and the context.
    @Test func reloadWithAnotherSSLBlockFreesTheOldContext() async throws {
        let peer = try ProtocolCheckerTests.tlsServer()
        let checker = "SSL_GET {\n url {\n path /health\n }\n \(Self.common)}"
        let s = try CheckedServer(port: peer.port, checker: checker)
        await s.start()
        #expect(try await eventually { s.weight == 10 }, "up")
        weak let first: TLSContext? = s.factory.liveTLSContexts.first
        #expect(first != nil && s.factory.liveTLSContexts.count == 1)

        await s.engine.reload(try CheckedServer.config(port: peer.port, checker: checker))
        #expect(s.factory.liveTLSContexts.count == 1 && s.factory.liveTLSContexts.first === first, "unchanged SSL block: the same context")

        let (cert, key) = try PeerProcess.certificate(in: peer.dir, name: "client")
        await s.engine.reload(try CheckedServer.config(port: peer.port, checker: checker,
                                                      leading: "SSL {\n certificate \(cert)\n key \(key)\n}\n"))
        #expect(try await eventually { first == nil }, "the old SSL_CTX is freed once its checkers are gone")
        #expect(s.factory.liveTLSContexts.count == 1, "only the new block's context is alive")
        #expect(try await eventually { s.weight == 10 }, "the new context's checks keep the server up")
        await s.engine.stop()
    }

    @Test func smtpCheckThroughTheEngine() async throws {
        let peer = try PeerProcess("smtp")
        let s = try CheckedServer(port: peer.port, checker: "SMTP_CHECK {\n \(Self.common)}")
        try await s.upDownBack(breakIt: { try peer.set(mode: "bad-helo") }, fixIt: { try peer.set(mode: "ok") })
    }

    @Test func dnsCheckThroughTheEngine() async throws {
        let peer = try PeerProcess("dns")
        let s = try CheckedServer(port: peer.port, checker: "DNS_CHECK {\n type A\n name example.test\n \(Self.common)}")
        try await s.upDownBack(breakIt: { try peer.set(mode: "servfail") }, fixIt: { try peer.set(mode: "ok") })
    }

    @Test func udpCheckThroughTheEngine() async throws {
        let peer = try PeerProcess("udp")
        try peer.set(mode: "ok")
        let s = try CheckedServer(port: peer.port, checker: "UDP_CHECK {\n require_reply 50 4F 4E 47\n \(Self.common)}")
        try await s.upDownBack(breakIt: { try peer.set(mode: "silent") }, fixIt: { try peer.set(mode: "ok") })
    }

    @Test func udpCheckWithoutAListenerIsDownUntilOneBinds() async throws {
        let port = closedPort(SOCK_DGRAM)
        let s = try CheckedServer(port: port, checker: "UDP_CHECK {\n \(Self.common)}")
        await s.start()
        // Down from the start (alpha) and kept down by the ICMP port unreachable.
        #expect(try await eventually { await s.engine.checksRun >= 3 })
        #expect(s.weight == nil)
        // Closed once: by hand to take the listener away, or at the end if an expectation threw
        // first. (It used to be closed by hand and again by a defer: the second close took
        // whatever descriptor another test running in parallel had been given that number, and
        // statusRoundTripOverTheControlSocket's client socket read EBADF under full load.)
        var fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { if fd >= 0 { close(fd) } }
        #expect(IPAddress.v4(127, 0, 0, 1).withSocketAddress(port: port) { bind(fd, $0, $1) } == 0)
        #expect(try await eventually { s.weight == 10 }, "a silent listener is up without require_reply")
        close(fd)
        fd = -1
        #expect(try await eventually { s.weight == nil }, "down again once nothing listens")
        await s.engine.stop()
    }
}

@Suite("FILE_CHECK drives the daemon's table")
struct FileCheckDaemonTests {
    @Test func trackedFileSetsWeightAndDown() async throws {
        let dir = try TempDir()
        let file = dir.path + "/rs.weight"
        let s = try CheckedServer(port: 80, checker: "FILE_CHECK {\n track_file rs\n}", leading: """
            track_file rs {
              file \(file)
              weight 5
              init_file 2
            }

            """)
        await s.start()
        #expect(try await eventually { s.weight == 20 }, "10 + init_file's 2 × 5")
        #expect(try readFile(file) == "2\n")
        let adds = s.table.sent.compactMap { c -> Int32? in
            if case let .addDestination(d, _) = c { return d.weight }
            return nil
        }
        #expect(adds == [20], "the file is read before the first reconcile: the server enters with its tracked weight")
        // The checker's own first read done, so that every change below reaches it through
        // inotify (else a late first check would read the first change, and the step would
        // not test the watch).
        #expect(try await eventually { await s.engine.checksRun >= 1 })
        // A writer replaces the file (write + rename), as admins and tools do.
        func put(_ text: String) throws {
            try dir.write("tmp", text)
            rename(dir.path + "/tmp", file)
        }
        try put("-1\n")
        #expect(try await eventually { s.weight == 5 })
        try put("-20000\n")
        #expect(try await eventually { s.weight == nil }, "-100000 is at or below the fault weight: down")
        try dir.write("rs.weight", "1000\n")  // in place: IN_CLOSE_WRITE
        #expect(try await eventually { s.weight == 5010 })
        unlink(file)
        #expect(try await eventually { s.weight == 10 }, "a deleted file reads 0")
        await s.engine.stop()
    }
}
