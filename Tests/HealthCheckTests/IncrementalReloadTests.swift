import Director
import IPVS
@testable import HealthCheck
import KeepalivedConfig
import Logging
import Testing
import Glibc

/// A reload reads again only the top-level blocks that changed (`IncrementalConfigReader`),
/// and gives what a read of the whole file gives.
@Suite struct IncrementalReloadTests {
    static let file = "/etc/keepalived/keepalived.conf"

    /// `count` virtual servers 192.0.2.1…, ports 80+i, two real servers each; `extra` adds a
    /// third to virtual server `extra`; `header` goes first.
    static func config(count: Int = 4, extra: Int? = nil, header: String = "global_defs {\n  router_id lb1\n}\n",
                       port: String? = nil, algo: [Int: String] = [:]) -> String {
        var s = header
        for v in 0..<count {
            s += "virtual_server 192.0.2.\(v + 1) \(port ?? String(80 + v)) {\n  delay_loop 10\n  lb_algo \(algo[v] ?? "wlc")\n  lb_kind DR\n  protocol TCP\n"
            for r in 1...(extra == v ? 3 : 2) {
                s += "  real_server 198.51.100.\(r) 80 {\n    weight 1\n    TCP_CHECK {\n      connect_timeout 2\n    }\n  }\n"
            }
            s += "}\n"
        }
        return s
    }

    static func read(_ reader: IncrementalConfigReader, _ text: String) -> ConfigRead {
        reader.read(files: InMemoryFileSystem(files: [file: text]))
    }

    /// The whole file's read of `text`, to compare with.
    static func whole(_ text: String) -> DirectorCheckResult {
        DirectorCheckResult.check(file: file, fileSystem: InMemoryFileSystem(files: [file: text]))
    }

    /// A daemon on `config()` in a file, started, whose first reload read the whole file.
    static func started() async throws -> (TempDir, String, DaemonHarness, DirectorDaemon) {
        let dir = try TempDir()
        let file = try dir.write("keepalived.conf", config())
        let h = try DaemonHarness(config: config())
        let daemon = DirectorDaemon(configPath: file, lvs: h.engine, vrrp: nil, reactor: testReactor,
                                    logger: Logger(label: "t", factory: { _ in CapturingLogHandler(lines: h.logs) }))
        await h.engine.start(runCheckers: false)
        #expect(await daemon.reload(), "the first reload reads the whole file")
        return (dir, file, h, daemon)
    }

    @Test func oneChangedRealServerRereadsOnlyItsBlock() throws {
        let reader = IncrementalConfigReader(file: Self.file, configID: nil)
        let first = Self.read(reader, Self.config())
        #expect(first.reread == nil, "the first read is the whole file")
        #expect(first.result.config?.lvs.virtualServers.count == 4)

        let changed = Self.config(extra: 1)
        let second = Self.read(reader, changed)
        let reread = try #require(second.reread, "\(second.wholeFileReason ?? "")")
        #expect(reread.chunks == 1 && reread.of == 5, "global_defs and four virtual servers; only the second read again")
        let got = try #require(second.result.config)
        let want = try #require(Self.whole(changed).config)
        #expect(got.lvs == want.lvs, "the same virtual servers as a whole read, with the moved ones at their new lines")
        #expect(got.lvs.virtualServers[2].location.line == want.lvs.virtualServers[2].location.line)
        #expect(got.lvs.virtualServers[1].realServers.count == 3)
        #expect(second.result.diagnostics == Self.whole(changed).diagnostics)

        // No change: nothing read again.
        let third = Self.read(reader, changed)
        #expect(third.reread?.chunks == 0)
        #expect(third.result.config?.lvs == want.lvs)
    }

