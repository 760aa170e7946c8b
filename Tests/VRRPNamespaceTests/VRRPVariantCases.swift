import Foundation
import NetworkModel
import Testing

/// Protocol variants of the pair of `VRRPCases` (issue 16): VRRPv3 at advert_int 0.1 over IPv4
/// unicast, v3 over IPv6 unicast, v2 multicast.
enum VRRPVariant: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case v3Fast = "v3 advert_int 0.1"
    case v3IPv6 = "v3 IPv6"
    case v2Multicast = "v2 multicast"

    var testDescription: String { rawValue }
    var version: Int { self == .v2Multicast ? 2 : 3 }
    var advertInterval: Double { self == .v3Fast ? 0.1 : 1 }

    func masterDown(_ priority: Int) -> Double {
        VRRPTiming.masterDown(priority: priority, advertInterval: advertInterval, version: version)
    }

    func scenario(_ impls: [VRRPImplementation]) async throws -> VRRPScenario {
        switch self {
        case .v3Fast:
            try await VRRPScenario(implementations: impls, priorities: [100, 110]) { _, _, instance in
                instance.version = 3
                instance.advertInterval = 0.1
            }
        case .v3IPv6: try await VRRPScenario(implementations: impls, priorities: [100, 110], ipv6: true)
        case .v2Multicast: try await VRRPScenario(implementations: impls, priorities: [100, 110], multicast: true)
        }
    }
}

enum VRRPVariantCases {
    /// Cold start (n2 elected, its adverts and announcements as the variant says, one holder),
    /// then kill -9 of n2: n1's first advert comes MDI(120) after n2's last one.
    static func coldStartAndCrash(_ variant: VRRPVariant, _ impls: [VRRPImplementation]) async throws {
        let s = try await variant.scenario(impls)
        defer { s.teardown() }
        let tag = "\(variant.rawValue) (\(VRRPCases.label(impls)))"
        let e = try await VRRPCases.elect(s)
        let first = try await s.firstAdvert(from: "n2")
        let mdi130 = variant.masterDown(130)
        // At advert_int 0.1 the first advert can come before chk's first result (priority 110),
        // so the fields are checked on an advert once n2 holds the VIP.
        let steady = try await s.awaitAdvert(from: "n2", after: e.held, within: .seconds(2))
        #expect(steady.version == variant.version && steady.vrid == 51 && steady.priority == 130, "\(steady)")
        #expect(first.version == variant.version && first.vrid == 51)
        // IPv6 unicast goes with the kernel's default hop limit (64), as keepalived's without
        // unicast_ttl; everything else with 255.
        #expect(first.ttl == (variant == .v3IPv6 ? 64 : 255), "\(first)")
        #expect(abs(first.advertInterval - variant.advertInterval) < 0.001 && first.addresses == [s.vipAddress])
        let expectedDestination: IPAddress = variant == .v2Multicast ? IPAddress("224.0.0.18")! : s.address(of: "n1")
        #expect(first.destination == expectedDestination, "\(first)")
        if variant.version == 3 { #expect(first.authType == nil) }
        let announcement = try await s.wire.awaitAnnouncement(of: s.vipAddress, within: .seconds(2))
        #expect(announcement.senderMAC == s.node("n2").node.mac)
        #expect(announcement.kind == (variant == .v3IPv6 ? .neighborAdvert : .arpRequest))
        // Twenty adverts' worth (2 s at 0.1) or two: n2 alone, n1 silent.
        _ = try await s.awaitAdvert(from: "n2", after: e.held + max(2, 2 * variant.advertInterval), within: .seconds(4))
        #expect(try s.sampler.intervals(from: e.held).allSatisfy { $0.holders == ["n2"] }, "\(s.diagnostics())")
        #expect(try s.adverts(from: "n1").isEmpty, "n1 stays BACKUP\n\(s.diagnostics())")
        let sent = try s.adverts(from: "n2").filter { $0.time >= first.time }
        let spacing = zip(sent.dropFirst(), sent).map { $0.time - $1.time }.sorted()
        let medianSpacing = spacing.isEmpty ? 0 : spacing[spacing.count / 2]
        if s.node("n2") is SwiftvsNode {   // keepalived's own spacing is only printed
            #expect(abs(medianSpacing - variant.advertInterval) < 0.02 + variant.advertInterval * 0.05, "advert spacing \(medianSpacing)")
        }

        let killed = WallClock.now()
        try s.node("n2").crash()
        let mdi = variant.masterDown(120)
        let takeover = try await s.awaitAdvert(from: "n1", after: killed, within: .seconds(mdi + 2))
        let last = try #require(try s.adverts(from: "n2").last { $0.time <= killed })
        let gap = takeover.time - last.time
        print(String(format: "[vrrp] %@: first advert %.3f s after n2's start (MDI(130) %.3f s), advert spacing median %.3f s; crash: n2's last advert → n1's first %.3f s (MDI(120) %.3f s)",
                     tag, first.time - e.n2Started, mdi130, medianSpacing, gap, mdi))
        #expect(gap >= mdi - 0.02 && gap <= mdi + 0.15, "takeover gap \(gap) s, MDI \(mdi) s\n\(s.diagnostics())")
        #expect(takeover.version == UInt8(variant.version) && takeover.priority == 120)
        try await s.awaitHolders("held by n1 (and the stale n2)", within: .seconds(2)) { $0.contains("n1") }
    }
}
