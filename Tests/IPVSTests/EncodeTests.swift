import CNetlink
import Testing
@testable import IPVS

/// Encodes `request` the way the handle does, with fixed header values.
func encoded(_ request: Request, flags: UInt16) -> [UInt8] {
    var w = MessageWriter()
    IPVSWire.appendMessage(request, family: 0x1c, flags: flags, sequence: 7, port: 0x4321, into: &w)
    return w.bytes
}

func hex(_ s: String) -> [UInt8] {
    let digits = s.filter { $0.isHexDigit }
    var out: [UInt8] = []
    var i = digits.startIndex
    while i < digits.endIndex {
        let j = digits.index(i, offsetBy: 2)
        out.append(UInt8(digits[i..<j], radix: 16)!)
        i = j
    }
    return out
}

let vip4 = IPAddress("192.0.2.100")!
let vip6 = IPAddress("2001:db8::100")!
let rs4 = IPAddress("192.0.2.11")!
let rs6 = IPAddress("2001:db8::11")!

@Suite("Request encoding")
struct EncodeTests {
    let reqAck = Int32(NLM_F_REQUEST | NLM_F_ACK)
    let ackFlags = NetlinkConstants.request | NetlinkConstants.ack

    /// Pinned by hand from the kernel headers: the seed's `ipvsadm -A -f 80 -s lc`.
    @Test func fwmarkServiceGoldenBytes() {
        let s = Service(key: .fwmark(80, family: .inet), scheduler: "lc")
        let expected = hex("""
            4c000000 1c00 0500 07000000 21430000  01 01 0000
            3800 0180
              0600 0100 0200 0000
              0800 0500 50000000
              0700 0600 6c630000
              0c00 0700 00000000 ffffffff
              0800 0800 00000000
              0800 0900 ffffffff
            """)
        #expect(encoded(.change(.addService(s)), flags: ackFlags) == expected)
    }

    /// Ports travel big-endian, the IPv6 netmask as a native integer.
    @Test func ipv6ServiceGoldenBytes() {
        let s = Service(key: .address(.tcp, vip6, port: 80), scheduler: "rr")
        let expected = hex("""
            68000000 1c00 0500 07000000 21430000  01 01 0000
            5400 0180
              0600 0100 0a00 0000
              0600 0200 0600 0000
              1400 0300 20010db8 00000000 00000000 00000100
              0600 0400 0050 0000
              0700 0600 72720000
              0c00 0700 00000000 ffffffff
              0800 0800 00000000
              0800 0900 80000000
            """)
        #expect(encoded(.change(.addService(s)), flags: ackFlags) == expected)
    }

    static let services: [Service] = [
        Service(key: .fwmark(80, family: .inet), scheduler: "lc"),
        Service(key: .fwmark(0xdead_beef, family: .inet6), scheduler: "wlc"),
        Service(key: .address(.tcp, vip4, port: 80), scheduler: "sh", flags: [.persistent, .shFallback, .shPort],
                timeout: 360, netmask: 0xFFFF_FF00),
        Service(key: .address(.udp, vip6, port: 5060), scheduler: "mh", flags: [.persistent, .onePacket, .mhPort],
                timeout: 60, netmask: 64, persistenceEngine: "sip"),
        Service(key: .address(.sctp, vip4, port: 65535), scheduler: "twos", flags: [.schedulerFlag3]),
    ]

    func referenceService(_ r: LibnlReference, _ s: Service, full: Bool) {
        r.nest(IPVSWire.CommandAttr.service.rawValue) {
            r.u16(UInt16(IPVS_SVC_ATTR_AF), s.key.family.rawValue)
            switch s.key {
            case let .fwmark(mark, _):
                r.u32(UInt16(IPVS_SVC_ATTR_FWMARK), mark)
            case let .address(proto, addr, port):
                r.u16(UInt16(IPVS_SVC_ATTR_PROTOCOL), proto.rawValue)
                r.addr(UInt16(IPVS_SVC_ATTR_ADDR), addr)
                r.port(UInt16(IPVS_SVC_ATTR_PORT), port)
            }
            guard full else { return }
            r.string(UInt16(IPVS_SVC_ATTR_SCHED_NAME), s.scheduler)
            if let pe = s.persistenceEngine { r.string(UInt16(IPVS_SVC_ATTR_PE_NAME), pe) }
            var flags = ip_vs_flags(flags: s.flags.rawValue, mask: ~0)
            r.raw(UInt16(IPVS_SVC_ATTR_FLAGS), withUnsafeBytes(of: &flags) { Array($0) })
            r.u32(UInt16(IPVS_SVC_ATTR_TIMEOUT), s.timeout)
            // libipvs keeps an IPv4 mask in network order, an IPv6 prefix length as is.
            r.u32(UInt16(IPVS_SVC_ATTR_NETMASK), s.key.family == .inet ? s.netmask.bigEndian : s.netmask)
        }
    }

