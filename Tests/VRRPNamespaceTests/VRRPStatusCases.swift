import Foundation
import NetworkModel
import Testing

/// `swiftvs status` and `status --json` against the running pair (issue 16): state, configured
/// and effective priority with the weights, the master's address, the last transition, counters.
enum VRRPStatusCases {
    static func status() async throws {
        let s = try await VRRPScenario(implementations: [.swiftvs, .swiftvs], priorities: [100, 110])
        defer { s.teardown() }
        let e = try await VRRPCases.elect(s)
        _ = try await s.awaitAdvert(from: "n2", after: e.held + 1.1, within: .seconds(3))
        let n1 = try #require(s.node("n1") as? SwiftvsNode), n2 = try #require(s.node("n2") as? SwiftvsNode)

        let t2 = try n2.status(), t1 = try n1.status()
        print("[vrrp] status n2:\n\(t2)[vrrp] status n1:\n\(t1)")
        #expect(t2.contains("vrrp_instance VI_1  MASTER  on eth0 vrid 51"), "\(t2)")
        #expect(t2.contains("priority 130 (configured 110; script chk +20)"), "\(t2)")
        #expect(t2.contains("master 198.51.100.12") && t2.contains("last transition BACKUP -> MASTER"), "\(t2)")
        #expect(t1.contains("vrrp_instance VI_1  BACKUP") && t1.contains("priority 120 (configured 100; script chk +20)"), "\(t1)")
        #expect(t1.contains("master 198.51.100.12"), "n1 names the master it hears\n\(t1)")

        let j2 = try n2.statusInstance(), j1 = try n1.statusInstance()
        #expect(j2["state"] as? String == "MASTER" && j2["priority"] as? Int == 130 && j2["configured_priority"] as? Int == 110)
        let weights = j2["weights"] as? [[String: Any]] ?? []
        #expect(weights.count == 1 && weights.first?["tracker"] as? String == "script chk" && weights.first?["weight"] as? Int == 20, "\(weights)")
        #expect(j2["master"] as? String == "198.51.100.12" && j1["master"] as? String == "198.51.100.12")
        #expect((j2["last_transition"] as? String)?.hasPrefix("BACKUP -> MASTER") == true, "\(j2)")
        // The transition's wall-clock time is the election's (the first advert on the wire).
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let at = (j2["last_transition_at"] as? String).flatMap { formatter.date(from: $0) }
        let firstAdvert = try await s.firstAdvert(from: "n2").time
        let skew = try #require(at, "last_transition_at \(j2["last_transition_at"] ?? "-")").timeIntervalSince1970 - firstAdvert
        #expect(abs(skew) < 0.1, "last_transition_at \(j2["last_transition_at"] ?? "-") vs the first advert at \(firstAdvert)")
        #expect(j2["advert_int"] as? Double == 1 || j2["advert_int"] as? Int == 1, "advert_int \(j2["advert_int"] ?? "-")")
        let sentOnWire = try s.adverts(from: "n2").count
        let sent = j2["adverts_sent"] as? Int ?? -1, received = j1["adverts_received"] as? Int ?? -1
        #expect(sent >= 2 && abs(sent - sentOnWire) <= 1, "adverts_sent \(sent), on the wire \(sentOnWire)")
        #expect(received >= 2 && abs(received - sentOnWire) <= 1, "n1 adverts_received \(received), on the wire \(sentOnWire)")
        #expect(j1["state"] as? String == "BACKUP" && (j1["adverts_rejected"] as? [Any])?.isEmpty == true)

        // The script fails: the effective priority and the weights follow.
        try FileManager.default.removeItem(atPath: s.topology.path("n2.ok"))
        _ = try await s.awaitAdvert(from: "n2", after: WallClock.now(), priority: 110, within: .seconds(3))
        let lowered = try n2.statusInstance()
        #expect(lowered["priority"] as? Int == 110 && (lowered["weights"] as? [Any])?.isEmpty == true, "\(lowered)")
        print(String(format: "[vrrp] status: last_transition_at %+.3f s from the first advert on the wire", skew))
        print("[vrrp] status: n2 sent \(sent) (wire \(sentOnWire)), n1 received \(received); after chk fails: priority \(lowered["priority"] ?? "-")")
    }
}