    @Test func aStartUpReadServesTheFirstReloadOnceItsSnapshotIsMade() throws {
        let reader = IncrementalConfigReader(file: Self.file, configID: nil)
        let files = InMemoryFileSystem(files: [Self.file: Self.config()])
        let start = reader.read(files: files, deferSnapshot: true)
        #expect(start.result.config?.lvs.virtualServers.count == 4)
        reader.completeSnapshot()
        let reload = Self.read(reader, Self.config(extra: 3))
        #expect(reload.reread?.chunks == 1, "\(reload.wholeFileReason ?? "")")
        #expect(reload.result.config?.lvs == Self.whole(Self.config(extra: 3)).config?.lvs)
    }

    @Test func aDefinitionChangeReadsTheWholeFile() throws {
        let reader = IncrementalConfigReader(file: Self.file, configID: nil)
        let before = Self.config(header: "$PORT=80\n", port: "$PORT")
        #expect(Self.read(reader, before).reread == nil)
        // A definition changes blocks whose text did not change: the whole file is read.
        let after = Self.config(header: "$PORT=8080\n", port: "$PORT")
        let read = Self.read(reader, after)
        #expect(read.reread == nil)
        let config = try #require(read.result.config)
        let ports = config.lvs.virtualServers.map { vs -> UInt16? in if case let .address(_, port) = vs.address { return port }; return nil }
        #expect(ports == [8080, 8080, 8080, 8080])

        // The definition moved after the first block, whose text did not change: that block's
        // $PORT is now undefined, which only a read of the whole file sees.
        let lines = Self.config(header: "", port: "$PORT").split(separator: "\n", omittingEmptySubsequences: false)
        let blockEnd = try #require(lines.firstIndex(of: "}", after: 0))
        let moved = (lines[...blockEnd] + ["$PORT=8080"] + lines[(blockEnd + 1)...]).joined(separator: "\n")
        let movedRead = Self.read(reader, moved)
        #expect(movedRead.reread == nil)
        #expect(movedRead.result.diagnostics == Self.whole(moved).diagnostics)
        #expect(movedRead.result.hasErrors)

        // A definition inside the first block, used by every block: only that block's text
        // changes, but every block's weight does.
        func weights(_ w: Int) -> String {
            var text = Self.config().replacingOccurrences("weight 1", "weight $W")
            if let r = text.range(of: "  delay_loop 10\n") { text.replaceSubrange(r, with: "  delay_loop 10\n$W=\(w)\n") }
            return text
        }
        let inside = IncrementalConfigReader(file: Self.file, configID: nil)
        _ = Self.read(inside, weights(5))
        let reweighed = Self.read(inside, weights(7))
        #expect(reweighed.reread == nil)
        let all = try #require(reweighed.result.config).lvs.virtualServers.flatMap { $0.realServers.map(\.weight) }
        #expect(all == Array(repeating: 7, count: 8))

        // global_defs changed: the whole file too.
        let plain = IncrementalConfigReader(file: Self.file, configID: nil)
        _ = Self.read(plain, Self.config())
        let changedGlobals = Self.read(plain, Self.config(header: "global_defs {\n  router_id lb2\n}\n"))
        #expect(changedGlobals.reread == nil)
        #expect(changedGlobals.wholeFileReason?.contains("global_defs") == true)
    }

    @Test func anIncludeReadsTheWholeFileWithWhatItBrings() throws {
        let reader = IncrementalConfigReader(file: Self.file, configID: nil)
        let included = "virtual_server 203.0.113.9 80 {\n  lb_kind DR\n  protocol TCP\n  real_server 198.51.100.9 80 {\n  }\n}\n"
        func read(_ text: String) -> ConfigRead {
            reader.read(files: InMemoryFileSystem(files: [Self.file: text, "/etc/more.conf": included]))
        }
        _ = read(Self.config())
        // The file an include names is text the chunks' digests do not cover: the whole file
        // is read, because of the include, and the included virtual server is there.
        let reread = read(Self.config() + "include /etc/more.conf\n")
        #expect(reread.reread == nil)
        #expect(reread.wholeFileReason == "it uses the preprocessor or include")
        let names = try #require(reread.result.config).lvs.virtualServers.map(\.name)
        #expect(names.contains("203.0.113.9:80"), "\(names) \(reread.result.diagnostics)")
    }