    func referenceDest(_ r: LibnlReference, _ d: Destination, full: Bool) {
        r.nest(IPVSWire.CommandAttr.dest.rawValue) {
            r.addr(UInt16(IPVS_DEST_ATTR_ADDR), d.address)
            r.port(UInt16(IPVS_DEST_ATTR_PORT), d.port)
            if full {
                let fwd: UInt32
                switch d.forwarding {
                case .masquerade: fwd = UInt32(IP_VS_CONN_F_MASQ)
                case .directRouting: fwd = UInt32(IP_VS_CONN_F_DROUTE)
                case .tunnel: fwd = UInt32(IP_VS_CONN_F_TUNNEL)
                case .local: fwd = UInt32(IP_VS_CONN_F_LOCALNODE)
                case .bypass: fwd = UInt32(IP_VS_CONN_F_BYPASS)
                }
                r.u32(UInt16(IPVS_DEST_ATTR_FWD_METHOD), fwd)
                r.u32(UInt16(IPVS_DEST_ATTR_WEIGHT), UInt32(bitPattern: d.weight))
                if case let .tunnel(t) = d.forwarding {
                    r.u8(UInt16(IPVS_DEST_ATTR_TUN_TYPE), t.kind.rawValue)
                    r.port(UInt16(IPVS_DEST_ATTR_TUN_PORT), t.port)
                    r.u16(UInt16(IPVS_DEST_ATTR_TUN_FLAGS), t.checksum.rawValue)
                }
                r.u32(UInt16(IPVS_DEST_ATTR_U_THRESH), d.upperThreshold)
                r.u32(UInt16(IPVS_DEST_ATTR_L_THRESH), d.lowerThreshold)
            }
            r.u16(UInt16(IPVS_DEST_ATTR_ADDR_FAMILY), d.address.family.rawValue)
        }
    }

    @Test(arguments: services)
    func addAndEditServiceMatchLibnl(_ s: Service) {
        for (request, cmd) in [(Request.change(.addService(s)), IPVS_CMD_NEW_SERVICE), (.change(.editService(s)), IPVS_CMD_SET_SERVICE)] {
            let r = LibnlReference(command: UInt8(cmd), flags: reqAck)
            defer { r.free() }
            referenceService(r, s, full: true)
            #expect(encoded(request, flags: ackFlags) == r.bytes, "\(request)")
        }
    }

    @Test(arguments: services)
    func deleteServiceSendsOnlyTheKey(_ s: Service) {
        let r = LibnlReference(command: UInt8(IPVS_CMD_DEL_SERVICE), flags: reqAck)
        defer { r.free() }
        referenceService(r, s, full: false)
        #expect(encoded(.change(.deleteService(s.key)), flags: ackFlags) == r.bytes)
    }

    static let destinations: [(Destination, ServiceKey)] = [
        (Destination(address: rs4, port: 0, forwarding: .directRouting, weight: 1), .fwmark(80, family: .inet)),
        (Destination(address: rs4, port: 8080, forwarding: .masquerade, weight: 65535, upperThreshold: 100, lowerThreshold: 10),
         .address(.tcp, vip4, port: 80)),
        (Destination(address: rs6, port: 80, forwarding: .directRouting, weight: 0), .address(.tcp, vip6, port: 80)),
        (Destination(address: rs6, port: 80, forwarding: .tunnel(Tunnel(kind: .gue, port: 6080, checksum: .remote)), weight: 3),
         .address(.tcp, vip4, port: 80)),
        (Destination(address: rs4, port: 53, forwarding: .tunnel(Tunnel(kind: .gre, checksum: .checksum)), weight: 2),
         .fwmark(7, family: .inet)),
        (Destination(address: rs4, port: 53, forwarding: .tunnel(Tunnel()), weight: 2), .fwmark(7, family: .inet)),
    ]

