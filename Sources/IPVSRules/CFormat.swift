import IPVS

/// printf-style helpers reproducing the exact bytes ipvsadm's format strings produce.
enum CFormat {
    /// `%-Ns`: left-justified in at least `width` bytes.
    static func left(_ s: String, _ width: Int) -> String {
        let n = s.utf8.count
        return n >= width ? s : s + String(repeating: " ", count: width - n)
    }

    /// `%Ns`: right-justified in at least `width` bytes.
    static func right(_ s: String, _ width: Int) -> String {
        let n = s.utf8.count
        return n >= width ? s : String(repeating: " ", count: width - n) + s
    }

    /// The first `bytes` bytes of `s` (C's `buf[bytes] = '\0'`, or snprintf into `bytes + 1`).
    static func truncate(_ s: String, _ bytes: Int) -> String {
        let u = s.utf8
        guard u.count > bytes else { return s }
        return String(decoding: u.prefix(bytes), as: UTF8.self)
    }

    /// `inet_ntoa` of an IPv4 mask held in host order (0xFFFFFF00 is 255.255.255.0).
    static func dottedQuad(_ v: UInt32) -> String {
        "\(v >> 24 & 0xFF).\(v >> 16 & 0xFF).\(v >> 8 & 0xFF).\(v & 0xFF)"
    }

    /// A firewall mark as ipvsadm prints it (`%d`: marks from 2^31 up come out negative).
    static func fwmark(_ mark: UInt32) -> String {
        String(Int32(bitPattern: mark))
    }

    /// ipvsadm's `print_largenum`: 9 columns, abbreviated with K/M/G/T from 100 million up,
    /// or with `exact` the full number in at least 9 columns and always a leading space.
    static func largeNumber(_ i: UInt64, exact: Bool) -> String {
        if exact {
            let s = String(i)
            return right(s, s.utf8.count <= 8 ? 9 : s.utf8.count + 1)
        }
        switch i {
        case ..<100_000_000: return right(String(i), 9)
        case ..<1_000_000_000: return right(String(i / 1000), 8) + "K"
        case ..<100_000_000_000: return right(String(i / 1_000_000), 8) + "M"
        case ..<100_000_000_000_000: return right(String(i / 1_000_000_000), 8) + "G"
        default: return right(String(i / 1_000_000_000_000), 8) + "T"
        }
    }
}

/// ipvsadm's sort order, reproduced exactly, quirks included: libipvs compares services
/// and destinations by subtracting unsigned fields into an `int` (so differences of 2^31
/// or more wrap and the order is not even transitive), and glibc's `qsort` is a top-down
/// merge sort whose result for such a comparator depends on the input order, i.e. on
/// the kernel's dump order. Both are emulated so listings match byte for byte.
enum IpvsadmOrder {
    /// The address as four host-order 32-bit words (IPv4 in the first, like `nf_inet_addr`).
    /// A SIMD value, not an array: the sorts compare addresses O(n log n) times.
    static func words(_ a: IPAddress) -> SIMD4<UInt32> {
        switch a {
        case let .v4(b0, b1, b2, b3):
            return SIMD4(UInt32(b0) << 24 | UInt32(b1) << 16 | UInt32(b2) << 8 | UInt32(b3), 0, 0, 0)
        case let .v6(b):
            var w = SIMD4<UInt32>(repeating: 0)
            for i in 0..<(b.count / 4) {
                w[i] = UInt32(b[4 * i]) << 24 | UInt32(b[4 * i + 1]) << 16 | UInt32(b[4 * i + 2]) << 8 | UInt32(b[4 * i + 3])
            }
            return w
        }
    }

    /// `(int)(a - b)` for unsigned 32-bit operands.
    @inline(__always)
    static func wrapped(_ a: UInt32, _ b: UInt32) -> Int32 { Int32(bitPattern: a &- b) }

    /// libipvs `ipvs_cmp_services`.
    static func compareServices(_ s1: ServiceKey, _ s2: ServiceKey) -> Int32 {
        func parts(_ k: ServiceKey) -> (mark: UInt32, af: UInt16, proto: UInt16, addr: SIMD4<UInt32>, port: UInt16) {
            switch k {
            case let .address(proto, address, port):
                return (0, address.family.rawValue, proto.rawValue, words(address), port)
            case let .fwmark(mark, family):
                return (mark, family.rawValue, 0, SIMD4(repeating: 0), 0)
            }
        }
        let a = parts(s1), b = parts(s2)
        var r = wrapped(a.mark, b.mark)
        if r != 0 { return r }
        r = Int32(a.af) - Int32(b.af)
        if r != 0 { return r }
        r = Int32(a.proto) - Int32(b.proto)
        if r != 0 { return r }
        if a.af == AddressFamily.inet6.rawValue {
            for i in 0..<4 where r == 0 { r = wrapped(a.addr[i], b.addr[i]) }
        } else {
            r = wrapped(a.addr[0], b.addr[0])
        }
        if r != 0 { return r }
        return Int32(a.port) - Int32(b.port)
    }

    /// libipvs `ipvs_cmp_dests` (the first destination's family decides how much address is compared).
    static func compareDestinations(_ d1: Destination, _ d2: Destination) -> Int32 {
        let a = words(d1.address), b = words(d2.address)
        var r: Int32 = 0
        if d1.address.family == .inet6 {
            for i in 0..<4 where r == 0 { r = wrapped(a[i], b[i]) }
        } else {
            r = wrapped(a[0], b[0])
        }
        if r != 0 { return r }
        return Int32(d1.port) - Int32(d2.port)
    }