    @Test func aDuplicateAddedBlockIsRefusedAtItsLine() throws {
        let reader = IncrementalConfigReader(file: Self.file, configID: nil)
        _ = Self.read(reader, Self.config())
        // A fifth block that repeats the first's service: the check across blocks still runs.
        let text = Self.config() + "virtual_server 192.0.2.1 80 {\n  lb_kind DR\n  protocol TCP\n}\n"
        let read = Self.read(reader, text)
        #expect(read.reread?.chunks == 1)
        #expect(read.result.config == nil)
        #expect(read.result.errors.map(\.description) == Self.whole(text).errors.map(\.description))
        #expect(read.result.errors.first?.description.hasPrefix("\(Self.file):\(text.split(separator: "\n").count - 3):1: duplicate virtual_server") == true,
                "\(read.result.errors)")
    }

    @Test func aBrokenChangedBlockIsRefusedWithItsLocationAndTheRunningConfigurationStays() async throws {
        let (dir, file, h, daemon) = try await Self.started()
        h.table.resetLog()
        // A real server more in the first block moves the others down 6 lines; the third's
        // scheduler is wrong.
        let broken = Self.config(extra: 0, algo: [2: "nope"])
        try dir.write("keepalived.conf", broken)
        #expect(await daemon.reload() == false)
        #expect(h.logs.contains("2 of 5 top-level blocks read again"), "\(h.logs.all)")
        let line = try #require(broken.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("lb_algo nope") }) + 1
        #expect(h.logs.contains("\(file):\(line):11: lb_algo: unknown scheduler 'nope'"), "\(h.logs.all)")
        #expect(h.table.sent.isEmpty)
        #expect(await h.engine.config.virtualServers[0].realServers.count == 2)
        // Fixed: taken, one destination added.
        try dir.write("keepalived.conf", Self.config(extra: 0))
        #expect(await daemon.reload())
        #expect(h.table.sent.count == 1, "\(h.table.sent)")
        #expect(await h.engine.config.virtualServers[0].realServers.count == 3)
    }

    @Test func unchangedVirtualServersKeepTheirCheckStateAndAreNotDiffed() async throws {
        let (dir, _, h, daemon) = try await Self.started()
        // The fourth virtual server's first real server goes down.
        let fourth = ServiceKey.address(.tcp, IPAddress("192.0.2.4")!, port: 83)
        for _ in 0..<3 { await h.engine.deliver(CheckerID(virtualServer: 3, realServer: 0, checker: 0), CheckResult.failed(.timedOut("connect"))) }
        #expect(h.destinations(fourth).count == 1)
        h.table.resetLog()
        // A real server more in the first: the fourth's block is the same text, its state stays.
        try dir.write("keepalived.conf", Self.config(extra: 0))
        #expect(await daemon.reload())
        #expect(h.logs.contains("1 of 5 top-level blocks read again"), "\(h.logs.all)")
        #expect(h.logs.contains("8 checkers kept their state, 1 new, 0 stopped; 1 kernel changes"), "\(h.logs.all)")
        #expect(h.table.sent.count == 1, "\(h.table.sent)")
        #expect(h.destinations(fourth).count == 1, "the down server stays out")
        #expect(await h.engine.state.isCheckerUp(CheckerID(virtualServer: 3, realServer: 0, checker: 0)) == false)
    }

    /// The virtual servers whose block did not change are carried over whole: their state is
    /// the running one's arrays, shared and not built again (nothing is done per real server
    /// or checker for them), their checkers keep their serials (the last result the status
    /// shows is kept by it), and only the changed one is settled and diffed.
    @Test func unchangedVirtualServersAreCarriedOverWholeNotRebuilt() async throws {
        let (dir, _, h, daemon) = try await Self.started()
        let third = CheckerID(virtualServer: 2, realServer: 1, checker: 0)
        await h.engine.deliver(third, CheckResult.failed(.timedOut("connect")))
        let before = await h.engine.state
        let lastResult = await h.engine.status().virtualServers[2].realServers[1].checkers[0].lastResult
        #expect(lastResult != nil)
        h.table.resetLog()
        // A real server more in the second virtual server: the other three are the same text.
        try dir.write("keepalived.conf", Self.config(extra: 1))
        #expect(await daemon.reload())
        #expect(h.logs.contains("reloaded: 4 virtual servers (1 changed, 3 carried over whole); 8 checkers kept their state, 1 new, 0 stopped; 1 kernel changes"), "\(h.logs.all)")
        let after = await h.engine.state
        for v in [0, 2, 3] {
            #expect(Self.storage(after.vss[v].reals) == Self.storage(before.vss[v].reals), "virtual server \(v)'s state was built again")
        }
        #expect(Self.storage(after.vss[1].reals) != Self.storage(before.vss[1].reals), "the changed one is made for its new configuration")
        #expect(after.vss[1].reals.count == 3)
        #expect(await h.engine.status().virtualServers[2].realServers[1].checkers[0].lastResult == lastResult)
        #expect(h.table.sent.count == 1, "\(h.table.sent)")
        // The carried state goes on: the third's checker has used its retry, one more failure takes its server out.
        await h.engine.deliver(third, CheckResult.failed(.timedOut("connect")))
        #expect(await h.engine.state.isAlive(virtualServer: 2, realServer: 1) == false)
    }

    /// Where an array's elements are (the same for two arrays that share their storage).
    static func storage<T>(_ a: [T]) -> UnsafeRawPointer? { a.withUnsafeBufferPointer { $0.baseAddress.map(UnsafeRawPointer.init) } }
}

