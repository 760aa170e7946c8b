import Foundation
import Testing
import HealthCheck

/// The director pair (issue 17), in the VM: two `swiftvs daemon`s, each with one
/// configuration holding the `vrrp_instance` of the VIP, the `virtual_server fwmark 80` (lc,
/// DR) block and `lvs_sync_daemon eth0 VI_1`, in front of three DR real servers. A client holds
/// one long TCP stream through the VIP (a line every 100 ms, each answer checked in order)
/// while the master director dies or stops.
///
/// Topology, every node a network namespace joined by a bridge in a namespace of its own
/// (192.0.2.0/24, nothing in the VM's root namespace):
///
///     swvp-cl  192.0.2.50                      swvp-br: bridge br0
///     swvp-d1  192.0.2.2   priority 150        VIP 192.0.2.100 on the VRRP master's eth0
///     swvp-d2  192.0.2.3   priority 100        mangle -d VIP -j MARK 80 on both (--vip-mark)
///     swvp-rs1..3  192.0.2.101-103             VIP on lo, arp_ignore=1, arp_announce=2,
///                                              a line server on :80 ("rsN LINE" per line)
///
/// The mark rule is on both directors: only the VIP holder receives traffic for the VIP (ARP
/// for it is answered by the holder alone), so the rule on the backup marks nothing, and a
/// new master needs no rule change before it forwards.
extension Kernel {
    @Suite("Director pair: VRRP failover with IPVS connection sync", .serialized,
           .enabled(if: ProcessInfo.processInfo.environment["SWIFTVS_IN_VM"] == "1",
                    "needs the test VM's IPVS (run with Scripts/test --kernel-only)"))
    struct DirectorPairKernelTests {
        static let work = "/tmp/swvp"
        static let vip = "192.0.2.100"
        static let client = "192.0.2.50"
        static let directors = ["d1": "192.0.2.2", "d2": "192.0.2.3"]
        static let servers = ["rs1": "192.0.2.101", "rs2": "192.0.2.102", "rs3": "192.0.2.103"]
        static let priorities = ["d1": 150, "d2": 100]
        /// advert_int 1, VRRPv2: the backup (priority 100) declares the master dead after
        /// 3 × 1 s + (256 − 100)/256 s.
        static let skew = Double(256 - 100) / 256
        static let masterDown = 3 + skew
        /// Packet times are the kernel's wall clock (tcpdump), the daemons' timers run on the
        /// monotonic clock: the two agree to well under a millisecond here (no NTP in the VM),
        /// and tcpdump prints microseconds.
        static let clockTolerance = 0.002
        /// What the longest gap of the stream may exceed twice the outage by (see `expectGap`).
        static let gapAllowance = 1.0

        // MARK: - The tests

        /// The master director dies (its daemon killed -9 and its link cut at the same moment,
        /// as a crashed machine: kill -9 alone leaves the kernel forwarding through it, VIP and
        /// all). The backup takes over after Master_Down_Interval and carries the stream on.
        /// Then the dead director comes back (daemon restarted, link up): its leftover VIP is
        /// gone before it is reachable, and it takes the VIP back (preemption) without breaking
        /// the stream either.
        @Test static func streamSurvivesMasterCrash() async throws {
            try await withPair(sync: true) { pair in
                try await pair.startVIPSampler()
                let wire = try await Wire.start(on: "d2")
                var windows: [ClosedRange<Double>] = []
                let stream = try await pair.startStream()
                try await pair.expectEntryOnBackup(stream, in: "d2")
                try await pair.expectConnectionStates(stream, after: "the stream started")
                let servedBefore = try await stream.server()
                let answered = try await stream.answered()

                let killed = try await pair.crash("d1").timeIntervalSince1970
                let seen = try await measure(within: masterDown + 10) { try await pair.holdsVIP("d2") }
                #expect(seen != nil, "d2 takes the VIP within \(fmt(masterDown + 10)) s of the crash\n\(pair.tail("d2"))")
                let crash = try await wire.handover(from: "d1", to: "d2", since: killed, within: .seconds(20))
                let takeover = try await pair.masterSince("d2").map { $0.timeIntervalSince1970 - killed }
                print("DirectorPair: kill -9: d2 MASTER \(fmt(takeover)) s after the crash, VIP seen there after \(fmt(seen)) s; \(crash.summary(trigger: killed))")
                #expect(takeover != nil, "d2 reports MASTER\n\(pair.tail("d2"))")
                expectTakeoverOnSilence(crash, wire: wire, logs: pair.tail("d2"))
                #expect(try await stream.waitAnswered(answered + 30), "the stream flows again through d2\n\(stream.tail())")
                #expect(try await stream.server() == servedBefore, "same real server before and after (\(servedBefore))\n\(stream.tail())")
                windows.append(killed...(killed + (seen ?? 60) + 0.5))
                let owners = try await pair.addressOwners()
                #expect(owners == ["d1", "d2"], "kill -9 leaves the dead director's VIP (on its cut link): holders \(owners)")
                try await pair.expectSameTables(after: "the crash")
                try await pair.expectConnectionStates(stream, after: "the crash")

                // Back: the daemon restarts while the link is still down, and removes the VIP
                // it left before its first election; then the link comes back.
                try await pair.startDaemon("d1")
                let cleaned = try await until(within: .seconds(20)) { try await pair.addressOwners() == ["d2"] }
                let nowOwners = try await pair.addressOwners()
                #expect(cleaned, "the restarted daemon removes its leftover VIP within 20 s: holders \(nowOwners)\n\(pair.tail("d1"))")
                let answered2 = try await stream.answered()
                let linkUp = Date().timeIntervalSince1970
                try await DaemonKernelTests.shell("ip -n swvp-d1 link set eth0 up")
                let back = try await measure(within: masterDown + 15) { try await pair.addressOwners() == ["d1"] }
                windows.append(linkUp...(linkUp + (back ?? 60) + 0.5))
                #expect(back != nil, "d1 takes the VIP back (preemption) within \(fmt(masterDown + 15)) s\n\(pair.tail("d1"))\n\(pair.tail("d2"))")
                let preemption = try await wire.handover(from: "d2", to: "d1", since: linkUp, within: .seconds(20))
                print("DirectorPair: preemption: d1 holds the VIP alone \(fmt(back)) s after its link came back; \(preemption.summary(trigger: linkUp))")
                #expect(try await stream.waitAnswered(answered2 + 30), "the stream flows through d1 again\n\(stream.tail())")
                #expect(try await stream.server() == servedBefore, "same real server after the preemption (\(servedBefore))\n\(stream.tail())")
                try await pair.expectSameTables(after: "the preemption")
                try await pair.expectConnectionStates(stream, after: "the preemption")

                let summary = try await stream.finish()
                print("DirectorPair: kill -9: \(summary.answered) lines answered, longest gap \(fmt(summary.maxGap)) s, error \(summary.error ?? "none")")
                #expect(summary.error == nil, "no line lost, no reset: \(summary.error ?? "")\n\(stream.tail())")
                expectGap(summary, outages: [crash.outage(from: killed), preemption.outage(from: preemption.newMaster)], stream: stream, wire: wire)
                let owners2 = try await pair.addressOwners()
                #expect(owners2 == ["d1"], "d1 alone holds the VIP at the end: \(owners2)")
                try await pair.expectOneVIPHolder(outside: windows)
            }
        }

