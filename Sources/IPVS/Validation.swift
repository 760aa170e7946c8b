/// Checks made before anything is sent, so the kernel never sees a value it would refuse
/// for a reason we can name precisely.
enum Validation {
    static let schedulerNameMax = 15   // IP_VS_SCHEDNAME_MAXLEN - 1
    static let peNameMax = 15          // IP_VS_PENAME_MAXLEN - 1
    static let interfaceNameMax = 15   // IP_VS_IFNAME_MAXLEN - 1

    static func check(_ request: Request) throws(IPVSError) {
        let problem: String?
        switch request {
        case let .change(c):
            return try check(c)
        case let .getService(k), let .dumpDestinations(k):
            problem = keyProblem(k)
        case let .startDaemon(d):
            if d.interface.isEmpty {
                problem = "Empty multicast interface name"
            } else if d.interface.utf8.count > interfaceNameMax {
                problem = "Interface name \"\(d.interface)\" is longer than \(interfaceNameMax) characters"
            } else {
                problem = nil
            }
        default:
            problem = nil
        }
        // The operation and object only for an error.
        if let problem { throw IPVSError.invalid(request.operation, request.object, problem) }
    }

    /// The same checks for a table change, without making a request of it first (a batch
    /// checks every change before sending any).
    static func check(_ change: Change) throws(IPVSError) {
        try withUnsafePointer(to: change) { (p) throws(IPVSError) in try check(p) }
    }

    /// `check` of a change read where it lies (see `Connection.encode`).
    static func check(_ change: UnsafePointer<Change>) throws(IPVSError) {
        let problem: String?
        switch change.pointee {
        case let .addService(s), let .editService(s): problem = serviceProblem(s)
        case let .addDestination(d, k), let .editDestination(d, k): problem = destinationProblem(d, in: k)
        case let .deleteService(k), let .deleteDestination(_, k): problem = keyProblem(k)
        case let .zero(k): problem = k.flatMap(keyProblem)
        case .flush: problem = nil
        }
        if let problem {
            let request = Request.change(change.pointee)
            throw IPVSError.invalid(request.operation, request.object, problem)
        }
    }

    static func keyProblem(_ key: ServiceKey) -> String? {
        if case let .fwmark(mark, _) = key, mark == 0 { return "Invalid firewall mark 0: must be 1 to 4294967295" }
        return nil
    }

    static func serviceProblem(_ s: Service) -> String? {
        if let problem = keyProblem(s.key) { return problem }
        if s.scheduler.isEmpty { return "Empty scheduler name" }
        if s.scheduler.utf8.count > schedulerNameMax {
            return "Scheduler name \"\(s.scheduler)\" is longer than \(schedulerNameMax) characters"
        }
        if let pe = s.persistenceEngine, pe.utf8.count > peNameMax {
            return "Persistence engine name \"\(pe)\" is longer than \(peNameMax) characters"
        }
        if s.key.family == .inet6, !(1...128).contains(s.netmask) {
            return "Invalid IPv6 persistence netmask /\(s.netmask): must be 1 to 128"
        }
        if s.flags.rawValue & ~ServiceFlags.settable.rawValue != 0 {
            return "Invalid service flags 0x\(String(s.flags.rawValue, radix: 16))"
        }
        return nil
    }

    static func destinationProblem(_ d: Destination, in k: ServiceKey) -> String? {
        if let problem = keyProblem(k) { return problem }
        if d.weight < 0 || d.weight > 65535 { return "Invalid weight \(d.weight): must be 0 to 65535" }
        if d.lowerThreshold > d.upperThreshold {
            return "Lower threshold \(d.lowerThreshold) is above upper threshold \(d.upperThreshold)"
        }
        if d.address.isZero { return "Invalid destination address \(d.address)" }
        if case let .tunnel(t) = d.forwarding, t.kind == .gue, t.port == 0 {
            return "A GUE tunnel needs a tunnel port (--tun-port)"
        }
        if case .tunnel = d.forwarding {} else if d.address.family != k.family {
            return "Mixed address families: an \(k.family == .inet ? "IPv4" : "IPv6") service takes an \(d.address.family == .inet ? "IPv4" : "IPv6") destination only with tunnelling (-i)"
        }
        return nil
    }
}