    @Test(arguments: destinations)
    func destinationRequestsMatchLibnl(_ d: Destination, _ key: ServiceKey) {
        let cases: [(Request, Int, Bool)] = [
            (.change(.addDestination(d, to: key)), IPVS_CMD_NEW_DEST, true),
            (.change(.editDestination(d, in: key)), IPVS_CMD_SET_DEST, true),
            (.change(.deleteDestination(d.key, from: key)), IPVS_CMD_DEL_DEST, false),
        ]
        for (request, cmd, full) in cases {
            let r = LibnlReference(command: UInt8(cmd), flags: reqAck)
            defer { r.free() }
            referenceService(r, Service(key: key), full: false)
            referenceDest(r, d, full: full)
            #expect(encoded(request, flags: ackFlags) == r.bytes, "\(request)")
        }
    }

    @Test func dumpsAndTableWideRequests() {
        let dumpFlags = Int32(NLM_F_REQUEST) | Int32(swiftvs_nlm_f_dump())
        var r = LibnlReference(command: UInt8(IPVS_CMD_GET_SERVICE), flags: dumpFlags)
        #expect(encoded(.dumpServices, flags: NetlinkConstants.request | NetlinkConstants.dump) == r.bytes)
        r.free()

        let key = ServiceKey.address(.udp, vip6, port: 53)
        r = LibnlReference(command: UInt8(IPVS_CMD_GET_DEST), flags: dumpFlags)
        referenceService(r, Service(key: key), full: false)
        #expect(encoded(.dumpDestinations(key), flags: NetlinkConstants.request | NetlinkConstants.dump) == r.bytes)
        r.free()

        for (request, cmd) in [(Request.change(.flush), IPVS_CMD_FLUSH), (.change(.zero(nil)), IPVS_CMD_ZERO), (.getInfo, IPVS_CMD_GET_INFO), (.getConfig, IPVS_CMD_GET_CONFIG)] {
            r = LibnlReference(command: UInt8(cmd), flags: reqAck)
            #expect(encoded(request, flags: ackFlags) == r.bytes, "\(request)")
            r.free()
        }

        r = LibnlReference(command: UInt8(IPVS_CMD_ZERO), flags: reqAck)
        referenceService(r, Service(key: .fwmark(80, family: .inet)), full: false)
        #expect(encoded(.change(.zero(.fwmark(80, family: .inet))), flags: ackFlags) == r.bytes)
        r.free()
    }

    @Test func timeouts() {
        let r = LibnlReference(command: UInt8(IPVS_CMD_SET_CONFIG), flags: reqAck)
        defer { r.free() }
        r.u32(UInt16(IPVS_CMD_ATTR_TIMEOUT_TCP), 900)
        r.u32(UInt16(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN), 120)
        r.u32(UInt16(IPVS_CMD_ATTR_TIMEOUT_UDP), 300)
        #expect(encoded(.setTimeouts(Timeouts(tcp: 900, tcpFin: 120, udp: 300)), flags: ackFlags) == r.bytes)
    }

    @Test func syncDaemon() {
        let d = SyncDaemon(role: .backup, interface: "eth0", syncID: 9, maxLength: 1400,
                           group: IPAddress("ff02::81")!, port: 8848, ttl: 2)
        var r = LibnlReference(command: UInt8(IPVS_CMD_NEW_DAEMON), flags: reqAck)
        r.nest(IPVSWire.CommandAttr.daemon.rawValue) {
            r.u32(UInt16(IPVS_DAEMON_ATTR_STATE), UInt32(IP_VS_STATE_BACKUP))
            r.string(UInt16(IPVS_DAEMON_ATTR_MCAST_IFN), "eth0")
            r.u32(UInt16(IPVS_DAEMON_ATTR_SYNC_ID), 9)
            r.u16(UInt16(IPVS_DAEMON_ATTR_SYNC_MAXLEN), 1400)
            r.raw(UInt16(IPVS_DAEMON_ATTR_MCAST_GROUP6), IPAddress("ff02::81")!.bytes)
            r.u16(UInt16(IPVS_DAEMON_ATTR_MCAST_PORT), 8848)
            r.u8(UInt16(IPVS_DAEMON_ATTR_MCAST_TTL), 2)
        }
        #expect(encoded(.startDaemon(d), flags: ackFlags) == r.bytes)
        r.free()

        r = LibnlReference(command: UInt8(IPVS_CMD_DEL_DAEMON), flags: reqAck)
        r.nest(IPVSWire.CommandAttr.daemon.rawValue) {
            r.u32(UInt16(IPVS_DAEMON_ATTR_STATE), UInt32(IP_VS_STATE_MASTER))
        }
        #expect(encoded(.stopDaemon(.master), flags: ackFlags) == r.bytes)
        r.free()
    }

