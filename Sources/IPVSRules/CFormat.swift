import IPVSModel

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
    /// The address as four host-order 32-bit words (IPv4 in the first, like `nf_inet_addr`):
    /// plain fields, since the sorts compare addresses O(n log n) times.
    struct AddressWords {
        var w0: UInt32 = 0, w1: UInt32 = 0, w2: UInt32 = 0, w3: UInt32 = 0

        init() {}

        init(_ a: IPAddress) {
            switch a {
            case let .v4(b0, b1, b2, b3):
                w0 = UInt32(b0) << 24 | UInt32(b1) << 16 | UInt32(b2) << 8 | UInt32(b3)
            case let .v6(b):
                func word(_ i: Int) -> UInt32 {
                    UInt32(b[4 * i]) << 24 | UInt32(b[4 * i + 1]) << 16 | UInt32(b[4 * i + 2]) << 8 | UInt32(b[4 * i + 3])
                }
                w0 = word(0); w1 = word(1); w2 = word(2); w3 = word(3)
            }
        }

        /// The four words in turn, each as `(int)(a - b)`, up to the first that differs.
        @inline(__always)
        static func compare(_ a: AddressWords, _ b: AddressWords) -> Int32 {
            var r = wrapped(a.w0, b.w0)
            if r == 0 { r = wrapped(a.w1, b.w1) }
            if r == 0 { r = wrapped(a.w2, b.w2) }
            if r == 0 { r = wrapped(a.w3, b.w3) }
            return r
        }
    }

    /// `(int)(a - b)` for unsigned 32-bit operands.
    @inline(__always)
    static func wrapped(_ a: UInt32, _ b: UInt32) -> Int32 { Int32(bitPattern: a &- b) }

    /// What `ipvs_cmp_services` compares, taken out of a key once (a sort compares each
    /// key O(log n) times).
    struct ServiceOrderKey {
        var mark: UInt32 = 0
        var af: UInt16
        var proto: UInt16 = 0
        var addr = AddressWords()
        var port: UInt16 = 0

        init(_ k: ServiceKey) {
            switch k {
            case let .address(p, address, port: port):
                af = address.family.rawValue
                proto = p.rawValue
                addr = AddressWords(address)
                self.port = port
            case let .fwmark(m, family):
                mark = m
                af = family.rawValue
            }
        }
    }

    /// libipvs `ipvs_cmp_services`.
    static func compareServices(_ s1: ServiceKey, _ s2: ServiceKey) -> Int32 {
        compare(ServiceOrderKey(s1), ServiceOrderKey(s2))
    }

    @inline(__always)
    static func compare(_ a: ServiceOrderKey, _ b: ServiceOrderKey) -> Int32 {
        var r = wrapped(a.mark, b.mark)
        if r != 0 { return r }
        r = Int32(a.af) - Int32(b.af)
        if r != 0 { return r }
        r = Int32(a.proto) - Int32(b.proto)
        if r != 0 { return r }
        r = a.af == AddressFamily.inet6.rawValue ? AddressWords.compare(a.addr, b.addr) : wrapped(a.addr.w0, b.addr.w0)
        if r != 0 { return r }
        return Int32(a.port) - Int32(b.port)
    }

    /// What `ipvs_cmp_dests` compares: the address words, whether the address is IPv6, the port.
    struct DestinationOrderKey {
        var addr: AddressWords
        var isV6: Bool
        var port: UInt16

        init(_ d: Destination) {
            addr = AddressWords(d.address)
            isV6 = d.address.family == .inet6
            port = d.port
        }
    }

    /// libipvs `ipvs_cmp_dests` (the first destination's family decides how much address is compared).
    static func compareDestinations(_ d1: Destination, _ d2: Destination) -> Int32 {
        compare(DestinationOrderKey(d1), DestinationOrderKey(d2))
    }

    @inline(__always)
    static func compare(_ a: DestinationOrderKey, _ b: DestinationOrderKey) -> Int32 {
        let r = a.isV6 ? AddressWords.compare(a.addr, b.addr) : wrapped(a.addr.w0, b.addr.w0)
        if r != 0 { return r }
        return Int32(a.port) - Int32(b.port)
    }

    /// glibc's `msort_with_tmp`: split n/2 | n - n/2, sort both halves, merge taking from
    /// the left while `cmp(left, right) <= 0`.
    static func mergeSort<T>(_ items: [T], _ cmp: (T, T) -> Int32) -> [T] {
        guard items.count > 1 else { return items }
        var order = Array(items.indices)
        var scratch = order
        order.withUnsafeMutableBufferPointer { o in
            scratch.withUnsafeMutableBufferPointer { t in
                items.withUnsafeBufferPointer { items in
                    withoutActuallyEscaping(cmp) { cmp in
                        mergeSort(o, scratch: t, ClosureOrder { cmp(items[$0], items[$1]) })
                    }
                }
            }
        }
        return order.map { items[$0] }
    }

    /// How two positions compare, for `mergeSort`: a generic parameter rather than a closure,
    /// so the sort is specialised with the comparison inlined (it runs O(n log n) times).
    protocol PositionOrder {
        func compare(_ i: Int, _ j: Int) -> Int32
    }

    struct ClosureOrder: PositionOrder {
        let body: (Int, Int) -> Int32
        init(_ body: @escaping (Int, Int) -> Int32) { self.body = body }
        func compare(_ i: Int, _ j: Int) -> Int32 { body(i, j) }
    }

    struct KeyOrder: PositionOrder {
        let services: UnsafeBufferPointer<ServiceOrderKey>
        func compare(_ i: Int, _ j: Int) -> Int32 { IpvsadmOrder.compare(services[i], services[j]) }
    }

    struct DestinationKeyOrder: PositionOrder {
        let destinations: UnsafeBufferPointer<DestinationOrderKey>
        func compare(_ i: Int, _ j: Int) -> Int32 { IpvsadmOrder.compare(destinations[i], destinations[j]) }
    }

    /// The merge sort of `mergeSort`, on positions in place: `order` compares what two
    /// positions stand for; `scratch` has at least `a.count` slots.
    static func mergeSort<O: PositionOrder>(_ a: UnsafeMutableBufferPointer<Int>, scratch tmp: UnsafeMutableBufferPointer<Int>,
                                            _ order: O) {
        func sort(_ lo: Int, _ n: Int) {
            if n <= 1 { return }
            let n1 = n / 2
            sort(lo, n1)
            sort(lo + n1, n - n1)
            var i = lo, j = lo + n1, k = 0
            let iEnd = lo + n1, jEnd = lo + n
            while i < iEnd && j < jEnd {
                if order.compare(a[i], a[j]) <= 0 { tmp[k] = a[i]; i += 1 } else { tmp[k] = a[j]; j += 1 }
                k += 1
            }
            while i < iEnd { tmp[k] = a[i]; i += 1; k += 1 }
            // What is left of the right half is already in place.
            for m in 0..<k { a[lo + m] = tmp[m] }
        }
        sort(0, a.count)
    }

    /// Services (and each one's destinations) in the order ipvsadm lists them.
    ///
    /// Sorts positions, not entries: the same merge sort (so the same order) on plain
    /// integers with the compared fields taken out once, instead of moving entries with
    /// their arrays and strings around O(n log n) times. A service's destinations are
    /// copied only when their order changes.
    static func sorted(_ services: [ServiceEntry]) -> [ServiceEntry] {
        var result: [ServiceEntry] = []
        result.reserveCapacity(services.count)
        for i in serviceOrder(services) {
            result.append(services[i])
            let d = services[i].destinations
            withDestinationOrder(d) { positions in
                if positions.indices.contains(where: { positions[$0] != $0 }) {
                    result[result.count - 1].destinations = positions.map { d[$0] }
                }
            }
        }
        return result
    }

    /// The positions of `services` in ipvsadm's order.
    static func serviceOrder(_ services: [ServiceEntry]) -> [Int] {
        let keys = services.map { ServiceOrderKey($0.service.key) }
        var order = Array(services.indices)
        var scratch = order
        order.withUnsafeMutableBufferPointer { o in
            scratch.withUnsafeMutableBufferPointer { t in
                keys.withUnsafeBufferPointer { k in mergeSort(o, scratch: t, KeyOrder(services: k)) }
            }
        }
        return order
    }

    /// Calls `body` with the positions of `destinations` in ipvsadm's order (on the stack
    /// for the usual few: a save of a big table lists them without copying them).
    static func withDestinationOrder<R>(_ destinations: [DestinationEntry], _ body: (UnsafeBufferPointer<Int>) -> R) -> R {
        let n = destinations.count
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: max(1, 2 * n)) { space in
            let positions = UnsafeMutableBufferPointer(rebasing: space[0..<n])
            for p in 0..<n { positions[p] = p }
            if n > 1 {
                withUnsafeTemporaryAllocation(of: DestinationOrderKey.self, capacity: n) { keys in
                    for p in 0..<n { keys.initializeElement(at: p, to: DestinationOrderKey(destinations[p].destination)) }
                    mergeSort(positions, scratch: UnsafeMutableBufferPointer(rebasing: space[n...]),
                              DestinationKeyOrder(destinations: UnsafeBufferPointer(keys)))
                }
            }
            return body(UnsafeBufferPointer(positions))
        }
    }
}

/// ipvsadm's names for the pieces of a service and a destination.
enum IpvsadmNames {
    /// `-t`, `-u`, `--sctp-service` (`option_from_protocol`).
    static func serviceOption(_ p: TransportProtocol) -> String {
        serviceOptionText(p).description
    }

    /// `serviceOption` without a String (the save writes it once per service).
    static func serviceOptionText(_ p: TransportProtocol) -> StaticString {
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
        forwardSwitchText(f).description
    }

    /// `forwardSwitch` without a String (the save writes it once per real server).
    static func forwardSwitchText(_ f: ForwardingMethod) -> StaticString {
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