        /// A clean stop of the master (SIGTERM): it sends priority 0 and removes the VIP; the
        /// backup takes over after its skew alone, with the stream's connection already synced.
        @Test static func streamSurvivesCleanStop() async throws {
            try await withPair(sync: true) { pair in
                try await pair.startVIPSampler()
                let wire = try await Wire.start(on: "d2")
                let stream = try await pair.startStream()
                try await pair.expectEntryOnBackup(stream, in: "d2")
                try await pair.expectConnectionStates(stream, after: "the stream started")
                let servedBefore = try await stream.server()
                let answered = try await stream.answered()

                let stopped = Date().timeIntervalSince1970
                try await pair.signal("d1", SIGTERM)
                let exit = pair.watchExit("d1")
                let seen = try await measure(within: 20) { try await pair.addressOwners() == ["d2"] }
                let window = stopped...(stopped + (seen ?? 60) + 0.5)
                let nowOwners = try await pair.addressOwners()
                #expect(seen != nil, "the VIP moves to d2 alone within 20 s: holders \(nowOwners)\n\(pair.tail("d1"))\n\(pair.tail("d2"))")
                let stop = try await wire.handover(from: "d1", to: "d2", since: stopped, within: .seconds(20))
                let takeover = try await pair.masterSince("d2").map { $0.timeIntervalSince1970 - stopped }
                print("DirectorPair: SIGTERM: d2 MASTER \(fmt(takeover)) s after the signal, VIP on d2 alone after \(fmt(seen)) s; \(stop.summary(trigger: stopped))")
                #expect(takeover != nil, "d2 reports MASTER\n\(pair.tail("d2"))")
                expectTakeoverOnPriorityZero(stop, wire: wire, logs: pair.tail("d1") + "\n" + pair.tail("d2"))
                let status = try await pair.status("d2")
                #expect(status.contains("priority 0 received 1,"), "d2 counts the one priority-0 advert it received:\n\(status)")
                try await pair.expectCleanExit("d1", watch: exit)
                #expect(try await stream.waitAnswered(answered + 30), "the stream flows through d2\n\(stream.tail())")
                #expect(try await stream.server() == servedBefore, "same real server before and after (\(servedBefore))\n\(stream.tail())")
                let d1Sync = try await pair.syncDaemons("d1")
                #expect(d1Sync.isEmpty, "a stopped director leaves no sync daemon: \(d1Sync)\n\(pair.tail("d1"))")
                // d2 switches its sync daemon after the transition, in a task of its own.
                let d2Master = try await until(within: .seconds(20)) { try await pair.syncDaemons("d2").contains("master") }
                let nowSync = try await pair.syncDaemons("d2")
                #expect(d2Master, "d2 runs the master sync daemon within 20 s: \(nowSync)\n\(pair.tail("d2"))")
                try await pair.expectSameTables(after: "the clean stop (the stopped director left its table as it was)")
                try await pair.expectConnectionStates(stream, after: "the clean stop")
                try await pair.expectOneVIPHolder(outside: [window])

                let summary = try await stream.finish()
                print("DirectorPair: SIGTERM: \(summary.answered) lines answered, longest gap \(fmt(summary.maxGap)) s, error \(summary.error ?? "none")")
                #expect(summary.error == nil, "no line lost, no reset: \(summary.error ?? "")\n\(stream.tail())")
                expectGap(summary, outages: [stop.outage(from: stop.priorityZero ?? stopped)], stream: stream, wire: wire)
            }
        }

        /// The control: the same clean stop with no `lvs_sync_daemon`. The backup never hears
        /// of the connection, and the first segment it receives as master is not a SYN, so it
        /// goes to its own stack, which resets it. Sync is what the tests above rely on.
        @Test static func withoutSyncTheStreamBreaks() async throws {
            try await withPair(sync: false) { pair in
                let stream = try await pair.startStream()
                let answered = try await stream.answered()
                // Give a sync daemon (were one running) time to send: entries go out on the
                // third packet of a connection and the master flushes at least every 2 s.
                #expect(try await stream.waitAnswered(answered + 30), "the stream flows through d1\n\(stream.tail())")
                let entry = try await pair.connectionEntry(stream, in: "d2")
                #expect(entry == nil, "no entry reaches d2 without sync: \(entry ?? "")")
                let daemons = (try await pair.syncDaemons("d1"), try await pair.syncDaemons("d2"))
                #expect(daemons.0.isEmpty && daemons.1.isEmpty, "no sync daemon configured, none runs: \(daemons)")

                try await pair.signal("d1", SIGTERM)
                let takeover = try await measure(within: 20) { try await pair.addressOwners() == ["d2"] }
                let nowOwners = try await pair.addressOwners()
                #expect(takeover != nil, "the VIP moves to d2 alone within 20 s: holders \(nowOwners)\n\(pair.tail("d1"))\n\(pair.tail("d2"))")
                _ = try await until(within: .seconds(20)) { try await stream.stopped() }
                let summary = try await stream.finish()
                print("DirectorPair: no sync: \(summary.answered) lines answered, then: \(summary.error ?? "none")")
                #expect(summary.error != nil, "without sync the stream is reset or stalls: \(summary.answered) lines answered, longest gap \(fmt(summary.maxGap)) s\n\(stream.tail())")
            }
        }