    /// glibc's `msort_with_tmp`: split n/2 | n - n/2, sort both halves, merge taking from
    /// the left while `cmp(left, right) <= 0`.
    static func mergeSort<T>(_ items: [T], _ cmp: (T, T) -> Int32) -> [T] {
        guard items.count > 1 else { return items }
        var a = items
        var tmp = items
        func sort(_ lo: Int, _ n: Int) {
            if n <= 1 { return }
            let n1 = n / 2
            sort(lo, n1)
            sort(lo + n1, n - n1)
            var i = lo, j = lo + n1, k = 0
            let iEnd = lo + n1, jEnd = lo + n
            while i < iEnd && j < jEnd {
                if cmp(a[i], a[j]) <= 0 { tmp[k] = a[i]; i += 1 } else { tmp[k] = a[j]; j += 1 }
                k += 1
            }
            while i < iEnd { tmp[k] = a[i]; i += 1; k += 1 }
            // What is left of the right half is already in place.
            for m in 0..<k { a[lo + m] = tmp[m] }
        }
        sort(0, a.count)
        return a
    }

    /// Services (and each one's destinations) in the order ipvsadm lists them.
    ///
    /// Sorts positions, not entries: the same merge sort (so the same order) on plain integers,
    /// instead of moving entries with their arrays and strings around O(n log n) times.
    static func sorted(_ services: [ServiceEntry]) -> [ServiceEntry] {
        let keys = services.map(\.service.key)
        let order = mergeSort(Array(services.indices)) { compareServices(keys[$0], keys[$1]) }
        return order.map { i in
            var e = services[i]
            if e.destinations.count > 1 {
                let d = e.destinations
                e.destinations = mergeSort(Array(d.indices)) { compareDestinations(d[$0].destination, d[$1].destination) }.map { d[$0] }
            }
            return e
        }
    }
}

/// ipvsadm's names for the pieces of a service and a destination.
enum IpvsadmNames {
    /// `-t`, `-u`, `--sctp-service` (`option_from_protocol`).
    static func serviceOption(_ p: TransportProtocol) -> String {
        switch p {
        case .tcp: return "-t"
        case .udp: return "-u"
        case .sctp: return "--sctp-service"
        }
    }

    /// `print_sched_flags`: the names depend on the scheduler, and sh/mh show only their two flags.
    static func schedulerFlags(_ s: Service) -> String {
        var names: [String] = []
        switch s.scheduler {
        case "sh":
            if s.flags.contains(.shFallback) { names.append("sh-fallback") }
            if s.flags.contains(.shPort) { names.append("sh-port") }
        case "mh":
            if s.flags.contains(.mhFallback) { names.append("mh-fallback") }
            if s.flags.contains(.mhPort) { names.append("mh-port") }
        default:
            if s.flags.contains(.schedulerFlag1) { names.append("flag-1") }
            if s.flags.contains(.schedulerFlag2) { names.append("flag-2") }
            if s.flags.contains(.schedulerFlag3) { names.append("flag-3") }
        }
        return names.joined(separator: ",")
    }

    static let anySchedulerFlag: ServiceFlags = [.schedulerFlag1, .schedulerFlag2, .schedulerFlag3]

    /// `fwd_name` (a bypass destination has none: glibc prints a null `%s` as "(null)").
    static func forwardName(_ f: ForwardingMethod) -> String {
        switch f {
        case .masquerade: return "Masq"
        case .local: return "Local"
        case .tunnel: return "Tunnel"
        case .directRouting: return "Route"
        case .bypass: return "(null)"
        }
    }

    /// `fwd_switch`.
    static func forwardSwitch(_ f: ForwardingMethod) -> String {
        switch f {
        case .masquerade: return "-m"
        case .tunnel: return "-i"
        case .local, .directRouting: return "-g"
        case .bypass: return "(null)"
        }
    }

    static func tunnelType(_ k: Tunnel.Kind) -> String {
        switch k {
        case .ipip: return "ipip"
        case .gue: return "gue"
        case .gre: return "gre"
        }
    }

    static func tunnelChecksumOption(_ c: Tunnel.Checksum) -> String {
        switch c {
        case .none: return "--tun-nocsum"
        case .checksum: return "--tun-csum"
        case .remote: return "--tun-remcsum"
        }
    }

    /// `fwd_tun_info` (`--tun-info` column).
    static func tunnelInfo(_ f: ForwardingMethod) -> String {
        guard case let .tunnel(t) = f else { return "n/a" }
        let flag: String
        switch t.checksum {
        case .none: flag = "-c"
        case .checksum: flag = "+c"
        case .remote: flag = "r+c"
        }
        switch t.kind {
        case .ipip: return "ipip"
        case .gue: return "gue:\(t.port):\(flag)"
        case .gre: return "gre:\(flag)"
        }
    }

    /// `addrport_to_anyname`: `addr:port`, `[addr6]:port`, names unless `numeric`; the
    /// result is cut at 59 bytes like ipvsadm's 60-byte buffer. `proto` is nil for
    /// firewall-mark services (ipvsadm then never names ports).
    static func addressPort(_ address: IPAddress, _ port: UInt16, _ proto: TransportProtocol?,
                            numeric: Bool, resolver: any NameResolver) -> String {
        let open = address.family == .inet ? "" : "["
        let close = address.family == .inet ? "" : "]"
        if numeric { return "\(open)\(address)\(close):\(port)" }
        let host = resolver.hostName(for: address) ?? address.description
        let service = proto.flatMap { resolver.serviceName(port: port, protocol: $0) } ?? String(port)
        return CFormat.truncate("\(open)\(host)\(close):\(service)", 59)
    }
}
