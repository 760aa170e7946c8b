import IPVS

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
        String(decoding: renderBytes(services, numeric: numeric, resolver: resolver, includeThresholds: includeThresholds,
                                     marks: marks, sorted: sorted),
               as: UTF8.self)
    }

    /// `render` as UTF-8 bytes, ready for one write: the numeric form of the common lines
    /// (no persistence, tunnel or threshold options) is written straight into the buffer,
    /// without a String per line or per number; everything else goes through the same
    /// String builders as ``commandLine(for:)``, so both paths give the same bytes.
    public static func renderBytes(
        _ services: [ServiceEntry],
        numeric: Bool,
        resolver: any NameResolver = SystemResolver(),
        includeThresholds: Bool = false,
        marks: [String] = [],
        sorted: Bool = true
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(services.reduce(0) { $0 + 48 + 72 * $1.destinations.count })
        var name: [UInt8] = []
        // In ipvsadm's order without building a sorted copy of the table.
        let order = sorted ? IpvsadmOrder.serviceOrder(services) : Array(services.indices)
        for serviceIndex in order {
            let entry = services[serviceIndex]
            let s = entry.service
            let proto = protocolOf(s.key)
            name.removeAll(keepingCapacity: true)
            if numeric {
                ByteText.serviceName(s.key, into: &name)
            } else {
                name.append(contentsOf: serviceName(s.key, numeric: false, resolver: resolver).utf8)
            }
            if s.flags.isDisjoint(with: [.persistent, .onePacket]), s.flags.isDisjoint(with: IpvsadmNames.anySchedulerFlag),
               s.persistenceEngine?.isEmpty ?? true {
                ByteText.append("-A ", to: &out)
                out.append(contentsOf: name)
                ByteText.append(" -s ", to: &out)
                ByteText.append(s.scheduler, to: &out)
                out.append(UInt8(ascii: "\n"))
            } else {
                out.append(contentsOf: serviceLine(s, name: String(decoding: name, as: UTF8.self)).utf8)
            }
            func render(_ d: Destination) {
                let plain: Bool
                if case .tunnel = d.forwarding { plain = false } else { plain = true }
                if numeric, plain, !includeThresholds || (d.upperThreshold == 0 && d.lowerThreshold == 0),
                   case .v4 = d.address, name.count <= LineBuilder.capacity - 64 {
                    // The usual line, built in a stack buffer and appended once.
                    name.withUnsafeBufferPointer { name in
                        LineBuilder.build(into: &out) { line in
                            line.put("-a ")
                            line.put(name)
                            line.put(" -r ")
                            line.putV4(d.address)
                            line.put(UInt8(ascii: ":"))
                            line.put(UInt64(d.port))
                            line.put(UInt8(ascii: " "))
                            line.put(IpvsadmNames.forwardSwitchText(d.forwarding))
                            line.put(" -w ")
                            if d.weight < 0 { line.put(UInt8(ascii: "-")) }
                            line.put(UInt64(d.weight.magnitude))
                            line.put(UInt8(ascii: "\n"))
                        }
                    }
                } else if numeric, plain, !includeThresholds || (d.upperThreshold == 0 && d.lowerThreshold == 0) {
                    ByteText.append("-a ", to: &out)
                    out.append(contentsOf: name)
                    ByteText.append(" -r ", to: &out)
                    ByteText.addressPort(d.address, d.port, into: &out)
                    out.append(UInt8(ascii: " "))
                    ByteText.append(IpvsadmNames.forwardSwitchText(d.forwarding), to: &out)
                    ByteText.append(" -w ", to: &out)
                    ByteText.decimal(Int64(d.weight), into: &out)
                    out.append(UInt8(ascii: "\n"))
                } else {
                    out.append(contentsOf: destinationLine(d, serviceName: String(decoding: name, as: UTF8.self), proto: proto,
                                                           numeric: numeric, resolver: resolver,
                                                           includeThresholds: includeThresholds).utf8)
                }
            }
            let destinations = entry.destinations
            if sorted {
                IpvsadmOrder.withDestinationOrder(destinations) { positions in
                    for p in positions { render(destinations[p].destination) }
                }
            } else {
                for e in destinations { render(e.destination) }
            }
        }
        for m in marks {
            out.append(contentsOf: (RulesFile.markPrefix + m + "\n").utf8)
        }
        return out
    }

    static func protocolOf(_ key: ServiceKey) -> TransportProtocol? {
        if case let .address(p, _, _) = key { return p }
        return nil
    }

    /// `-t 192.0.2.1:80`, `--sctp-service [2001:db8::1]:5060`, `-f 80`, `-f 80 -6`.
    static func serviceName(_ key: ServiceKey, numeric: Bool, resolver: any NameResolver) -> String {
        switch key {
        case let .fwmark(mark, family):
            return family == .inet6 ? "-f \(CFormat.fwmark(mark)) -6" : "-f \(CFormat.fwmark(mark))"
        case let .address(proto, address, port):
            let v = IpvsadmNames.addressPort(address, port, proto, numeric: numeric, resolver: resolver)
            return "\(IpvsadmNames.serviceOption(proto)) \(v)"
        }
    }

    static func serviceLine(_ s: Service, name: String) -> String {
        var line = "-A \(name) -s \(s.scheduler)"
        if s.flags.contains(.persistent) {
            line += " -p \(s.timeout)"
            if s.key.family == .inet, s.netmask != 0xFFFF_FFFF {
                line += " -M \(CFormat.dottedQuad(s.netmask))"
            }
            if s.key.family == .inet6, s.netmask != 128 {
                line += " -M \(Int32(bitPattern: s.netmask))"
            }
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
    @inline(__always)
    static func append(_ s: StaticString, to out: inout [UInt8]) {
        s.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    static func append(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { out.append(contentsOf: $0) }
    }

    static func decimal(_ v: Int64, into out: inout [UInt8]) {
        if v < 0 {
            out.append(UInt8(ascii: "-"))
            decimal(v.magnitude, into: &out)
        } else {
            decimal(UInt64(v), into: &out)
        }
    }

    static func decimal(_ v: UInt64, into out: inout [UInt8]) {
        if v < 10 { out.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v)); return }
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)   // 32 bytes: enough for 20 digits
        var n = 0
        var x = v
        withUnsafeMutableBytes(of: &digits) { raw in
            while x > 0 {
                raw[31 - n] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: x % 10)
                x /= 10
                n += 1
            }
            // Byte by byte: appending a slice of a raw buffer goes through the generic
            // sequence path, several times slower for two to five digits.
            for i in (32 - n)..<32 { out.append(raw[i]) }
        }
    }

    /// `addr:port` or `[addr6]:port`, numeric (ipvsadm's `addrport_to_anyname` with -n).
    static func addressPort(_ address: IPAddress, _ port: UInt16, into out: inout [UInt8]) {
        switch address {
        case let .v4(a, b, c, d):
            decimal(UInt64(a), into: &out); out.append(UInt8(ascii: "."))
            decimal(UInt64(b), into: &out); out.append(UInt8(ascii: "."))
            decimal(UInt64(c), into: &out); out.append(UInt8(ascii: "."))
            decimal(UInt64(d), into: &out)
        case .v6:
            out.append(UInt8(ascii: "["))
            out.append(contentsOf: address.description.utf8)
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: ":"))
        decimal(UInt64(port), into: &out)
    }

    /// `SaveFormat.serviceName(key, numeric: true, ...)`.
    static func serviceName(_ key: ServiceKey, into out: inout [UInt8]) {
        switch key {
        case let .fwmark(mark, family):
            append("-f ", to: &out)
            decimal(Int64(Int32(bitPattern: mark)), into: &out)   // CFormat.fwmark: %d
            if family == .inet6 { append(" -6", to: &out) }
        case let .address(proto, address, port):
            append(IpvsadmNames.serviceOption(proto), to: &out)
            out.append(UInt8(ascii: " "))
            addressPort(address, port, into: &out)
        }
    }
}

