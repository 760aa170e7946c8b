import NetworkModel
import KeepalivedConfig

extension VRRPConfigReader {
    /// The checks that need the whole block; false when the instance cannot run.
    mutating func finishInstance(_ inst: inout VRRPInstanceConfig, pending: PendingInstance, at st: Statement) -> Bool {
        var ok = true
        if let i = pending.interface { inst.interface = i } else {
            reader.error(st.location, "vrrp_instance \(inst.name): missing 'interface'")
            ok = false
        }
        if let v = pending.vrid { inst.virtualRouterID = v } else {
            reader.error(st.location, "vrrp_instance \(inst.name): missing 'virtual_router_id'")
            ok = false
        }
        guard let first = inst.virtualAddresses.first else {
            reader.error(st.location, "vrrp_instance \(inst.name): no address in 'virtual_ipaddress'")
            return false
        }
        inst.family = first.address.family
        moveOtherFamily(&inst)
        ok = finishVersion(&inst, pending: pending) && ok
        ok = finishUnicast(&inst) && ok
        ok = finishAuthentication(&inst, pending: pending) && ok
        finishPreemption(&inst)
        return ok
    }

    /// keepalived moves addresses of the other family out of the advert (they are still added).
    mutating func moveOtherFamily(_ inst: inout VRRPInstanceConfig) {
        let other = inst.virtualAddresses.filter { $0.address.family != inst.family }
        for v in other {
            reader.warn(v.location, "vrrp_instance \(inst.name): \(v.address) is not of the instance's family (its first address \(inst.virtualAddresses[0].address)); added, not advertised")
        }
        inst.virtualAddresses.removeAll { $0.address.family != inst.family }
        inst.excludedAddresses += other
    }

    mutating func finishVersion(_ inst: inout VRRPInstanceConfig, pending: PendingInstance) -> Bool {
        var version = pending.version ?? config.globals.version.rawValue
        if inst.family == .inet6 && version == 2 {
            if pending.version != nil {
                reader.warn(inst.location, "vrrp_instance \(inst.name): VRRP version 2 has no IPv6; using version 3")
            }
            version = 3
        }
        inst.version = version
        guard let (interval, token) = pending.advertInterval else { return true }
        if version == 2 {
            let seconds = max(1, (Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18).rounded())
            if Duration.seconds(seconds) != interval {
                reader.warn(token.location, "advert_int \(token.text): VRRP version 2 uses whole seconds; using \(Int(seconds))")
            }
            inst.advertInterval = .seconds(seconds)
        } else {
            let centis = (Double(interval.components.seconds) * 100 + Double(interval.components.attoseconds) / 1e16).rounded()
            guard centis >= 1 && centis <= 4095 else {
                reader.error(token.location, "advert_int \(token.text) out of range 0.01-40.95 (VRRP version 3)")
                return false
            }
            inst.advertInterval = .milliseconds(Int64(centis) * 10)
        }
        return true
    }

    mutating func finishUnicast(_ inst: inout VRRPInstanceConfig) -> Bool {
        var ok = true
        if let src = inst.unicastSource, src.family != inst.family {
            reader.error(inst.location, "vrrp_instance \(inst.name): unicast_src_ip \(src) is not of the instance's family")
            ok = false
        }
        for p in inst.unicastPeers where p.family != inst.family {
            reader.error(inst.location, "vrrp_instance \(inst.name): unicast_peer \(p) is not of the instance's family")
            ok = false
        }
        if inst.checkUnicastSource && inst.unicastPeers.isEmpty {
            reader.warn(inst.location, "vrrp_instance \(inst.name): check_unicast_src without unicast_peer; ignored")
            inst.checkUnicastSource = false
        }
        return ok
    }

    mutating func finishAuthentication(_ inst: inout VRRPInstanceConfig, pending: PendingInstance) -> Bool {
        guard let (type, pass) = pending.auth else { return true }
        switch type.text {
        case "PASS":
            guard let pass, !pass.text.isEmpty else {
                reader.error(type.location, "authentication: auth_type PASS needs auth_pass")
                return false
            }
            if inst.version == 3 {
                reader.warn(type.location, "vrrp_instance \(inst.name): VRRP version 3 has no authentication; ignored")
                return true
            }
            var bytes = Array(pass.text.utf8.prefix(8))
            if pass.text.utf8.count > 8 {
                reader.warn(pass.location, "auth_pass: only the first 8 characters are used ('\(String(decoding: bytes, as: UTF8.self))')")
            }
            bytes += Array(repeating: 0, count: 8 - bytes.count)
            inst.authentication = .password(bytes)
            return true
        case "AH":
            reader.error(type.location, "authentication: auth_type AH is not supported by swiftvs (RFC 3768 removed it; use PASS or none)")
            return false
        default:
            reader.error(type.location, "authentication: unknown auth_type '\(type.text)' (PASS or AH)")
            return false
        }
    }

    /// keepalived's rules: an owner (255) always preempts; nopreempt and preempt_delay need
    /// `state BACKUP`.
    mutating func finishPreemption(_ inst: inout VRRPInstanceConfig) {
        if inst.priority == 255 && inst.nopreempt {
            reader.warn(inst.location, "vrrp_instance \(inst.name): nopreempt is ignored with priority 255 (the address owner)")
            inst.nopreempt = false
        }
        if inst.initialState == .master && (inst.nopreempt || inst.preemptDelay > .zero) {
            reader.warn(inst.location, "vrrp_instance \(inst.name): nopreempt and preempt_delay need 'state BACKUP'; ignored")
            inst.nopreempt = false
            inst.preemptDelay = .zero
        }
    }
}
