import IPVSModel

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
