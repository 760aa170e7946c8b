import Foundation
import NetworkModel
import Testing

/// Configuration mismatches between the two nodes (issue 16; interop notes case 6): each side
/// rejects the other's adverts with its reason and both become MASTER (dual master, as keepalived).
enum VRRPMismatch: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case advertInterval = "advert_int"
    case addressCount = "address count"
    case authType = "auth type"

    var testDescription: String { rawValue }

    /// What n2's instance gets (n1 keeps the scenario's: advert_int 1, one VIP, PASS).
    func apply(_ instance: inout VRRPInstanceSpec) {
        switch self {
        case .advertInterval: instance.advertInterval = 2
        case .addressCount: instance.virtualAddresses.append("198.51.100.40/24")
        case .authType: instance.authPass = nil
        }
    }

    /// swiftvs's rejection cause (`status`) and the start of its log line when it is n1 (its
    /// configuration is the scenario's; the peer's is the changed one).
    var cause: String {
        switch self {
        case .advertInterval: "interval-mismatch"
        case .addressCount: "address-count-mismatch"
        case .authType: "auth-type-mismatch"
        }
    }

    var n1Message: String {
        switch self {
        case .advertInterval: "advertisement interval mismatch mine=1 sec rcv'd=2 sec"
        case .addressCount: "received an unexpected ip number count 2, expected 1!"
        case .authType: "received a 0 auth, expecting 1!"
        }
    }
}

enum VRRPMismatchCases {
    /// Both nodes become MASTER; swiftvs logs the rejection with its reason, once, and its
    /// `status` counts rejections under the cause; keepalived (when it is the peer) logs its own.
    static func mismatch(_ kind: VRRPMismatch, _ impls: [VRRPImplementation]) async throws {
        let s = try await VRRPScenario(implementations: impls, priorities: [100, 110]) { _, i, instance in
            if i == 1 { kind.apply(&instance) }
        }
        defer { s.teardown() }
        let tag = "\(kind.rawValue) mismatch (\(VRRPCases.label(impls)))"
        try await s.node("n2").start()
        let n1Started = WallClock.now()
        try await s.node("n1").start()
        let limit = Duration.seconds(VRRPTiming.masterDown(priority: 120) + 4)
        let both = try await s.awaitHolders("held by both nodes", within: limit) { $0 == ["n1", "n2"] }
        // Two more adverts of each swiftvs node: still both MASTER. (keepalived 2.2.7 as master
        // with advert_int 2 stops advertising while it rejects an advert every second; that is
        // its own behaviour, so only swiftvs's adverts are awaited.)
        for node in s.nodes where node is SwiftvsNode {
            _ = try await s.awaitAdvert(from: node.node.name, after: both.time + 2.1, within: .seconds(4))
        }
        #expect(try s.sampler.intervals(from: both.time).allSatisfy { $0.holders == ["n1", "n2"] }, "\(s.diagnostics())")

        let n1 = try #require(s.node("n1") as? SwiftvsNode)
        let rejections = n1.log().split(whereSeparator: \.isNewline).filter { $0.contains("rejected:") }
        #expect(rejections.count == 1 && rejections[0].contains(kind.n1Message),
                "one rejection line with the reason: \(rejections)\n\(n1.log())")
        let text = try n1.status()
        let rejected = try #require(try n1.statusInstance()["adverts_rejected"] as? [[String: Any]])
        let count = rejected.first { $0["cause"] as? String == kind.cause }?["count"] as? Int ?? 0
        #expect(text.contains("MASTER") && text.contains("rejected: \(kind.cause) "), "\(text)")
        // Every advert of n2 that reached n1 is counted (keepalived 2.2.7 as master may send
        // only one here: see above).
        let peerAdverts = try s.adverts(from: "n2").filter { $0.time > n1Started }.count
        #expect(rejected.count == 1 && count >= 1 && count <= peerAdverts && count >= peerAdverts - 1,
                "status json adverts_rejected \(rejected); n2 sent \(peerAdverts) since n1 started")
        let peer = s.node("n2")
        let peerLines = peer.log().split(whereSeparator: \.isNewline).filter {
            $0.contains("rejected:") || $0.contains("mismatch") || $0.contains("count") || $0.contains("auth")
        }
        #expect(peer.logCount("Entering MASTER STATE") >= 1, "\(peer.log())")
        print("[vrrp] \(tag): both MASTER; n1 (swiftvs): \(rejections.first ?? "-") — status \(kind.cause) \(count); n2 (\(peer.implementation)): \(peerLines.prefix(2).joined(separator: " | "))")
    }
}
