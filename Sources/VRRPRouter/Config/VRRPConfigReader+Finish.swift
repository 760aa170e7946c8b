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
        dropOtherFamily(&inst)
        finishPriority(&inst, pending: pending)
        ok = finishVersion(&inst, pending: pending) && ok
        ok = finishUnicast(&inst) && ok
        ok = finishAuthentication(&inst, pending: pending) && ok
        finishPreemption(&inst)
        dropOwnInterfaceTrack(&inst)
        return ok
    }

    /// An advert carries addresses of one family, the first address's. keepalived drops the
    /// others with a configuration error; `virtual_ipaddress_excluded` is where they belong.
    mutating func dropOtherFamily(_ inst: inout VRRPInstanceConfig) {
        let first = inst.virtualAddresses[0].address
        for v in inst.virtualAddresses where v.address.family != inst.family {
            reader.error(v.location, "vrrp_instance \(inst.name): \(v.address) is not of the family of the instance's first address \(first); put it in virtual_ipaddress_excluded")
        }
        inst.virtualAddresses.removeAll { $0.address.family != inst.family }
    }

    /// keepalived's defaults, each from the other: `state MASTER` without a priority is the
    /// address owner (255), else 100; priority 255 without a state starts as MASTER, else BACKUP.
    mutating func finishPriority(_ inst: inout VRRPInstanceConfig, pending: PendingInstance) {
        if let p = pending.priority {
            inst.priority = p
        } else if pending.state == .master {
            reader.warn(inst.location, "vrrp_instance \(inst.name): state MASTER without 'priority' makes it the address owner (priority 255), as in keepalived")
            inst.priority = 255
        }
        inst.initialState = pending.state ?? (inst.priority == 255 ? .master : .backup)
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
            inst.advertInterval = wholeSeconds(interval, token)
            return true
        }
        guard let v = tenMillisecondSteps(interval, token) else { return false }
        inst.advertInterval = v
        return true
    }

    /// v2 advertises whole seconds: rounded half up, at least 1 (keepalived's rounding).
    mutating func wholeSeconds(_ interval: Duration, _ token: Token) -> Duration {
        let seconds = max(1, (interval.seconds).rounded())
        if Duration.seconds(seconds) != interval {
            reader.warn(token.location, "advert_int \(token.text): VRRP version 2 uses whole seconds; using \(Int(seconds))")
        }
        return .seconds(seconds)
    }

    /// v3 advertises centiseconds, 1-4095: rounded half up to a 10 ms step.
    mutating func tenMillisecondSteps(_ interval: Duration, _ token: Token) -> Duration? {
        let centis = (interval.seconds * 100).rounded()
        guard centis >= 1 && centis <= 4095 else {
            reader.error(token.location, "advert_int \(token.text) out of range 0.01-40.95 (VRRP version 3)")
            return nil
        }
        let value = Duration.milliseconds(Int64(centis) * 10)
        if value != interval {
            let c = Int(centis)
            reader.warn(token.location, "advert_int \(token.text): VRRP version 3 uses 10 ms steps; using \(c / 100).\(c % 100 < 10 ? "0" : "")\(c % 100)")
        }
        return value
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
            // Said only where the instance asked for it, not for global_defs' default.
            if !config.globals.checkUnicastSource {
                reader.warn(inst.location, "vrrp_instance \(inst.name): check_unicast_src without unicast_peer; ignored")
            }
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
                reader.warn(pass.location, "auth_pass: only the first 8 bytes are used ('\(String(decoding: bytes, as: UTF8.self))')")
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
    /// `state BACKUP`; preempt_delay means nothing without preemption.
    mutating func finishPreemption(_ inst: inout VRRPInstanceConfig) {
        if inst.priority == 255 && inst.nopreempt {
            reader.warn(inst.location, "vrrp_instance \(inst.name): nopreempt is ignored with priority 255 (the address owner)")
            inst.nopreempt = false
        }
        if inst.initialState == .master && inst.nopreempt {
            reader.warn(inst.location, "vrrp_instance \(inst.name): nopreempt needs 'state BACKUP'; ignored")
            inst.nopreempt = false
        }
        if inst.initialState == .master && inst.preemptDelay > .zero {
            reader.warn(inst.location, "vrrp_instance \(inst.name): preempt_delay needs 'state BACKUP'; ignored")
            inst.preemptDelay = .zero
        }
        if inst.nopreempt && inst.preemptDelay > .zero {
            reader.warn(inst.location, "vrrp_instance \(inst.name): preempt_delay has no effect with nopreempt; ignored")
            inst.preemptDelay = .zero
        }
    }

    /// The instance's own interface is tracked already; keepalived drops it from the list.
    mutating func dropOwnInterfaceTrack(_ inst: inout VRRPInstanceConfig) {
        for t in inst.trackInterfaces where t.name == inst.interface {
            reader.warn(t.location, "track_interface \(t.name) is the instance's own interface; ignored")
        }
        inst.trackInterfaces.removeAll { $0.name == inst.interface }
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
