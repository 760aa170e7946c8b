import IPVSModel
import Serialization

/// The `ipvsadm-save` / `ipvsadm -S [-n]` format, byte for byte as ipvsadm 1.31 writes it.
///
/// One `-A` line per service, followed by one `-a` line per destination, in ipvsadm's
/// order (see ``IpvsadmOrder``). Like ipvsadm, it does not write destination thresholds
/// (`-x`/`-y`), the persistence netmask of a non-persistent service, or scheduler flags
/// a scheduler does not name (flag-3 of sh or mh); `includeThresholds` adds `-x`/`-y`.
///
/// A `# swiftvs-mark` section (``RulesFile/markPrefix``) can be appended: ipvsadm-restore
/// drops every line starting with `#`, so the file stays restorable by it.
public enum SaveFormat {
    /// - Parameters:
    ///   - services: the table, in the kernel's dump order (ipvsadm sorts it).
    ///   - numeric: `-n`: addresses and ports as numbers; otherwise names as ipvsadm
    ///     looks them up (host names via `resolver.hostName`, port names via
    ///     `resolver.serviceName` for TCP/UDP/SCTP services, never for fwmark services).
    ///   - resolver: the name lookups when not `numeric`.
    ///   - includeThresholds: append ` -x U -y L` to destinations that have thresholds
    ///     (an extension; ipvsadm accepts these options but its save omits them).
    ///   - marks: payloads of a firewall-mark section, written after the rules as
    ///     `# swiftvs-mark PAYLOAD` lines.
    ///   - sorted: ipvsadm's order (the default); false keeps the given order, e.g. a
    ///     rules file's. (ipvsadm's sort is not idempotent: re-sorting its own output
    ///     can reorder services whose addresses differ by 2^31 or more in a 32-bit word.)
    public static func render(
        _ services: [ServiceEntry],
        numeric: Bool,
        resolver: any NameResolver = SystemResolver(),
        includeThresholds: Bool = false,
        marks: [String] = [],
        sorted: Bool = true
    ) -> String {
        String(decoding: renderText(services, numeric: numeric, resolver: resolver, includeThresholds: includeThresholds,
                                    marks: marks, sorted: sorted).bytes,
               as: UTF8.self)
    }

    /// `render`, handing the bytes to `body` where they were written: no copy into an
    /// array (megabytes for a big table, fresh pages the kernel must fault in) when they are
    /// only written out.
    public static func withRenderedBytes<R, E: Error>(
        _ services: [ServiceEntry],
        numeric: Bool,
        resolver: any NameResolver = SystemResolver(),
        includeThresholds: Bool = false,
        marks: [String] = [],
        sorted: Bool = true,
        _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        let text = renderText(services, numeric: numeric, resolver: resolver, includeThresholds: includeThresholds,
                              marks: marks, sorted: sorted)
        return try text.withBytes(body)
    }

    static func renderText(
        _ services: [ServiceEntry],
        numeric: Bool,
        resolver: any NameResolver,
        includeThresholds: Bool,
        marks: [String],
        sorted: Bool
    ) -> ByteBuffer {
        var out = ByteBuffer(capacity: services.reduce(0) { $0 + 48 + 72 * $1.destinations.count })
        var name = ByteBuffer(capacity: 256)
        // "-a NAME -r ": how every destination line of a service starts.
        var prefix = ByteBuffer(capacity: 256)
        // The scheduler's bytes, taken out of its String again only when it changes (a
        // table has a few schedulers; comparing two small Strings is cheap).
        var scheduler = ByteBuffer(capacity: 64)
        var lastScheduler: String? = nil
        // In ipvsadm's order without building a sorted copy of the table.
        let order = sorted ? IpvsadmOrder.serviceOrder(services) : Array(services.indices)
        for serviceIndex in order {
            let s = services[serviceIndex].service
            let proto = protocolOf(s.key)
            name.removeAll()
            if numeric {
                ByteText.serviceName(s.key, into: &name)
            } else {
                name.append(contentsOf: serviceName(s.key, numeric: false, resolver: resolver))
            }
            if s.flags.isDisjoint(with: [.persistent, .onePacket]), s.flags.isDisjoint(with: IpvsadmNames.anySchedulerFlag),
               s.persistenceEngine?.isEmpty ?? true {
                out.append("-A ")
                out.append(name)
                out.append(" -s ")
                if s.scheduler != lastScheduler {
                    scheduler.removeAll()
                    scheduler.append(contentsOf: s.scheduler)
                    lastScheduler = s.scheduler
                }
                out.append(scheduler)
                out.append("\n")
            } else {
                out.append(contentsOf: serviceLine(s, name: name.string))
            }
            prefix.removeAll()
            prefix.append("-a ")
            prefix.append(name)
            prefix.append(" -r ")
            let destinations = services[serviceIndex].destinations
            let context = LineContext(numeric: numeric, includeThresholds: includeThresholds, proto: proto, resolver: resolver)
            if sorted {
                IpvsadmOrder.withDestinationOrder(destinations) { positions in
                    for p in positions {
                        destinationLine(destinations[p].destination, prefix: prefix, name: name, context, into: &out)
                    }
                }
            } else {
                for e in destinations { destinationLine(e.destination, prefix: prefix, name: name, context, into: &out) }
            }
        }
        for m in marks {
            out.append(contentsOf: RulesFile.markPrefix + m + "\n")
        }
        return out
    }