    /// Several messages in one datagram keep their own lengths and 4-byte alignment.
    @Test func batchFraming() {
        var w = MessageWriter()
        let a = Request.change(.addService(Service(key: .fwmark(80, family: .inet), scheduler: "lc")))
        let b = Request.change(.addDestination(Destination(address: rs4), to: .fwmark(80, family: .inet)))
        IPVSWire.appendMessage(a, family: 0x1c, flags: 1, sequence: 1, port: 0, into: &w)
        let first = w.bytes.count
        IPVSWire.appendMessage(b, family: 0x1c, flags: 5, sequence: 2, port: 0, into: &w)
        #expect(first % 4 == 0)
        let split = try? splitMessages(w.bytes, count: w.bytes.count)
        #expect(split?.map(\.sequence) == [1, 2])
        #expect(split?.map(\.flags) == [1, 5])
    }
}

@Suite("Wire constants match the kernel's headers")
struct ConstantTests {
    @Test func commands() {
        #expect(IPVSWire.Command.newService.rawValue == UInt8(IPVS_CMD_NEW_SERVICE))
        #expect(IPVSWire.Command.flush.rawValue == UInt8(IPVS_CMD_FLUSH))
        #expect(IPVSWire.Command.zero.rawValue == UInt8(IPVS_CMD_ZERO))
        #expect(IPVSWire.Command.getInfo.rawValue == UInt8(IPVS_CMD_GET_INFO))
    }

    /// Every attribute type, in the header's order: the binding's enums are numbered by
    /// their order, as the header's are, so a case out of place would show here.
    @Test func everyAttributeTypeHasTheHeadersNumber() {
        func numbers(_ constants: [some BinaryInteger]) -> [UInt16] { constants.map { UInt16($0) } }
        #expect(IPVSWire.CommandAttr.allCases.map(\.rawValue) == numbers([
            IPVS_CMD_ATTR_SERVICE, IPVS_CMD_ATTR_DEST, IPVS_CMD_ATTR_DAEMON,
            IPVS_CMD_ATTR_TIMEOUT_TCP, IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, IPVS_CMD_ATTR_TIMEOUT_UDP]))
        #expect(IPVSWire.ServiceAttr.allCases.map(\.rawValue) == numbers([
            IPVS_SVC_ATTR_AF, IPVS_SVC_ATTR_PROTOCOL, IPVS_SVC_ATTR_ADDR, IPVS_SVC_ATTR_PORT,
            IPVS_SVC_ATTR_FWMARK, IPVS_SVC_ATTR_SCHED_NAME, IPVS_SVC_ATTR_FLAGS, IPVS_SVC_ATTR_TIMEOUT,
            IPVS_SVC_ATTR_NETMASK, IPVS_SVC_ATTR_STATS, IPVS_SVC_ATTR_PE_NAME, IPVS_SVC_ATTR_STATS64]))
        #expect(IPVSWire.DestAttr.allCases.map(\.rawValue) == numbers([
            IPVS_DEST_ATTR_ADDR, IPVS_DEST_ATTR_PORT, IPVS_DEST_ATTR_FWD_METHOD, IPVS_DEST_ATTR_WEIGHT,
            IPVS_DEST_ATTR_U_THRESH, IPVS_DEST_ATTR_L_THRESH, IPVS_DEST_ATTR_ACTIVE_CONNS,
            IPVS_DEST_ATTR_INACT_CONNS, IPVS_DEST_ATTR_PERSIST_CONNS, IPVS_DEST_ATTR_STATS,
            IPVS_DEST_ATTR_ADDR_FAMILY, IPVS_DEST_ATTR_STATS64, IPVS_DEST_ATTR_TUN_TYPE,
            IPVS_DEST_ATTR_TUN_PORT, IPVS_DEST_ATTR_TUN_FLAGS]))
        #expect(IPVSWire.DaemonAttr.allCases.map(\.rawValue) == numbers([
            IPVS_DAEMON_ATTR_STATE, IPVS_DAEMON_ATTR_MCAST_IFN, IPVS_DAEMON_ATTR_SYNC_ID,
            IPVS_DAEMON_ATTR_SYNC_MAXLEN, IPVS_DAEMON_ATTR_MCAST_GROUP, IPVS_DAEMON_ATTR_MCAST_GROUP6,
            IPVS_DAEMON_ATTR_MCAST_PORT, IPVS_DAEMON_ATTR_MCAST_TTL]))
        #expect(IPVSWire.StatsAttr.allCases.map(\.rawValue) == numbers([
            IPVS_STATS_ATTR_CONNS, IPVS_STATS_ATTR_INPKTS, IPVS_STATS_ATTR_OUTPKTS, IPVS_STATS_ATTR_INBYTES,
            IPVS_STATS_ATTR_OUTBYTES, IPVS_STATS_ATTR_CPS, IPVS_STATS_ATTR_INPPS, IPVS_STATS_ATTR_OUTPPS,
            IPVS_STATS_ATTR_INBPS, IPVS_STATS_ATTR_OUTBPS]))
        #expect(IPVSWire.InfoAttr.allCases.map(\.rawValue) == numbers([
            IPVS_INFO_ATTR_VERSION, IPVS_INFO_ATTR_CONN_TAB_SIZE]))
        #expect(IPVSWire.ForwardingCode.allCases.map(\.rawValue) == [
            IP_VS_CONN_F_MASQ, IP_VS_CONN_F_LOCALNODE, IP_VS_CONN_F_TUNNEL, IP_VS_CONN_F_DROUTE,
            IP_VS_CONN_F_BYPASS].map { UInt32($0) })
    }

    @Test func flags() {
        #expect(ServiceFlags.persistent.rawValue == UInt32(IP_VS_SVC_F_PERSISTENT))
        #expect(IPVSWire.hashedFlag == UInt32(IP_VS_SVC_F_HASHED))
        #expect(ServiceFlags.onePacket.rawValue == UInt32(IP_VS_SVC_F_ONEPACKET))
        #expect(ServiceFlags.shFallback.rawValue == swiftvs_ip_vs_svc_f_sched_sh_fallback())
        #expect(ServiceFlags.shPort.rawValue == swiftvs_ip_vs_svc_f_sched_sh_port())
        #expect(ServiceFlags.schedulerFlag3.rawValue == UInt32(IP_VS_SVC_F_SCHED3))
        #expect(Tunnel.Checksum.none.rawValue == UInt16(swiftvs_ip_vs_tunnel_encap_flag_nocsum()))
        #expect(Tunnel.Checksum.checksum.rawValue == UInt16(swiftvs_ip_vs_tunnel_encap_flag_csum()))
        #expect(Tunnel.Checksum.remote.rawValue == UInt16(swiftvs_ip_vs_tunnel_encap_flag_remcsum()))
        #expect(Tunnel.Kind.gre.rawValue == UInt8(IP_VS_CONN_F_TUNNEL_TYPE_GRE))
        #expect(IPVSWire.ForwardingCode.mask == swiftvs_ip_vs_conn_f_fwd_mask())
        #expect(NetlinkConstants.dump == swiftvs_nlm_f_dump())
        #expect(SyncDaemon.Role.backup.rawValue == UInt32(IP_VS_STATE_BACKUP))
    }
}