        /// SIGHUP with the configuration unchanged, on the master and on the backup: no VRRP
        /// transition, the sync daemons' kernel threads the same ones (not restarted), the same
        /// tables, the VIP where it was. Then the backup's daemon restarts after a kill -9 and
        /// keeps the kernel's backup sync daemon it finds.
        @Test static func sighupWithUnchangedConfigurationChangesNothing() async throws {
            try await withPair(sync: true) { pair in
                let threads = try await pair.syncThreads()
                #expect(threads.count == 2, "one master and one backup sync thread: \(threads)")
                let daemons = try await (pair.syncDaemons("d1"), pair.syncDaemons("d2"))
                let tables = try await (pair.table("d1"), pair.table("d2"))
                // Everything each daemon logs from its SIGHUP on is checked below.
                let logLength = (pair.log("d1").count, pair.log("d2").count)
                for d in ["d1", "d2"] {
                    let before = pair.log(d)
                    try await pair.signal(d, SIGHUP)
                    let reloaded = try await until(within: .seconds(20)) { pair.log(d).dropFirst(before.count).contains("reloaded:") }
                    #expect(reloaded, "\(d) reloads within 20 s of SIGHUP\n\(pair.tail(d))")
                }
                // Absence of a flap: watch for longer than Master_Down_Interval.
                try await Task.sleep(for: .seconds(masterDown + 1))
                for (d, n) in [("d1", logLength.0), ("d2", logLength.1)] {
                    let after = String(pair.log(d).dropFirst(n))
                    #expect(!after.contains("Entering"), "\(d): no VRRP transition: \(lastLines(after))")
                    #expect(!after.contains("lvs_sync_daemon"), "\(d): sync daemon untouched: \(lastLines(after))")
                    #expect(!pair.log(d).contains("reload: changed"), "\(d): the instance is not restarted\n\(pair.tail(d))")
                }
                let threadsAfter = try await pair.syncThreads()
                #expect(threadsAfter == threads, "the kernel's sync threads were not restarted: \(threads) before, \(threadsAfter) after")
                let daemonsAfter = try await (pair.syncDaemons("d1"), pair.syncDaemons("d2"))
                #expect(daemonsAfter == daemons, "the sync daemons as they were: \(daemons) before, \(daemonsAfter) after")
                let tablesAfter = try await (pair.table("d1"), pair.table("d2"))
                #expect(tablesAfter == tables, "the tables as they were: \(tables) before, \(tablesAfter) after")
                let owners = try await pair.addressOwners()
                #expect(owners == ["d1"], "the VIP on d1 alone: holders \(owners)")

                // A backup's daemon that crashes and restarts finds the kernel's backup daemon
                // running as configured, and keeps it (same thread), rather than restarting it.
                let before = pair.log("d2").count
                try await DaemonKernelTests.shell("kill -9 \(pair.pid("d2") ?? 0)")
                #expect(try await pair.waitExit("d2"), "d2 exits within 20 s of kill -9")
                try await pair.startDaemon("d2")
                let rejoined = try await until(within: .seconds(30)) {
                    pair.log("d2").dropFirst(before).contains("lvs_sync_daemon on eth0: backup")
                }
                #expect(rejoined, "d2 back as BACKUP within 30 s\n\(pair.tail("d2"))")
                let threadsRejoined = try await pair.syncThreads()
                #expect(threadsRejoined == threads, "the kernel's backup daemon was kept: \(threads) before, \(threadsRejoined) after")
                let ownersRejoined = try await pair.addressOwners()
                #expect(ownersRejoined == ["d1"], "the VIP on d1 alone: holders \(ownersRejoined)\n\(pair.tail("d2"))")
            }
        }

        /// SIGHUP with a changed `lvs_sync_daemon` (a new sync id and port, on both directors):
        /// the kernel's daemons run with the new settings in the same roles, with no VRRP
        /// transition, and a new connection is synced to the backup under them.
        @Test static func sighupAppliesAChangedSyncDaemon() async throws {
            try await withPair(sync: true) { pair in
                let logLength = (pair.log("d1").count, pair.log("d2").count)
                let changed = "lvs_sync_daemon eth0 VI_1 id 7 port 8849"
                for d in ["d1", "d2"] {
                    try pair.config(d, syncLine: changed).write(toFile: "\(work)/\(d).conf", atomically: true, encoding: .utf8)
                    let before = pair.log(d)
                    try await pair.signal(d, SIGHUP)
                    let reloaded = try await until(within: .seconds(20)) { pair.log(d).dropFirst(before.count).contains("reloaded:") }
                    #expect(reloaded, "\(d) reloads within 20 s of SIGHUP\n\(pair.tail(d))")
                }
                let applied = try await until(within: .seconds(20)) {
                    let (m, b) = (try await pair.syncDaemons("d1"), try await pair.syncDaemons("d2"))
                    return m.contains("master sync daemon") && m.contains("syncid=7") && m.contains("port=8849") && !m.contains("backup")
                        && b.contains("backup sync daemon") && b.contains("syncid=7") && b.contains("port=8849") && !b.contains("master")
                }
                print("DirectorPair: after SIGHUP with '\(changed)': d1 \(try await pair.syncDaemons("d1")), d2 \(try await pair.syncDaemons("d2"))")
                #expect(applied, "the kernel's daemons run with the new sync id in the same roles within 20 s\n\(pair.tail("d1"))\n\(pair.tail("d2"))")
                // Absence of a flap: watch for longer than Master_Down_Interval.
                try await Task.sleep(for: .seconds(masterDown + 1))
                for (d, n) in [("d1", logLength.0), ("d2", logLength.1)] {
                    let after = String(pair.log(d).dropFirst(n))
                    #expect(!after.contains("Entering"), "\(d): no VRRP transition: \(lastLines(after))")
                    #expect(after.contains("reload: lvs_sync_daemon changed to eth0 VI_1 id 7 port 8849"), "\(d) says what changed: \(lastLines(after))")
                }
                let owners = try await pair.addressOwners()
                #expect(owners == ["d1"], "the VIP on d1 alone: holders \(owners)")
                try await pair.expectSameTables(after: "the sync daemon's change")
                let stream = try await pair.startStream()
                try await pair.expectEntryOnBackup(stream, in: "d2")
                let summary = try await stream.finish()
                #expect(summary.error == nil, "the stream under the new sync daemons: \(summary.error ?? "")\n\(stream.tail())")
            }
        }

