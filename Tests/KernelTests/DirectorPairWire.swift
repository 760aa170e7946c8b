import Foundation

extension Kernel.DirectorPairKernelTests {
    /// What tcpdump sees on one director's eth0, with the kernel's timestamps (`-tt`): the VRRP
    /// adverts it receives and sends, and the ARP announcements of the VIP. A failover's timing
    /// is read from here, not from the test's polling (a process per sample, seconds late when
    /// the VM is busy) nor from the moment the test sent a signal (the daemon's reaction to it
    /// is not VRRP's business): what the protocol fixes is the time between packets.
    struct Wire: Sendable {
        let path: String

        /// One advert: when, from whom (the IPv4 source), with which priority.
        struct Advert: Sendable, Equatable { var time: Double; var source: String; var priority: Int }

        /// Starts tcpdump in the director's namespace and returns once it listens.
        static func start(on d: String) async throws -> Wire {
            let wire = Wire(path: "\(work)/wire-\(d).txt")
            // The files are made in the foreground: the background job's own redirections may
            // run after the shell returns. So a read that fails below is the test's failure,
            // not "not listening yet".
            try await Kernel.DaemonKernelTests.shell("""
                : >\(wire.path); : >\(wire.path).err
                ip netns exec swvp-\(d) tcpdump -i eth0 -nn -tt -l -Z root 'ip proto 112 or arp' </dev/null >>\(wire.path) 2>>\(wire.path).err &
                """)
            let listening = try await until(within: .seconds(20)) { try wire.read("\(wire.path).err").contains("listening on") }
            guard listening else { throw SetupError(message: "tcpdump in swvp-\(d) does not listen: \(quoted("\(wire.path).err"))") }
            return wire
        }

        /// The capture as data: a capture that cannot be read fails the test (read as empty, it
        /// would show "no priority 0 on the wire" where nothing was looked at).
        func read(_ file: String) throws -> String { try String(contentsOfFile: file, encoding: .utf8) }

        /// The last `n` lines captured, for failure messages.
        func tail(_ n: Int = 40) -> String {
            let lines = quoted(path).split(separator: "\n")
            return "--- tcpdump on eth0, last \(min(n, lines.count)) of \(lines.count) lines ---\n" + lines.suffix(n).joined(separator: "\n")
        }

        /// Every VRRP advert captured so far, oldest first. tcpdump's line for one:
        /// `1733400000.123456 IP 192.0.2.2 > 192.0.2.3: VRRPv2, Advertisement, vrid 51, prio 150, …`.
        func adverts() throws -> [Advert] {
            try read(path).split(separator: "\n").compactMap { line in
                let f = line.split(separator: " ")
                guard f.count > 4, f[1] == "IP", line.contains(" VRRPv"), let time = Double(f[0]),
                      let p = f.firstIndex(of: "prio"), p + 1 < f.count,
                      let priority = Int(f[p + 1].trimmingCharacters(in: CharacterSet(charactersIn: ","))) else { return nil }
                return Advert(time: time, source: String(f[2]), priority: priority)
            }
        }

        /// When the VIP was announced (a gratuitous ARP request or reply for it), oldest first:
        /// `… ARP, Request who-has VIP tell VIP, …` or `… ARP, Reply VIP is-at MAC, …`.
        func announcements() throws -> [Double] {
            try read(path).split(separator: "\n").compactMap { line in
                guard line.contains(" ARP, "), line.contains("tell \(vip),") || line.contains("Reply \(vip) is-at") else { return nil }
                return line.split(separator: " ").first.flatMap { Double($0) }
            }
        }

        /// Waits (at most `limit`) for the handover from `old` to `new` after `since`: the new
        /// master's first advert and its announcement, with the old master's last adverts
        /// before. The announcement is the first after `since`, not the first after the advert:
        /// the daemon sends the advert first, but a unicast advert waits on the new master for
        /// the peer's address to be resolved (ARP) when its neighbour table is empty, as after
        /// its link came back, while the broadcast announcement leaves at once (seen in the VM:
        /// d1's ARP request for d2, d2's reply, d1's announcements, then d1's advert 0.2 ms after
        /// them).
        func handover(from old: String, to new: String, since: Double, within limit: Duration) async throws -> Handover {
            let (oldIP, newIP) = (directors[old]!, directors[new]!)
            var h = Handover()
            // Not seen within the limit: the fields stay nil, and each caller's expectation on
            // them says which packet the wire lacks.
            _ = try await until(within: limit) {
                let adverts = try adverts()
                h.priorityZero = adverts.first { $0.source == oldIP && $0.priority == 0 && $0.time >= since }?.time
                let end = h.priorityZero ?? since
                h.lastAdvert = adverts.last { $0.source == oldIP && $0.priority > 0 && $0.time <= end }?.time
                h.newMaster = adverts.first { $0.source == newIP && $0.time >= since }?.time
                h.announced = h.newMaster == nil ? nil : try announcements().first { $0 >= since }
                return h.announced != nil
            }
            return h
        }
    }
}