@Suite("Validation before sending")
struct ValidationTests {
    static let tcp = ServiceKey.address(.tcp, .v4(192, 0, 2, 10), port: 80)
    static let v4 = IPAddress.v4(192, 0, 2, 20)

    /// Valid and invalid table changes, one rule each.
    static let changes: [Change] = [
        .addService(Service(key: tcp)),
        .addService(Service(key: tcp, scheduler: "")),
        .editService(Service(key: tcp, scheduler: "averyveryverylongname")),
        .addService(Service(key: .fwmark(0, family: .inet))),
        .addService(Service(key: .fwmark(5, family: .inet6), netmask: 129)),
        .addService(Service(key: tcp, persistenceEngine: "sipsipsipsipsipsip")),
        .deleteService(.fwmark(0, family: .inet)),
        .addDestination(Destination(address: v4, port: 80), to: tcp),
        .addDestination(Destination(address: v4, weight: 65536), to: tcp),
        .editDestination(Destination(address: v4, weight: -1), in: tcp),
        .addDestination(Destination(address: v4, upperThreshold: 1, lowerThreshold: 2), to: tcp),
        .addDestination(Destination(address: .v4(0, 0, 0, 0)), to: tcp),
        .addDestination(Destination(address: IPAddress("2001:db8::1")!), to: tcp),
        .addDestination(Destination(address: v4), to: .fwmark(0, family: .inet)),
        .deleteDestination(DestinationKey(address: v4, port: 80), from: .fwmark(0, family: .inet)),
        .zero(.fwmark(0, family: .inet)),
        .zero(nil),
        .flush,
    ]

    @Test("the invalid ones are refused with their reason")
    func refusals() {
        var refused = 0
        for change in Self.changes {
            do throws(IPVSError) { try Validation.check(change) } catch {
                refused += 1
                #expect(error.code == .invalidValue && !error.reason.isEmpty)
            }
        }
        #expect(refused == Self.changes.count - 4)   // all but the first service, the first real server, zero all and flush
    }
}