    /// What a service's destination lines depend on besides the destination.
    struct LineContext {
        let numeric: Bool
        let includeThresholds: Bool
        let proto: TransportProtocol?
        let resolver: any NameResolver
    }

    /// One `-a` line. The usual one (numeric, IPv4, no tunnel, no thresholds written) is
    /// written in place; the rest through the String builders.
    @inline(__always)
    static func destinationLine(_ d: Destination, prefix: borrowing ByteBuffer, name: borrowing ByteBuffer,
                                _ context: LineContext, into out: inout ByteBuffer) {
        let plain: Bool
        if case .tunnel = d.forwarding { plain = false } else { plain = true }
        guard context.numeric, plain,
              !context.includeThresholds || (d.upperThreshold == 0 && d.lowerThreshold == 0) else {
            out.append(contentsOf: destinationLine(d, serviceName: name.string, proto: context.proto,
                                                   numeric: context.numeric, resolver: context.resolver,
                                                   includeThresholds: context.includeThresholds))
            return
        }
        if case let .v4(a, b, c, e) = d.address {
            // At most 15 (address) + 1 + 5 (port) + 1 + 6 (switch) + 4 + 11 (weight) + 1 bytes after the prefix.
            out.reserve(prefix.count + 48)
            out.put(prefix)
            out.putDecimal(a); out.put(UInt8(ascii: ".")); out.putDecimal(b); out.put(UInt8(ascii: "."))
            out.putDecimal(c); out.put(UInt8(ascii: ".")); out.putDecimal(e)
        } else {
            out.append(prefix)
            ByteText.address(d.address, into: &out)
            out.reserve(48)
        }
        out.put(UInt8(ascii: ":"))
        out.putDecimal(d.port)
        out.put(UInt8(ascii: " "))
        out.put(IpvsadmNames.forwardSwitch(d.forwarding))
        out.put(" -w ")
        if d.weight < 0 { out.put(UInt8(ascii: "-")) }
        out.putDecimal(d.weight.magnitude)
        out.put(UInt8(ascii: "\n"))
    }

    static func protocolOf(_ key: ServiceKey) -> TransportProtocol? {
        if case let .address(p, _, _) = key { return p }
        return nil
    }

    /// `-t 192.0.2.1:80`, `--sctp-service [2001:db8::1]:5060`, `-f 80`, `-f 80 -6`.
    static func serviceName(_ key: ServiceKey, numeric: Bool, resolver: any NameResolver) -> String {
        IpvsadmNames.serviceName(key, numeric: numeric, resolver: resolver, ipv6Mark: " -6") {
            $0.map { "\(IpvsadmNames.serviceOption($0))" } ?? "-f"
        }
    }

    static func serviceLine(_ s: Service, name: String) -> String {
        var line = "-A \(name) -s \(s.scheduler)"
        if s.flags.contains(.persistent) {
            line += " -p \(s.timeout)"
            if let mask = IpvsadmNames.persistenceMask(s) { line += " -M \(mask)" }
        }
        if let pe = s.persistenceEngine, !pe.isEmpty { line += " --pe \(pe)" }
        if s.flags.contains(.onePacket) { line += " -o" }
        if !s.flags.isDisjoint(with: IpvsadmNames.anySchedulerFlag) {
            line += " -b " + IpvsadmNames.schedulerFlags(s)
        }
        return line + "\n"
    }

