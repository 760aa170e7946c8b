import Foundation
import NetworkModel

/// tcpdump on the topology's bridge, in the switch namespace: every VRRP advert (IPv4 and IPv6),
/// every ARP and every ICMPv6 neighbour advertisement, written unbuffered (-U) to a pcap file
/// that is decoded on demand. `init` returns once tcpdump says it is listening.
final class WireCapture: @unchecked Sendable {
    static let filter = "ip proto 112 or ip6 proto 112 or arp or (icmp6 and ip6[40] == 136)"

    let pcapPath: String
    private let process: ManagedProcess

    init(on topology: Topology, label: String = "capture") async throws {
        pcapPath = topology.path("\(label).pcap")
        process = try topology.start(
            [HarnessGate.tcpdump, "-i", topology.bridge, "-nn", "-U", "--immediate-mode", "-s", "512",
             "-w", pcapPath, Self.filter],
            in: topology.switchNamespace, label: label)
        try await awaitCondition("tcpdump on \(topology.switchNamespace) to listen", within: .seconds(5)) { [process] in
            guard process.isRunning else {
                throw HarnessError(code: .notRunning, operation: "start tcpdump", object: topology.bridge,
                                   detail: process.output())
            }
            return process.output().contains("listening on")
        }
    }

    deinit { stop() }

    /// Stops tcpdump (SIGTERM flushes the file); the events stay readable.
    func stop() {
        if process.isRunning { try? process.signal(SIGTERM) }
    }

    /// Everything captured so far, decoded.
    func events() throws -> (adverts: [AdvertEvent], announcements: [AnnouncementEvent]) {
        guard let data = FileManager.default.contents(atPath: pcapPath) else { return ([], []) }
        return try WirePackets.decode(pcap: [UInt8](data))
    }

    /// Adverts so far, oldest first.
    func adverts() throws -> [AdvertEvent] { try events().adverts }

    /// GARPs and NAs so far, oldest first.
    func announcements() throws -> [AnnouncementEvent] { try events().announcements }

    /// Waits for the first advert at or after `after` that matches.
    func awaitAdvert(_ what: String, after: Double = 0, within limit: Duration,
                     where match: @escaping (AdvertEvent) -> Bool = { _ in true }) async throws -> AdvertEvent {
        try await awaitValue("an advert \(what) on the wire", within: limit) {
            try adverts().first { $0.time >= after && match($0) }
        }
    }

    /// Waits for the first GARP/NA for `address` at or after `after`.
    func awaitAnnouncement(of address: IPAddress, after: Double = 0, within limit: Duration) async throws -> AnnouncementEvent {
        try await awaitValue("a gratuitous ARP/NA for \(address)", within: limit) {
            try announcements().first { $0.time >= after && $0.senderIP == address }
        }
    }

    /// A readable listing of everything captured, for failure messages.
    func transcript() -> String {
        guard let e = try? events() else { return "(capture unreadable)" }
        return (e.adverts.map { ($0.time, $0.description) } + e.announcements.map { ($0.time, $0.description) })
            .sorted { $0.0 < $1.0 }.map(\.1).joined(separator: "\n")
    }
}