        /// The kernel refuses the sync daemon on an interface it cannot use. Here a dummy
        /// `sync0` that is down and has an MTU of 60: the master daemon cannot reach the sync
        /// group through a down interface (ENETUNREACH), and the backup cannot join it on an
        /// interface below IPv4's minimum MTU, which has no IPv4 configuration (ENODEV). Both
        /// directors say so in their log and status, and serve on: d1 MASTER with the VIP and
        /// new connections through it, d2 BACKUP with the same table, which takes the VIP over
        /// and forwards new connections when d1 stops.
        @Test static func aRefusedSyncDaemonLeavesTheDirectorsServing() async throws {
            let prepare = "for d in d1 d2; do ip -n swvp-$d link add sync0 type dummy; ip -n swvp-$d link set sync0 mtu 60; done\n"
            try await withPair(sync: true, syncLine: "lvs_sync_daemon sync0 VI_1", prepare: prepare) { pair in
                for (d, role) in [("d1", "master"), ("d2", "backup")] {
                    let said = try await until(within: .seconds(20)) { pair.log(d).contains("lvs_sync_daemon: \(role) on sync0:") }
                    #expect(said, "\(d) logs the kernel's refusal within 20 s\n\(pair.tail(d))")
                    #expect(pair.log(d).contains("the director keeps serving"), "\(d) says it keeps serving\n\(pair.tail(d))")
                    let status = try await DaemonKernelTests.shell("'\(try DaemonKernelTests.swiftvsPath())' status --control \(work)/\(d).sock")
                    let line = status.split(separator: "\n").filter { $0.contains("lvs_sync_daemon") }.joined()
                    print("DirectorPair: refused sync daemon, \(d)'s status: \(line)")
                    #expect(line.contains("lvs_sync_daemon \(role) (not running: "), "\(d)'s status says so: \(status)")
                    let running = try await pair.syncDaemons(d)
                    #expect(!running.contains("sync daemon"), "no sync daemon runs on \(d): \(running)")
                }
                try await pair.expectSameTables(after: "the refusal (the table is unaffected)")
                let owners = try await pair.addressOwners()
                #expect(owners == ["d1"], "the VIP on d1 alone: holders \(owners)")
                let first = try await pair.startStream()   // throws unless it flows through d1
                let firstError = try await first.finish().error
                #expect(firstError == nil, "a stream through d1: \(firstError ?? "")\n\(first.tail())")

                try await pair.signal("d1", SIGTERM)
                let took = try await until(within: .seconds(15)) { try await pair.addressOwners() == ["d2"] }
                let nowOwners = try await pair.addressOwners()
                #expect(took, "d2 takes over within 15 s of d1's stop: holders \(nowOwners)\n\(pair.tail("d1"))\n\(pair.tail("d2"))")
                let stream = try await pair.startStream()   // throws unless it flows through d2
                let error = try await stream.finish().error
                #expect(error == nil, "a stream through d2: \(error ?? "")\n\(stream.tail())")
            }
        }

        // MARK: - The pair

        /// Sets up the namespaces, starts d1 then d2, waits for d1 MASTER / d2 BACKUP, runs
        /// `body`, and tears everything down whatever happened.
        static func withPair(sync: Bool, syncLine: String? = nil, prepare: String = "",
                             _ body: (Pair) async throws -> Void) async throws {
            await Pair.tearDown()
            let pair = Pair(sync: sync, syncLine: syncLine, prepare: prepare)
            do {
                try await pair.setUp()
                try await body(pair)
            } catch {
                print(pair.tail("d1"), pair.tail("d2"), separator: "\n")
                await Pair.tearDown()
                throw error
            }
            await Pair.tearDown()
        }

        final class Pair: Sendable {
            let sync: Bool
            /// The `lvs_sync_daemon` line when not the default `lvs_sync_daemon eth0 VI_1`.
            let syncLine: String?
            /// Run after the namespaces exist and before the daemons start.
            let prepare: String
            init(sync: Bool, syncLine: String? = nil, prepare: String = "") {
                self.sync = sync
                self.syncLine = syncLine
                self.prepare = prepare
            }

            static let namespaces = ["swvp-cl", "swvp-d1", "swvp-d2", "swvp-rs1", "swvp-rs2", "swvp-rs3", "swvp-br"]

