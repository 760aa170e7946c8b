import Foundation
import Testing
@testable import IPVS

extension Kernel {
    /// The binding against the real kernel, every result cross-checked with ipvsadm in the same VM.
    /// Serialized: the tests share the one IPVS table of the VM.
    @Suite("IPVS binding against the kernel", .serialized)
    struct BindingKernelTests {
        @Test func infoMatchesProc() throws {
            let info = try IPVSHandle().info()
            #expect(info.version == "1.2.1")
            let header = try String(contentsOfFile: "/proc/net/ip_vs", encoding: .utf8).split(separator: "\n").first ?? ""
            #expect(header == "IP Virtual Server version \(info.version) (size=\(info.connectionTableSize))")
            #expect(info.connectionTableSize == 4096)
        }

        /// Seed 003: `ipvsadm -A -f 80 -s lc` and three `-a -f 80 -r RIP -g`.
        @Test func seedScenario() throws {
            let ipvs = try freshTable()
            let key = ServiceKey.fwmark(80, family: .inet)
            try ipvs.addService(Service(key: key, scheduler: "lc"))
            for n in 1...3 { try ipvs.addDestination(Destination(address: rs(n)), to: key) }
            #expect(try ipvsadmSave() == """
                -A -f 80 -s lc
                -a -f 80 -r 192.0.2.11:0 -g -w 1
                -a -f 80 -r 192.0.2.12:0 -g -w 1
                -a -f 80 -r 192.0.2.13:0 -g -w 1

                """)
            let listed = try ipvs.services()
            #expect(listed.count == 1)
            #expect(listed[0].service == Service(key: key, scheduler: "lc"))
            // The kernel lists destinations newest first; the binding keeps the kernel's order.
            #expect(listed[0].destinations.map(\.destination) == (1...3).reversed().map { Destination(address: rs($0)) })
        }

        static let serviceMatrix: [(Service, String)] = [
            (Service(key: .address(.tcp, vip4, port: 80), scheduler: "wlc"), "-A -t 192.0.2.100:80 -s wlc"),
            (Service(key: .address(.udp, vip4, port: 53), scheduler: "rr"), "-A -u 192.0.2.100:53 -s rr"),
            (Service(key: .address(.sctp, vip4, port: 9999), scheduler: "sed"), "--sctp-service"),
            (Service(key: .address(.tcp, vip6, port: 443), scheduler: "nq"), "-A -t [2001:db8::100]:443 -s nq"),
            (Service(key: .fwmark(80, family: .inet6), scheduler: "lc"), "-A -f 80 -6 -s lc"),
            (Service(key: .address(.tcp, vip4, port: 81), scheduler: "wrr", flags: [.persistent], timeout: 360, netmask: 0xFFFF_FF00),
             "-A -t 192.0.2.100:81 -s wrr -p 360 -M 255.255.255.0"),
            (Service(key: .fwmark(81, family: .inet6), scheduler: "lblc", flags: [.persistent], timeout: 60, netmask: 64),
             "-A -f 81 -6 -s lblc -p 60 -M 64"),
            (Service(key: .address(.tcp, vip4, port: 82), scheduler: "sh", flags: [.shFallback, .shPort]), "-b sh-fallback,sh-port"),
            (Service(key: .address(.tcp, vip4, port: 83), scheduler: "mh", flags: [.mhPort]), "-b mh-port"),
            (Service(key: .address(.udp, vip4, port: 5060), scheduler: "rr", flags: [.persistent, .onePacket], timeout: 30,
                     persistenceEngine: "sip"), "--pe sip"),
            (Service(key: .address(.udp, vip4, port: 84), scheduler: "lblcr", flags: [.onePacket]), "-o"),
            (Service(key: .address(.tcp, vip4, port: 85), scheduler: "dh"), "-s dh"),
            (Service(key: .address(.tcp, vip4, port: 86), scheduler: "fo"), "-s fo"),
            (Service(key: .address(.tcp, vip4, port: 87), scheduler: "ovf"), "-s ovf"),
        ]

        /// Every service feature: what the binding adds, ipvsadm sees, and the binding reads back.
        @Test(arguments: serviceMatrix)
        func serviceFeatures(_ service: Service, _ ipvsadmSays: String) throws {
            let ipvs = try freshTable()
            try ipvs.addService(service)
            let saved = try ipvsadmSave()
            #expect(saved.contains(ipvsadmSays), "ipvsadm-save -n printed:\n\(saved)")
            let back = try ipvs.service(service.key)
            #expect(back.service == service)
            #expect(try ipvs.services().map(\.service) == [service])
        }

        static let destinationMatrix: [(ServiceKey, Destination, String)] = [
            (.address(.tcp, vip4, port: 80), Destination(address: rs(1), port: 8080, forwarding: .masquerade, weight: 5),
             "-r 192.0.2.11:8080 -m -w 5"),
            (.address(.tcp, vip4, port: 80), Destination(address: rs(1), port: 80, forwarding: .directRouting, weight: 0),
             "-r 192.0.2.11:80 -g -w 0"),
            // ipvsadm-save leaves thresholds out; thresholdsShowInIpvsadmListing checks them.
            (.address(.tcp, vip4, port: 80), Destination(address: rs(1), port: 80, weight: 65535, upperThreshold: 1000, lowerThreshold: 100),
             "-r 192.0.2.11:80 -g -w 65535"),
            (.address(.tcp, vip4, port: 80), Destination(address: rs(1), port: 80, forwarding: .tunnel(Tunnel())),
             "-r 192.0.2.11:80 -i -w 1"),
            (.address(.tcp, vip4, port: 80), Destination(address: rs(1), port: 80, forwarding: .tunnel(Tunnel(kind: .gue, port: 6080, checksum: .remote))),
             "--tun-type gue --tun-port 6080 --tun-remcsum"),
            (.address(.tcp, vip4, port: 80), Destination(address: rs(1), port: 80, forwarding: .tunnel(Tunnel(kind: .gre, checksum: .checksum))),
             "--tun-type gre --tun-csum"),
            (.address(.tcp, vip6, port: 80), Destination(address: rs6(1), port: 80), "-r [2001:db8::11]:80 -g -w 1"),
            (.fwmark(80, family: .inet6), Destination(address: rs6(2), port: 0), "-a -f 80 -6 -r [2001:db8::12]:0 -g -w 1"),
            (.address(.tcp, vip4, port: 80), Destination(address: rs6(3), port: 80, forwarding: .tunnel(Tunnel())),
             "-r [2001:db8::13]:80 -i -w 1"),
        ]

        @Test(arguments: destinationMatrix)
        func destinationFeatures(_ key: ServiceKey, _ destination: Destination, _ ipvsadmSays: String) throws {
            let ipvs = try freshTable()
            try ipvs.addService(Service(key: key, scheduler: "wrr"))
            try ipvs.addDestination(destination, to: key)
            let saved = try ipvsadmSave()
            #expect(saved.contains(ipvsadmSays), "ipvsadm-save -n printed:\n\(saved)")
            let back = try ipvs.destinations(of: key)
            #expect(back.map(\.destination) == [destination])
        }

        @Test func thresholdsShowInIpvsadmListing() throws {
            let ipvs = try freshTable()
            let key = ServiceKey.address(.tcp, vip4, port: 80)
            try ipvs.addService(Service(key: key, scheduler: "wlc"))
            try ipvs.addDestination(Destination(address: rs(1), port: 80, upperThreshold: 1000, lowerThreshold: 100), to: key)
            let listing = try ipvsadm("-Ln", "--thresholds").stdout
            let row = listing.split(separator: "\n").first { $0.contains("192.0.2.11:80") }.map(String.init) ?? ""
            #expect(Array(row.split(separator: " ").dropFirst(2).prefix(2)) == ["1000", "100"], "\(listing)")
            try ipvs.editDestination(Destination(address: rs(1), port: 80, upperThreshold: 0, lowerThreshold: 0), in: key)
            #expect(try ipvs.destinations(of: key).first?.destination.upperThreshold == 0)
        }

        @Test func editAndDelete() throws {
            let ipvs = try freshTable()
            let key = ServiceKey.address(.tcp, vip4, port: 80)
            try ipvs.addService(Service(key: key, scheduler: "rr"))
            try ipvs.addDestination(Destination(address: rs(1), port: 80), to: key)
            try ipvs.addDestination(Destination(address: rs(2), port: 80), to: key)
            try ipvs.editService(Service(key: key, scheduler: "lc", flags: [.persistent], timeout: 100))
            try ipvs.editDestination(Destination(address: rs(2), port: 80, forwarding: .masquerade, weight: 7), in: key)
            try ipvs.deleteDestination(DestinationKey(address: rs(1), port: 80), from: key)
            #expect(try ipvsadmSave() == """
                -A -t 192.0.2.100:80 -s lc -p 100
                -a -t 192.0.2.100:80 -r 192.0.2.12:80 -m -w 7

                """)
            try ipvs.deleteService(key)
            #expect(try ipvsadmSave() == "")
            #expect(try ipvs.services().isEmpty)
        }

        /// Tables made by ipvsadm decode to what ipvsadm was told.
        @Test func readsTablesBuiltByIpvsadm() throws {
            let ipvs = try freshTable()
            let r = try run(["/usr/sbin/ipvsadm", "-R"], input: """
                -A -t 192.0.2.100:80 -s sh -b sh-port -p 120 -M 255.255.0.0
                -a -t 192.0.2.100:80 -r 192.0.2.11:80 -m -w 3 -x 50 -y 5
                -a -t 192.0.2.100:80 -r 192.0.2.12:80 -i -w 2 --tun-type gue --tun-port 7000 --tun-nocsum
                -A -f 90 -6 -s wlc -p 30 -M 48
                -a -f 90 -6 -r [2001:db8::11]:0 -g -w 1

                """)
            #expect(r.status == 0, "\(r.stderr)")
            let services = try ipvs.services()
            let tcp = try #require(services.first { $0.service.key == .address(.tcp, vip4, port: 80) })
            #expect(tcp.service == Service(key: .address(.tcp, vip4, port: 80), scheduler: "sh",
                                           flags: [.persistent, .shPort], timeout: 120, netmask: 0xFFFF_0000))
            #expect(tcp.destinations.map(\.destination).sorted { $0.key < $1.key } == [
                Destination(address: rs(1), port: 80, forwarding: .masquerade, weight: 3, upperThreshold: 50, lowerThreshold: 5),
                Destination(address: rs(2), port: 80, forwarding: .tunnel(Tunnel(kind: .gue, port: 7000, checksum: .none)), weight: 2),
            ])
            let fw = try #require(services.first { $0.service.key == .fwmark(90, family: .inet6) })
            #expect(fw.service == Service(key: .fwmark(90, family: .inet6), scheduler: "wlc", flags: [.persistent], timeout: 30, netmask: 48))
            #expect(fw.destinations.map(\.destination) == [Destination(address: rs6(1), port: 0)])
        }

        @Test func kernelErrorsAreExplained() throws {
            let ipvs = try freshTable()
            let key = ServiceKey.address(.tcp, vip4, port: 80)
            let svc = Service(key: key, scheduler: "rr")
            try ipvs.addService(svc)

            func expectError(_ code: IPVSError.Code, _ errno: Int32, _ text: String, _ body: () throws(IPVSError) -> Void) {
                do throws(IPVSError) {
                    try body()
                    Issue.record("expected \(code)")
                } catch {
                    #expect(error.code == code)
                    #expect(error.errno?.rawValue == errno)
                    #expect(error.description.contains(text), "\(error)")
                }
            }
            expectError(.serviceExists, EEXIST, "add service TCP 192.0.2.100:80: Service already exists") { () throws(IPVSError) in try ipvs.addService(svc) }
            let missing = ServiceKey.address(.udp, vip4, port: 80)
            expectError(.noSuchService, ESRCH, "No such service") { () throws(IPVSError) in try ipvs.deleteService(missing) }
            expectError(.noSuchService, ESRCH, "No such service") { () throws(IPVSError) in try ipvs.editService(Service(key: missing)) }
            expectError(.noSuchService, ESRCH, "No such service") { () throws(IPVSError) in _ = try ipvs.service(missing) }
            expectError(.noSuchService, ESRCH, "Service not defined") { () throws(IPVSError) in
                try ipvs.addDestination(Destination(address: rs(1), port: 80), to: missing)
            }
            try ipvs.addDestination(Destination(address: rs(1), port: 80), to: key)
            expectError(.destinationExists, EEXIST, "Destination already exists") { () throws(IPVSError) in
                try ipvs.addDestination(Destination(address: rs(1), port: 80), to: key)
            }
            // libnl would fold this ENOENT and the ESRCH above into one code; the binding keeps both.
            expectError(.noSuchDestination, ENOENT, "No such destination") { () throws(IPVSError) in
                try ipvs.deleteDestination(DestinationKey(address: rs(2), port: 80), from: key)
            }
            expectError(.noSuchDestination, ENOENT, "No such destination") { () throws(IPVSError) in
                try ipvs.editDestination(Destination(address: rs(2), port: 80), in: key)
            }
            expectError(.schedulerNotFound, ENOENT, "Scheduler not found: ip_vs_xyz") { () throws(IPVSError) in
                try ipvs.addService(Service(key: .address(.tcp, vip4, port: 81), scheduler: "xyz"))
            }
            expectError(.persistenceEngineNotFound, ENOENT, "Persistence engine not found: ip_vs_pe_nope") { () throws(IPVSError) in
                try ipvs.addService(Service(key: .address(.udp, vip4, port: 81), scheduler: "rr", persistenceEngine: "nope"))
            }
            // The kernel takes only unicast real servers (inet_addr_type in the local table): EINVAL, explained.
            expectError(.invalidArgument, EINVAL, "address not unicast") { () throws(IPVSError) in
                try ipvs.addDestination(Destination(address: IPAddress("255.255.255.255")!, port: 80), to: key)
            }
            expectError(.invalidArgument, EINVAL, "address not unicast") { () throws(IPVSError) in
                try ipvs.addDestination(Destination(address: IPAddress("224.0.0.9")!, port: 80), to: key)
            }
            expectError(.noDaemon, ESRCH, "No daemon is running") { () throws(IPVSError) in try ipvs.stopSyncDaemon(.backup) }
            // Nothing above changed the table.
            #expect(try ipvsadmSave() == """
                -A -t 192.0.2.100:80 -s rr
                -a -t 192.0.2.100:80 -r 192.0.2.11:80 -g -w 1

                """)
        }

        @Test func invalidValuesAreRejectedBeforeSending() throws {
            let ipvs = try freshTable()
            let key = ServiceKey.address(.tcp, vip4, port: 80)
            let cases: [(() throws(IPVSError) -> Void, String)] = [
                ({ () throws(IPVSError) in try ipvs.addService(Service(key: key, scheduler: "")) }, "Empty scheduler name"),
                ({ () throws(IPVSError) in try ipvs.addService(Service(key: .fwmark(0, family: .inet))) }, "Invalid firewall mark 0"),
                ({ () throws(IPVSError) in try ipvs.addService(Service(key: .fwmark(5, family: .inet6), netmask: 129)) }, "Invalid IPv6 persistence netmask /129"),
                ({ () throws(IPVSError) in try ipvs.addService(Service(key: .fwmark(5, family: .inet6), netmask: 0)) }, "Invalid IPv6 persistence netmask /0"),
                ({ () throws(IPVSError) in try ipvs.addDestination(Destination(address: rs(1), weight: 65536), to: key) }, "Invalid weight 65536"),
                ({ () throws(IPVSError) in try ipvs.addDestination(Destination(address: rs(1), weight: -1), to: key) }, "Invalid weight -1"),
                ({ () throws(IPVSError) in try ipvs.addDestination(Destination(address: rs6(1)), to: key) }, "Mixed address families"),
            ]
            for (body, text) in cases {
                do throws(IPVSError) {
                    try body()
                    Issue.record("expected rejection: \(text)")
                } catch {
                    #expect(error.code == .invalidValue)
                    #expect(error.errno == nil)
                    #expect(error.reason.contains(text), "\(error)")
                }
            }
            #expect(try ipvsadmSave() == "")
        }

        @Test func timeoutsRoundTrip() throws {
            let ipvs = try freshTable()
            let before = try ipvs.timeouts()
            try ipvs.setTimeouts(Timeouts(tcp: 901, tcpFin: 121, udp: 301))
            let r = try ipvsadm("-L", "--timeout")
            #expect(r.stdout.contains("Timeout (tcp tcpfin udp): 901 121 301"), "\(r.stdout)")
            #expect(try ipvs.timeouts() == Timeouts(tcp: 901, tcpFin: 121, udp: 301))
            try ipvs.setTimeouts(before)
            #expect(try ipvs.timeouts() == before)
        }

        @Test func syncDaemonStartListStop() throws {
            let ipvs = try freshTable()
            let d = SyncDaemon(role: .master, interface: "swvs0", syncID: 7)
            try ipvs.startSyncDaemon(d)
            let listed = try ipvs.syncDaemons()
            #expect(listed.count == 1)
            #expect(listed.first?.role == .master)
            #expect(listed.first?.interface == "swvs0")
            #expect(listed.first?.syncID == 7)
            let r = try ipvsadm("-L", "--daemon")
            #expect(r.stdout.contains("master sync daemon (mcast=swvs0, syncid=7"), "\(r.stdout)")
            do throws(IPVSError) {
                try ipvs.startSyncDaemon(d)
                Issue.record("second start should fail")
            } catch {
                #expect(error.code == .daemonRunning)
            }
            try ipvs.stopSyncDaemon(.master)
            #expect(try ipvs.syncDaemons().isEmpty)
        }

        /// Thousands of changes in a few datagrams; the failures are named by index and the rest applied.
        @Test func batchWithFailuresInTheMiddle() throws {
            let ipvs = try freshTable()
            var changes: [Change] = []
            for s in 0..<500 {
                let key = ServiceKey.fwmark(UInt32(1000 + s), family: .inet)
                changes.append(.addService(Service(key: key, scheduler: s % 2 == 0 ? "lc" : "wlc")))
                for d in 1...4 { changes.append(.addDestination(Destination(address: rs(d)), to: key)) }
            }
            let badIndexes = [777, 1500, 2400]
            for i in badIndexes {   // the same destination twice: EEXIST, at known places
                guard case let .addDestination(_, key) = changes[i - 1] else { Issue.record("layout"); return }
                changes.insert(.addDestination(Destination(address: rs(1)), to: key), at: i)
            }
            changes.insert(.addService(Service(key: .fwmark(5000, family: .inet), scheduler: "nosuch")), at: 1234)
            let result = try ipvs.apply(changes)
            #expect(result.processed == changes.count)
            #expect(result.failures.map(\.index).count == 4)
            #expect(result.failures.map(\.error.code).filter { $0 == .destinationExists }.count == 3)
            #expect(result.failures.contains { $0.index == 1234 && $0.error.code == .schedulerNotFound })
            let saved = try ipvsadmSave()
            #expect(saved.split(separator: "\n").filter { $0.hasPrefix("-A") }.count == 500)
            #expect(saved.split(separator: "\n").filter { $0.hasPrefix("-a") }.count == 2000)
            #expect(try ipvs.services().reduce(0) { $0 + $1.destinations.count } == 2000)
        }

        @Test func batchStopsAtFirstFailingDatagram() throws {
            let ipvs = try freshTable()
            var changes: [Change] = (1...20000).map { .addService(Service(key: .fwmark(UInt32($0), family: .inet), scheduler: "rr")) }
            changes[3] = .addService(Service(key: .fwmark(1, family: .inet), scheduler: "rr"))  // duplicate of #0
            let result = try ipvs.apply(changes, stopAtFirstFailure: true)
            #expect(result.failures.map(\.index) == [3])
            #expect(result.processed < changes.count)
            #expect(try ipvs.services().count == result.processed - 1)
        }

        @Test func invalidBatchSendsNothing() throws {
            let ipvs = try freshTable()
            let result = try ipvs.apply([
                .addService(Service(key: .fwmark(1, family: .inet))),
                .addDestination(Destination(address: rs(1), weight: 70000), to: .fwmark(1, family: .inet)),
            ])
            #expect(result.processed == 0)
            #expect(result.failures.map(\.index) == [1])
            #expect(try ipvsadmSave() == "")
        }

        @Test func twoHandlesFromConcurrentTasks() async throws {
            _ = try freshTable()
            let a = try IPVSHandle(), b = try IPVSHandle()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (handle, base) in [(a, 10_000), (b, 20_000)] {
                    group.addTask {
                        for i in 0..<200 {
                            let key = ServiceKey.fwmark(UInt32(base + i), family: .inet)
                            try handle.addService(Service(key: key, scheduler: "rr"))
                            try handle.addDestination(Destination(address: rs(1)), to: key)
                            _ = try handle.service(key)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let services = try a.services()
            #expect(services.count == 400)
            #expect(services.allSatisfy { $0.destinations.count == 1 })
        }

        /// A big listing (many dumps on the handle's sockets) has every service and real
        /// server, the same as ipvsadm sees; listed without statistics it is the same table
        /// with the counters at zero. Mixed families, forwarding methods and destination
        /// counts (zero included), so an attribute lost by the shorter decode would show.
        @Test func bigListingWithAndWithoutStatistics() throws {
            let ipvs = try freshTable()
            var changes: [Change] = []
            let serviceCount = 1200
            for i in 0..<serviceCount {
                let key: ServiceKey
                switch i % 3 {
                case 0: key = .address(.tcp, IPAddress("203.0.113.\(1 + i / 256)")!, port: UInt16(1024 + i))
                case 1: key = .fwmark(UInt32(1000 + i), family: .inet)
                default: key = .address(.udp, vip6, port: UInt16(1024 + i))
                }
                changes.append(.addService(Service(key: key, scheduler: i % 2 == 0 ? "wlc" : "rr")))
                for n in 0..<(i % 5) {
                    let address = key.family == .inet6 ? rs6(1 + n) : IPAddress("198.51.100.\(10 + n)")!
                    let forwarding: ForwardingMethod = n == 1 ? .masquerade : (n == 2 && key.family == .inet ? .tunnel(Tunnel()) : .directRouting)
                    changes.append(.addDestination(Destination(address: address, port: key.family == .inet6 ? 8080 : 0,
                                                               forwarding: forwarding, weight: Int32(i % 7)), to: key))
                }
            }
            let applied = try ipvs.apply(changes)
            #expect(applied.succeeded, "\(applied.failures.prefix(3))")

            let full = try ipvs.services()
            #expect(full.count == serviceCount)
            #expect(full.reduce(0) { $0 + $1.destinations.count } == (0..<serviceCount).reduce(0) { $0 + $1 % 5 })
            // Without statistics: the same table, only the counters left at zero.
            var zeroed = full
            for i in zeroed.indices {
                zeroed[i].stats = Stats()
                for j in zeroed[i].destinations.indices { zeroed[i].destinations[j].stats = Stats() }
            }
            #expect(try ipvs.services(statistics: false) == zeroed)

            // And ipvsadm lists the same real servers for every service.
            let saved = try ipvsadmSave()
            #expect(saved.split(separator: "\n").filter { $0.hasPrefix("-a ") }.count
                    == full.reduce(0) { $0 + $1.destinations.count })
            try ipvs.flush()
        }

        @Test func namespaceHandleSeesOnlyItsTable() throws {
            let main = try freshTable()
            let ns = "swvs-binding-\(getpid())"
            try sh("ip netns add \(ns) && ip -n \(ns) link set lo up && ip -n \(ns) link add d0 type dummy && ip -n \(ns) link set d0 up && ip -n \(ns) addr add 198.51.100.1/24 dev d0")
            defer { try? sh("ip netns del \(ns)") }
            let inside = try IPVSHandle(namespace: ns)
            #expect(inside.namespace == ns)
            let key = ServiceKey.address(.udp, IPAddress("198.51.100.100")!, port: 53)
            try inside.addService(Service(key: key, scheduler: "rr"))
            try inside.addDestination(Destination(address: IPAddress("198.51.100.7")!, port: 53), to: key)
            #expect(try ipvsadmSave(namespace: ns) == """
                -A -u 198.51.100.100:53 -s rr
                -a -u 198.51.100.100:53 -r 198.51.100.7:53 -g -w 1

                """)
            #expect(try main.services().isEmpty)
            #expect(try ipvsadmSave() == "")
            #expect(try inside.services().count == 1)
            // The calling thread never left its namespace.
            let mine = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self/ns/net")
            let initial = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/1/ns/net")
            #expect(mine == initial)
            do throws(IPVSError) {
                _ = try IPVSHandle(namespace: "swvs-no-such-ns")
                Issue.record("expected failure")
            } catch {
                #expect(error.code == .setupFailed)
                #expect(error.description.contains("/run/netns/swvs-no-such-ns"))
            }
        }

        /// Real counters: UDP datagrams from a client namespace to a VIP, compared with
        /// `ipvsadm -Ln --stats --exact`; then zero one service.
        @Test func statsAndZero() async throws {
            let ipvs = try freshTable()
            let client = try ClientNamespace(tag: "stats")
            try sh("ip addr add 192.0.2.200/32 dev lo")
            defer { client.remove(); try? sh("ip addr del 192.0.2.200/32 dev lo") }
            let key = ServiceKey.address(.udp, IPAddress("192.0.2.200")!, port: 9)
            let other = ServiceKey.address(.udp, IPAddress("192.0.2.200")!, port: 10)
            try ipvs.addService(Service(key: key, scheduler: "rr"))
            try ipvs.addService(Service(key: other, scheduler: "rr"))
            try ipvs.addDestination(Destination(address: rs(1), port: 9), to: key)
            try ipvs.addDestination(Destination(address: rs(1), port: 10), to: other)
            // 25 datagrams from 25 source ports to each service: 25 connections each.
            try client.sendUDP(to: "192.0.2.200", port: 9, count: 25)
            try client.sendUDP(to: "192.0.2.200", port: 10, count: 25)
            let counted = try await eventually {
                try ipvs.service(key).stats.connections >= 25 && ipvs.service(other).stats.connections >= 25
            }
            #expect(counted)
            let entry = try ipvs.service(key)
            #expect(entry.stats.connections == 25)
            #expect(entry.stats.inPackets == 25)
            #expect(entry.destinations.first?.stats.connections == 25)
            #expect(entry.destinations.first?.inactiveConnections == 25 || entry.destinations.first?.activeConnections == 25)

            // Same numbers as ipvsadm prints.
            let listing = try ipvsadm("-Ln", "--stats", "--exact").stdout
            let line = "UDP  192.0.2.200:9" + String(repeating: " ", count: 1)
            let row = try #require(listing.split(separator: "\n").first { $0.hasPrefix(line) })
            let fields = row.split(separator: " ").map(String.init)
            #expect(fields[2] == "\(entry.stats.connections)")
            #expect(fields[3] == "\(entry.stats.inPackets)")
            #expect(fields[4] == "\(entry.stats.outPackets)")
            #expect(fields[5] == "\(entry.stats.inBytes)")
            #expect(fields[6] == "\(entry.stats.outBytes)")

            try ipvs.zero(key)
            #expect(try ipvs.service(key).stats.connections == 0)
            #expect(try ipvs.service(key).stats.inBytes == 0)
            #expect(try ipvs.service(other).stats.connections == 25)
            try ipvs.zero()
            #expect(try ipvs.service(other).stats.connections == 0)
        }

        /// Without CAP_NET_ADMIN the kernel says EPERM, and the binding says why.
        @Test func permissionDeniedIsExplained() throws {
            _ = try freshTable()
            let binary = swiftvsBinary
            try #require(FileManager.default.isExecutableFile(atPath: binary), "build swiftvs first")
            let r = try run(["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                             "--inh-caps=-all", "--bounding-set=-all", binary, "info"])
            #expect(r.status == 1)
            #expect(r.stderr.contains("Operation not permitted (needs CAP_NET_ADMIN)"), "\(r.stderr)")
        }
    }
}
