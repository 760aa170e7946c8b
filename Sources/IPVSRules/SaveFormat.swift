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
        var out = ""
        for entry in sorted ? IpvsadmOrder.sorted(services) : services {
            let name = serviceName(entry.service.key, numeric: numeric, resolver: resolver)
            out += serviceLine(entry.service, name: name)
            for d in entry.destinations {
                out += destinationLine(d.destination, serviceName: name, proto: protocolOf(entry.service.key),
                                       numeric: numeric, resolver: resolver, includeThresholds: includeThresholds)
            }
        }
        for m in marks {
            out += RulesFile.markPrefix + m + "\n"
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
