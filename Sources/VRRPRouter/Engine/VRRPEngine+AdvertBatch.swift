import HostNetwork

extension VRRPEngine {
    /// Runs one pass (a timer sweep, a receive socket drained) with its adverts gathered and
    /// handed to the kernel together at its end, one sendmmsg per send socket: a master's 100
    /// adverts that fall due at one sweep are one system call instead of 100, and reach the
    /// peers together (a backup then reads them in one wake-up, where adverts sent one by one
    /// woke it for each). Nothing is reordered: any other effect of the state machine (an
    /// address added, an announcement, a state change) sends what is gathered first.
    func gatheringAdverts<E: Error>(_ pass: () throws(E) -> Void) throws(E) {
        let outer = outgoing.gathering
        outgoing.gathering = true
        defer {
            outgoing.gathering = outer
            if !outer { flushAdverts() }
        }
        try pass()
    }

    /// Queues `r`'s advert at `priority` (built once per priority, then restamped: see
    /// `VirtualRouter.appendAdvert`); sent now unless a pass gathers.
    func queueAdvert(_ r: VirtualRouter, priority: UInt8) {
        if let sender = outgoing.sender, sender !== r.sender { flushAdverts() }
        outgoing.sender = r.sender
        let before = outgoing.batch.count
        r.appendAdvert(priority: priority, to: &outgoing.batch)
        for _ in before..<outgoing.batch.count { outgoing.routers.append(r) }
        if !outgoing.gathering { flushAdverts() }
    }

    /// Sends what is gathered; each router's send errors are reported on it (once per text),
    /// and a router whose datagrams all went has its last error cleared, as one send at a time did.
    func flushAdverts() {
        guard let sender = outgoing.sender, !outgoing.batch.isEmpty else { return outgoing.clear() }
        let failures = sender.socket.send(outgoing.batch)
        var next = failures.startIndex
        for (i, r) in outgoing.routers.enumerated() {
            if next < failures.endIndex, failures[next].index == i {
                report(r, "send advert to \(outgoing.batch.destinationAddresses[i]): \(failures[next].error)")
                next += 1
            } else {
                r.lastError = nil
            }
        }
        outgoing.clear()
    }
}