/// One save line written through a pointer into a stack buffer, then appended to the
/// output at once: a save writes tens of thousands of lines, and appending each piece to
/// an array separately costs more than the text itself. Callers keep within `capacity`.
struct LineBuilder {
    static let capacity = 192
    private let base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0

    static func build(into out: inout [UInt8], _ body: (inout LineBuilder) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            var line = LineBuilder(base: buffer.baseAddress!)
            body(&line)
            precondition(line.count <= capacity, "save line longer than its buffer")
            out.append(contentsOf: UnsafeBufferPointer(start: buffer.baseAddress, count: line.count))
        }
    }

    @inline(__always) mutating func put(_ byte: UInt8) {
        base[count] = byte
        count += 1
    }

    @inline(__always) mutating func put(_ text: StaticString) {
        text.withUTF8Buffer { for b in $0 { put(b) } }
    }

    @inline(__always) mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        (base + count).update(from: bytes.baseAddress!, count: bytes.count)
        count += bytes.count
    }

    /// Decimal digits, as `%u`.
    @inline(__always) mutating func put(_ v: UInt64) {
        var digits = 1
        var t = v
        while t >= 10 { t /= 10; digits += 1 }
        var x = v
        for i in stride(from: count + digits - 1, through: count, by: -1) {
            base[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: x % 10)
            x /= 10
        }
        count += digits
    }

    /// A dotted quad (the caller has checked the address is IPv4).
    @inline(__always) mutating func putV4(_ address: IPAddress) {
        guard case let .v4(a, b, c, d) = address else { return }
        put(UInt64(a)); put(UInt8(ascii: ".")); put(UInt64(b)); put(UInt8(ascii: "."))
        put(UInt64(c)); put(UInt8(ascii: ".")); put(UInt64(d))
    }
}