            func setUp() async throws {
                try? FileManager.default.removeItem(atPath: work)
                try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
                var script = """
                    ip netns add swvp-br
                    ip -n swvp-br link add br0 type bridge
                    ip -n swvp-br link set br0 up

                    """
                let nodes = [("cl", client)] + directors.sorted { $0.key < $1.key } + servers.sorted { $0.key < $1.key }
                for (name, address) in nodes {
                    script += """
                        ip netns add swvp-\(name)
                        ip -n swvp-br link add v-\(name) type veth peer name eth0 netns swvp-\(name)
                        ip -n swvp-br link set v-\(name) master br0 up
                        ip -n swvp-\(name) link set lo up
                        ip -n swvp-\(name) addr add \(address)/24 dev eth0
                        ip -n swvp-\(name) link set eth0 up

                        """
                }
                for (name, _) in servers.sorted(by: { $0.key < $1.key }) {
                    script += """
                        ip -n swvp-\(name) addr add \(vip)/32 dev lo
                        ip netns exec swvp-\(name) sysctl -q -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2
                        ip netns exec swvp-\(name) python3 \(Pair.scripts)/lineserver.py \(name) </dev/null >\(work)/\(name).log 2>&1 &

                        """
                }
                try await DaemonKernelTests.shell(script + prepare)
                for (name, address) in servers {
                    let up = try await until(within: .seconds(30)) {
                        (try? await DaemonKernelTests.shell("ip netns exec swvp-cl bash -c 'exec 3<>/dev/tcp/\(address)/80'")) != nil
                    }
                    guard up else { throw SetupError(message: "\(name)'s line server did not start") }
                }
                for d in ["d1", "d2"] {
                    try config(d).write(toFile: "\(work)/\(d).conf", atomically: true, encoding: .utf8)
                }
                try await startDaemon("d1")
                let d1Master = try await until(within: .seconds(90)) { try await holdsVIP("d1") }
                guard d1Master else { throw SetupError(message: "d1 did not become master\n\(tail("d1"))") }
                try await startDaemon("d2")
                let settled = try await until(within: .seconds(90)) {
                    let table = try await table("d2")
                    return log("d2").contains("Entering BACKUP") && table.contains("-a -f 80")
                }
                guard settled else { throw SetupError(message: "d2 did not settle as backup\n\(tail("d2"))") }
                for d in ["d1", "d2"] {
                    let l = log(d)
                    let ready = l.range(of: "[HealthCheck] started:"), vrrp = l.range(of: "Entering BACKUP STATE")
                    #expect(ready != nil && vrrp != nil && ready!.lowerBound < vrrp!.lowerBound,
                            "\(d): the table is in place before VRRP starts\n\(tail(d))")
                }
                if sync && syncLine == nil {
                    let roles = try await until(within: .seconds(30)) {
                        let (m, b) = (try await syncDaemons("d1"), try await syncDaemons("d2"))
                        return m.contains("master") && b.contains("backup")
                    }
                    guard roles else { throw SetupError(message: "sync daemons not in place\n\(tail("d1"))\n\(tail("d2"))") }
                }
            }

            static func tearDown() async {
                let list = namespaces.joined(separator: " ")
                _ = try? await DaemonKernelTests.shell("""
                    for ns in \(list); do
                      ip netns pids $ns 2>/dev/null | xargs -r kill -9 2>/dev/null || true
                    done
                    for ns in \(list); do ip netns del $ns 2>/dev/null || true; done
                    """)
            }

            func config(_ d: String, syncLine newLine: String? = nil) -> String {
                let me = directors[d]!, peer = directors[d == "d1" ? "d2" : "d1"]!
                let line = newLine ?? syncLine ?? "lvs_sync_daemon eth0 VI_1"
                var s = """
                    global_defs {
                      router_id \(d)
                    \(sync ? "  \(line)\n" : "")}

                    vrrp_instance VI_1 {
                      state BACKUP
                      interface eth0
                      virtual_router_id 51
                      priority \(priorities[d]!)
                      advert_int 1
                      unicast_src_ip \(me)
                      unicast_peer {
                        \(peer)
                      }
                      authentication {
                        auth_type PASS
                        auth_pass swiftvs1
                      }
                      virtual_ipaddress {
                        \(vip)/24 dev eth0
                      }
                    }

                    virtual_server fwmark 80 {
                      delay_loop 2
                      lb_algo lc
                      lb_kind DR

                    """
                for (_, address) in servers.sorted(by: { $0.key < $1.key }) {
                    s += """
                          real_server \(address) {
                            weight 1
                            TCP_CHECK {
                              connect_port 80
                              connect_timeout 3
                            }
                          }

                        """
                }
                return s + "}\n"
            }

            /// The line server and the client stream, shared with Scripts/demo.
            static let scripts = packageRoot.appendingPathComponent("Scripts/lib/pair").path

            // MARK: Daemons

            func startDaemon(_ d: String) async throws {
                let argv = [try DaemonKernelTests.swiftvsPath(), "daemon", "--config", "\(work)/\(d).conf",
                            "--state", "\(work)/\(d).rules", "--control", "\(work)/\(d).sock",
                            "--vip-mark", "\(vip)=80", "--mark-backend", "iptables"]
                let line = argv.map { "'\($0)'" }.joined(separator: " ")
                try await DaemonKernelTests.shell("""
                    ip netns exec swvp-\(d) \(line) </dev/null >>\(work)/\(d).log 2>&1 &
                    echo $! > \(work)/\(d).pid
                    """)
            }