private extension Array where Element == Substring {
    /// The first index at or after `start` whose line is `line`.
    func firstIndex(of line: Substring, after start: Int) -> Int? {
        self[start...].firstIndex(of: line)
    }

}

/// The reload of Scripts/bench's daemon-scale file natively: SWIFTVS_SCALE_CONF (the base file,
/// Scripts/lib/bench-scale.awk) and SWIFTVS_SCALE_CONF_NEXT (with `-v add=1`). Off by default:
/// it prints the times of a whole read, a read of the changed block, and the engine's apply.
@Suite struct IncrementalReloadScaleTests {
    @Test(.enabled(if: DaemonScaleSetUp.base != nil && DaemonScaleSetUp.next != nil,
                   "set SWIFTVS_SCALE_CONF and SWIFTVS_SCALE_CONF_NEXT"))
    func timesOfAOneServerReloadAtScale() async throws {
        let base = try #require(DaemonScaleSetUp.base), next = try #require(DaemonScaleSetUp.next)
        let baseText = try LocalFileSystem().read(base), nextText = try LocalFileSystem().read(next)
        let reader = IncrementalConfigReader(file: "keepalived.conf", configID: nil)
        let clock = ContinuousClock()
        var t = clock.now
        let first = reader.read(files: InMemoryFileSystem(files: ["keepalived.conf": baseText], executables: ["/usr/local/bin/bench-check"]))
        let whole = clock.now - t
        t = clock.now
        let second = reader.read(files: InMemoryFileSystem(files: ["keepalived.conf": nextText], executables: ["/usr/local/bin/bench-check"]))
        let incremental = clock.now - t
        let old = try #require(first.result.config), new = try #require(second.result.config)
        #expect(second.reread?.chunks == 1)
        let h = try DaemonHarness(config: "")
        await h.engine.reload(old.lvs)
        t = clock.now
        await h.engine.reload(new.lvs, unchanged: second.unchanged)
        let apply = clock.now - t
        #expect(second.unchanged.count == new.lvs.virtualServers.count - 1)
        print("sizes: CheckerConfig \(MemoryLayout<CheckerConfig>.size) B, RealServerConfig \(MemoryLayout<RealServerConfig>.size) B")
        print("scale reload: whole read \(whole), changed block read \(incremental) (\(second.reread!.chunks) of \(second.reread!.of)), engine apply \(apply)")
    }
}