    static func destinationLine(_ d: Destination, serviceName: String, proto: TransportProtocol?,
                                numeric: Bool, resolver: any NameResolver, includeThresholds: Bool) -> String {
        let dname = IpvsadmNames.addressPort(d.address, d.port, proto, numeric: numeric, resolver: resolver)
        var line = "-a \(serviceName) -r \(dname) \(IpvsadmNames.forwardSwitch(d.forwarding)) -w \(d.weight)"
        if case let .tunnel(t) = d.forwarding {
            line += " --tun-type \(IpvsadmNames.tunnelType(t.kind))"
            switch t.kind {
            case .ipip: break
            case .gue: line += " --tun-port \(t.port) \(IpvsadmNames.tunnelChecksumOption(t.checksum))"
            case .gre: line += " \(IpvsadmNames.tunnelChecksumOption(t.checksum))"
            }
        }
        if includeThresholds, d.upperThreshold != 0 || d.lowerThreshold != 0 {
            line += " -x \(d.upperThreshold) -y \(d.lowerThreshold)"
        }
        return line + "\n"
    }
}

/// The numeric pieces of save lines written as ASCII bytes, exactly as the String builders
/// above write them (`-t 192.0.2.1:80`, `-f -1 -6`, decimal numbers).
enum ByteText {
    /// `addr` or `[addr6]`, numeric.
    static func address(_ address: IPAddress, into out: inout ByteBuffer) {
        switch address {
        case let .v4(a, b, c, d):
            out.reserve(15)
            out.putDecimal(a); out.put(UInt8(ascii: ".")); out.putDecimal(b); out.put(UInt8(ascii: "."))
            out.putDecimal(c); out.put(UInt8(ascii: ".")); out.putDecimal(d)
        case .v6:
            out.append("[")
            out.append(contentsOf: address.description)
            out.append("]")
        }
    }

    /// `addr:port` or `[addr6]:port`, numeric (ipvsadm's `addrport_to_anyname` with -n).
    static func addressPort(_ address: IPAddress, _ port: UInt16, into out: inout ByteBuffer) {
        self.address(address, into: &out)
        out.reserve(6)
        out.put(UInt8(ascii: ":"))
        out.putDecimal(port)
    }

    /// `SaveFormat.serviceName(key, numeric: true, ...)`.
    static func serviceName(_ key: ServiceKey, into out: inout ByteBuffer) {
        switch key {
        case let .fwmark(mark, family):
            out.reserve(3 + 11 + 3)
            out.put("-f ")
            let m = Int32(bitPattern: mark)   // IpvsadmPrintf.fwmark: %d
            if m < 0 { out.put(UInt8(ascii: "-")) }
            out.putDecimal(m.magnitude)
            if family == .inet6 { out.put(" -6") }
        case let .address(proto, address, port):
            out.append(IpvsadmNames.serviceOption(proto))
            out.append(" ")
            addressPort(address, port, into: &out)
        }
    }
}

/// The save text is written into a `ByteBuffer`; numbers go in as decimal digits, in place.
extension ByteBuffer {
    /// Decimal digits, as `%u`: at most 20 bytes (unchecked: after `reserve`). Numbers
    /// below 1000 (address bytes, most ports and weights) take the short way.
    @inline(__always)
    mutating func putDecimal<T: UnsignedInteger & FixedWidthInteger>(_ value: T) {
        let zero = UInt8(ascii: "0")
        if value < 10 {
            put(zero &+ UInt8(truncatingIfNeeded: value))
        } else if value < 100 {
            let v = UInt8(truncatingIfNeeded: value)
            let p = uncheckedClaim(2)
            p[0] = zero &+ v / 10
            p[1] = zero &+ v % 10
        } else if value < 1000 {
            let v = UInt16(truncatingIfNeeded: value)
            let p = uncheckedClaim(3)
            p[0] = zero &+ UInt8(truncatingIfNeeded: v / 100)
            p[1] = zero &+ UInt8(truncatingIfNeeded: v / 10 % 10)
            p[2] = zero &+ UInt8(truncatingIfNeeded: v % 10)
        } else {
            var digits = 1
            var t = UInt64(value)
            while t >= 10 { t /= 10; digits &+= 1 }
            var x = UInt64(value)
            let p = uncheckedClaim(digits)
            var i = digits
            while i > 0 {
                i &-= 1
                p[i] = zero &+ UInt8(truncatingIfNeeded: x % 10)
                x /= 10
            }
        }
    }
}