            func pid(_ d: String) -> Int32? {
                (try? String(contentsOfFile: "\(work)/\(d).pid", encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            }

            func signal(_ d: String, _ sig: Int32) async throws {
                guard let pid = pid(d) else { throw SetupError(message: "no pid for \(d)") }
                kill(pid, sig)
            }

            /// The director dies: its daemon gets SIGKILL and its link goes down in one step.
            /// Returns the wall time of the kill.
            func crash(_ d: String) async throws -> Date {
                guard let pid = pid(d) else { throw SetupError(message: "no pid for \(d)") }
                let out = try await DaemonKernelTests.shell("kill -9 \(pid); date +%s.%N; ip -n swvp-\(d) link set eth0 down")
                guard let t = Double(out.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw SetupError(message: "date: \(out)") }
                return Date(timeIntervalSince1970: t)
            }

            /// When the director's instance last entered MASTER, from `swiftvs status --json`
            /// (nil if it is not MASTER).
            func masterSince(_ d: String) async throws -> Date? {
                let json = try await DaemonKernelTests.shell("'\(try DaemonKernelTests.swiftvsPath())' status --json --control \(work)/\(d).sock")
                guard let o = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
                      let i = (o["vrrp_instances"] as? [[String: Any]])?.first, i["state"] as? String == "MASTER",
                      let at = i["last_transition_at"] as? String else { return nil }
                let f = ISO8601DateFormatter()
                f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                return f.date(from: at)
            }

            /// Whether the daemon has exited within 20 s.
            func waitExit(_ d: String) async throws -> Bool {
                guard let pid = pid(d) else { return false }
                return try await until(within: .seconds(20)) { kill(pid, 0) != 0 }
            }

            /// Watches, from now on (just after a signal), for the daemon's exit: the seconds it
            /// took, polled every 50 ms (nil if it has not exited within 80 s).
            func watchExit(_ d: String) -> Task<Double?, any Error> {
                let pid = pid(d) ?? 0
                return Task { try await measure(within: 80) { kill(pid, 0) != 0 } }
            }

            /// After SIGTERM: the daemon exits within 20 s, having logged both halves' stop. If it
            /// has not after 20 s, where its threads wait is taken then, for the message.
            func expectCleanExit(_ d: String, watch: Task<Double?, any Error>) async throws {
                let within = try await until(within: .seconds(20)) { pid(d).map { kill($0, 0) != 0 } ?? true }
                let threads = within ? "" : try await threads(d)
                let took = try await watch.value
                print("DirectorPair: SIGTERM: \(d) exited \(fmt(took)) s after the signal")
                #expect(took.map { $0 <= 20 } ?? false,
                        "\(d) exits within 20 s of SIGTERM: \(took.map { "it took \(fmt($0)) s" } ?? "not within 80 s")\(within ? "" : "; its threads 20 s after the signal (after the test's own waits before):\n\(threads)")\n\(tail(d))")
                let l = log(d)
                #expect(l.contains("Entering STOP STATE") && l.contains("[HealthCheck] stopped"),
                        "\(d) stops cleanly (Entering STOP STATE, then [HealthCheck] stopped)\n\(tail(d))")
            }

            /// Where a daemon's threads wait: state, wchan and kernel stack of each, and the
            /// kernel's sync threads (bounded to 120 lines).
            func threads(_ d: String) async throws -> String {
                guard let pid = pid(d) else { return "no pid" }
                return try await DaemonKernelTests.shell("""
                    { if cd /proc/\(pid) 2>/dev/null; then
                        for t in task/*; do
                          echo "thread ${t#task/} $(cat $t/comm) state $(cut -d' ' -f3 $t/stat) wchan $(cat $t/wchan)"
                          head -8 $t/stack 2>/dev/null | sed 's/^/    /'
                        done
                      else echo "pid \(pid) gone"; fi
                      ps -eo pid,stat,wchan:32,comm | grep -E ' ipvs-[mb]:' || true
                      echo "sockets (fd -> inode) and its netlink sockets (Eth 16: generic netlink, 0: route):"
                      ls -l /proc/\(pid)/fd 2>/dev/null | grep -o '[0-9]* -> socket:.*' | tr '\\n' ' '; echo
                      cat /proc/\(pid)/net/netlink 2>/dev/null
                      dmesg | grep -i ipvs | tail -6; } | head -120
                    timeout 60 gdb -p \(pid) -batch -ex 'thread apply all bt 14' 2>/dev/null | grep -E '^Thread|^#' | head -100 || true
                    """)
            }

            func log(_ d: String) -> String {
                (try? String(contentsOfFile: "\(work)/\(d).log", encoding: .utf8)) ?? ""
            }

            /// The end of a director's log, for failure messages (a CI log keeps only so much).
            func tail(_ d: String) -> String { "--- \(d).log ---\n" + lastLines(log(d)) }

            /// `swiftvs status` of a director (text).
            func status(_ d: String) async throws -> String {
                try await DaemonKernelTests.shell("'\(try DaemonKernelTests.swiftvsPath())' status --control \(work)/\(d).sock")
            }

            // MARK: Kernel state

            func holdsVIP(_ d: String) async throws -> Bool {
                try await DaemonKernelTests.shell("ip -n swvp-\(d) -o -4 addr show dev eth0").contains(" \(vip)/")
            }

            /// The directors whose eth0 carries the VIP.
            func addressOwners() async throws -> [String] {
                var out: [String] = []
                for d in ["d1", "d2"] where try await holdsVIP(d) { out.append(d) }
                return out
            }

            func table(_ d: String) async throws -> String {
                try await DaemonKernelTests.shell("ip netns exec swvp-\(d) ipvsadm-save -n")
            }

            /// Both directors hold the same table: at once, or within 20 s when a health check
            /// of one of them is changing it (its log says so), as a busy VM may make one flap.
            func expectSameTables(after step: String) async throws {
                var tables = ("", "")
                let same = try await until(within: .seconds(20)) {
                    tables = (try await table("d1"), try await table("d2"))
                    return tables.0 == tables.1
                }
                #expect(same, "\(step): both directors hold the same table\n--- d1 ---\n\(tables.0)--- d2 ---\n\(tables.1)\(tail("d1"))\n\(tail("d2"))")
            }

            /// `ipvsadm -L --daemon` in the director's namespace.
            func syncDaemons(_ d: String) async throws -> String {
                try await DaemonKernelTests.shell("ip netns exec swvp-\(d) ipvsadm -L --daemon")
            }

            /// The kernel's sync threads (ipvs-m:… / ipvs-b:…) with their pids.
            func syncThreads() async throws -> [String] {
                try await DaemonKernelTests.shell("ps -e -o pid=,comm= | grep ' ipvs-[mb]:' || true")
                    .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.sorted()
            }

            /// The stream's line in `/proc/net/ip_vs_conn` of a director (hex addresses, ports).
            func connectionEntry(_ stream: Stream, in d: String) async throws -> String? {
                let port = try await stream.port()
                let key = hex(client) + " " + String(format: "%04X", port)
                let table = try await DaemonKernelTests.shell("ip netns exec swvp-\(d) cat /proc/net/ip_vs_conn")
                return table.split(separator: "\n").first { $0.contains(key) }.map(String.init)
            }

            /// Waits for the stream's connection entry in the backup's table (the sync daemon's
            /// work), and checks it names the real server that answers the stream.
            func expectEntryOnBackup(_ stream: Stream, in d: String) async throws {
                var entry: String?
                let synced = try await until(within: .seconds(15)) {
                    entry = try await connectionEntry(stream, in: d)
                    return entry != nil
                }
                #expect(synced, "the connection entry reaches \(d) within 15 s, before the failover\n\(tail(d))")
                guard let entry else { return }
                print("DirectorPair: on \(d) before the failover: \(entry)")
                let served = try await stream.server()
                let rip = servers[served].map(hex) ?? "?"
                #expect(entry.contains(" \(rip) 0050 ") && entry.contains("ESTABLISHED"), "entry \(entry) sends to \(served)")
            }

            /// Every entry in both directors' connection tables is in a state a live stream or a
            /// finished connection may have: the stream's own entry ESTABLISHED wherever it is,
            /// any other ESTABLISHED (a test connection still open) or closing (FIN_WAIT,
            /// TIME_WAIT, CLOSE_WAIT, LAST_ACK, CLOSE); never a half-open SYN_RECV, SYNACK or
            /// NONE left behind, on the master or on a backup that got it by sync.
            func expectConnectionStates(_ stream: Stream, after step: String) async throws {
                let port = String(format: "%04X", try await stream.port())
                let closing: Set<String> = ["ESTABLISHED", "FIN_WAIT", "TIME_WAIT", "CLOSE_WAIT", "LAST_ACK", "CLOSE"]
                var seen = 0
                for d in ["d1", "d2"] {
                    let table = try await DaemonKernelTests.shell("ip netns exec swvp-\(d) cat /proc/net/ip_vs_conn")
                    // Pro FromIP FPrt ToIP TPrt DestIP DPrt State Expires PEName PEData
                    for line in table.split(separator: "\n").dropFirst() {
                        let f = line.split(separator: " ").map(String.init)
                        guard f.count >= 8 else { continue }
                        if f[1] == hex(client) && f[2] == port {
                            seen += 1
                            #expect(f[7] == "ESTABLISHED", "\(step): the stream's entry on \(d) is \(f[7]): \(line)")
                        } else {
                            #expect(closing.contains(f[7]), "\(step): an entry on \(d) left in \(f[7]): \(line)")
                        }
                    }
                }
                #expect(seen >= 1, "\(step): the stream's entry (client port \(port)) is on a director")
            }

            /// Records, from now on, when each director's eth0 goes up or down and when the VIP
            /// comes and goes on it: `ip -ts monitor link address` in each director's namespace
            /// (the kernel's own events, timestamped to the microsecond, no polling), after a
            /// snapshot of both as they are (vip-dN.start: "up" and/or "vip").
            func startVIPSampler() async throws {
                var script = ""
                for d in ["d1", "d2"] {
                    script += """
                        ip -n swvp-\(d) -ts monitor link address </dev/null >\(work)/vip-\(d).events 2>&1 &
                        sleep 0.2
                        { ip -n swvp-\(d) -o link show dev eth0 | grep -q '[<,]UP[,>]' && echo up; ip -n swvp-\(d) -o -4 addr show dev eth0 | grep -q ' \(vip)/' && echo vip; true; } >\(work)/vip-\(d).start

                        """
                }
                try await DaemonKernelTests.shell(script)
            }

            /// Replays both directors' events and samples them every 20 ms from the first event
            /// (or the start) until now: every sample outside `windows` (wall-clock seconds since
            /// the epoch: from a failure until the VIP was seen on the new holder alone) has the
            /// VIP on exactly one director whose eth0 is up.
            func expectOneVIPHolder(outside windows: [ClosedRange<Double>]) async throws {
                let end = Date().timeIntervalSince1970
                var changes: [(t: Double, d: String, up: Bool?, vip: Bool?)] = []
                var state: [String: (up: Bool, vip: Bool)] = [:]
                for d in ["d1", "d2"] {
                    let start = (try? String(contentsOfFile: "\(work)/vip-\(d).start", encoding: .utf8)) ?? ""
                    state[d] = (start.contains("up"), start.contains("vip"))
                    let events = (try? String(contentsOfFile: "\(work)/vip-\(d).events", encoding: .utf8)) ?? ""
                    for line in events.split(separator: "\n") where line.hasPrefix("[") {
                        guard let close = line.firstIndex(of: "]"), let t = Self.epoch(line[line.index(after: line.startIndex)..<close]) else { continue }
                        let rest = line[line.index(after: close)...]
                        if rest.contains(" eth0@") || rest.contains(" eth0:") {
                            if let flags = rest.split(separator: "<").dropFirst().first?.split(separator: ">").first {
                                changes.append((t, d, flags.split(separator: ",").contains("UP"), nil))
                            }
                        } else if rest.contains(" inet \(vip)/") {
                            changes.append((t, d, nil, !rest.contains("Deleted ")))
                        }
                    }
                }
                changes.sort { $0.t < $1.t }
                let first = min(changes.first?.t ?? end, windows.map(\.lowerBound).min() ?? end) - 1
                var samples = 0, outside = 0, wrong: [String] = []
                var next = changes.startIndex
                var t = first
                while t <= end {
                    while next < changes.endIndex, changes[next].t <= t {
                        let c = changes[next]
                        if let up = c.up { state[c.d]!.up = up }
                        if let vip = c.vip { state[c.d]!.vip = vip }
                        next += 1
                    }
                    samples += 1
                    if !windows.contains(where: { $0.contains(t) }) {
                        outside += 1
                        let holders = ["d1", "d2"].filter { state[$0]!.up && state[$0]!.vip }
                        if holders.count != 1 { wrong.append("\(String(format: "%.2f", t)): \(holders)") }
                    }
                    t += 0.02
                }
                print("DirectorPair: VIP holders over \(fmt(end - first)) s: \(changes.count) link/address events, \(samples) samples at 20 ms, \(outside) outside the takeover windows, \(wrong.count) of those without exactly one holder")
                let events = changes.map { String(format: "%.3f %@ %@", $0.t, $0.d, $0.up.map { $0 ? "up" : "down" } ?? ($0.vip! ? "+vip" : "-vip")) }
                let windowText = windows.map { String(format: "%.3f...%.3f", $0.lowerBound, $0.upperBound) }
                #expect(changes.contains { $0.vip != nil }, "the monitors saw the VIP move: events \(events.suffix(40))")
                #expect(wrong.isEmpty, "the VIP on exactly one director (link up) outside the takeover windows \(windowText): \(wrong.count) samples, first \(wrong.prefix(10)); events \(events.suffix(40))")
            }

            /// `ip -ts`'s "2026-12-04T20:51:54.737131" (local time) as seconds since the epoch.
            static func epoch(_ s: Substring) -> Double? {
                let parts = s.split(separator: ".")
                guard parts.count == 2, let frac = Double("0." + parts[1]) else { return nil }
                let f = DateFormatter()
                f.locale = Locale(identifier: "en_US_POSIX")
                f.timeZone = TimeZone.current
                f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
                return f.date(from: String(parts[0])).map { $0.timeIntervalSince1970 + frac }
            }

            func hex(_ address: String) -> String {
                address.split(separator: ".").map { String(format: "%02X", Int($0)!) }.joined()
            }

            // MARK: The stream

            func startStream() async throws -> Stream {
                let stream = Stream(log: "\(work)/stream.log", stop: "\(work)/stream.stop")
                try await DaemonKernelTests.shell("""
                    rm -f \(stream.logPath) \(stream.stopPath)
                    ip netns exec swvp-cl python3 \(Pair.scripts)/stream.py \(vip) 80 \(stream.logPath) \(stream.stopPath) </dev/null >\(work)/stream.err 2>&1 &
                    """)
                guard try await stream.waitAnswered(10) else {
                    throw SetupError(message: "the stream does not flow: \(stream.tail())\n--- stream.err ---\n\(quoted("\(work)/stream.err"))")
                }
                return stream
            }
        }

        /// The client's stream, read from its log.
        struct Stream: Sendable {
            let logPath: String, stopPath: String
            init(log: String, stop: String) { logPath = log; stopPath = stop }

            var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

            /// The end of the stream's log, for failure messages.
            func tail() -> String { "--- stream.log ---\n" + lastLines(log) }
            var lines: [Substring] { log.split(separator: "\n") }

            func port() async throws -> Int {
                guard let l = lines.first(where: { $0.hasPrefix("port ") }), let p = Int(l.dropFirst(5)) else {
                    throw SetupError(message: "stream has no port yet")
                }
                return p
            }

            func answered() async throws -> Int { lines.filter { $0.hasPrefix("ok ") }.count }

            /// The real server that answered the last line.
            func server() async throws -> String {
                guard let l = lines.last(where: { $0.hasPrefix("ok ") }) else { return "" }
                return String(l.split(separator: " ")[2])
            }

            func stopped() async throws -> Bool { log.contains("summary ") }

            /// Waits until `n` lines are answered; false if the stream stops or 30 s pass first.
            func waitAnswered(_ n: Int) async throws -> Bool {
                _ = try await until(within: .seconds(30)) {
                    let (count, done) = (try await answered(), try await stopped())
                    return count >= n || done
                }
                return try await answered() >= n
            }

            struct Summary { var answered: Int; var maxGap: Double; var error: String? }

            /// Stops the stream (or reads how it stopped) and returns its summary.
            func finish() async throws -> Summary {
                _ = FileManager.default.createFile(atPath: stopPath, contents: nil)
                let done = try await until(within: .seconds(40)) { try await stopped() }
                guard done, let l = lines.last(where: { $0.hasPrefix("summary ") }),
                      let o = try JSONSerialization.jsonObject(with: Data(l.dropFirst(8).utf8)) as? [String: Any] else {
                    throw SetupError(message: "the stream did not stop: \(log)")
                }
                return Summary(answered: o["answered"] as? Int ?? 0, maxGap: o["max_gap"] as? Double ?? 0,
                               error: o["error"] as? String)
            }
        }

        // MARK: - Helpers

        static func until(within limit: Duration, _ condition: () async throws -> Bool) async throws -> Bool {
            let deadline = ContinuousClock.now + limit
            while true {
                if try await condition() { return true }
                if ContinuousClock.now >= deadline { return false }
                try await Task.sleep(for: .milliseconds(50))
            }
        }

        /// Seconds until `condition` holds, polled every 50 ms (nil if not within `limit`).
        static func measure(within limit: Double, _ condition: () async throws -> Bool) async throws -> Double? {
            let start = ContinuousClock.now
            while true {
                if try await condition() {
                    let d = ContinuousClock.now - start
                    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
                }
                if ContinuousClock.now - start > .milliseconds(Int(limit * 1000)) { return nil }
                try await Task.sleep(for: .milliseconds(50))
            }
        }

        static func fmt(_ v: Double?) -> String { v.map { String(format: "%.2f", $0) } ?? "-" }

        /// The last `n` lines of a text, said to be such when there were more.
        static func lastLines(_ text: String, _ n: Int = 40) -> String {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let cut = lines.count > n ? "(last \(n) of \(lines.count) lines)\n" : ""
            return cut + lines.suffix(n).joined(separator: "\n")
        }
    }
}
