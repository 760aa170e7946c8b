import Foundation
import Testing

extension VRRPNamespace {
    /// The rest of issue 16's namespace tests with `swiftvs daemon`: elections in trios,
    /// preemption, tracking, mismatches, VIP continuity, restart after kill -9, SIGHUP, protocol
    /// variants and `swiftvs status`. Mixed groups where keepalived's behaviour is the reference.
    @Suite("swiftvs VRRP behaviour in namespaces", .serialized,
           .enabled(if: HarnessGate.ready, "needs root, ip netns, /usr/sbin/keepalived and tcpdump"),
           .enabled(if: SwiftvsBinary.vrrpSupported, Comment(rawValue: SwiftvsBinary.vrrpUnsupportedReason ?? "")))
    struct SwiftvsVRRPBehaviourTests {
        static let pairs: [[VRRPImplementation]] = [[.swiftvs, .swiftvs], [.keepalived, .swiftvs]]
        /// all-keepalived first: the reference the others must match.
        static let trios: [[VRRPImplementation]] = [[.keepalived, .keepalived, .keepalived], [.swiftvs, .swiftvs, .swiftvs],
                                                   [.swiftvs, .swiftvs, .keepalived]]

        @Test("trio 200/100/50: the highest priority is elected and preempts", arguments: trios)
        func electionByPriority(_ impls: [VRRPImplementation]) async throws { try await VRRPElectionCases.priority(impls) }

        @Test("trio with equal priorities: the highest address stays MASTER", arguments: trios)
        func electionTie(_ impls: [VRRPImplementation]) async throws { try await VRRPElectionCases.tie(impls) }

        @Test("nopreempt: the restarted higher priority stays BACKUP", arguments: pairs)
        func nopreempt(_ impls: [VRRPImplementation]) async throws { try await VRRPPreemptionCases.nopreempt(impls) }

        @Test("preempt_delay 3: the higher priority takes over about 3 s later", arguments: pairs)
        func preemptDelay(_ impls: [VRRPImplementation]) async throws { try await VRRPPreemptionCases.preemptDelay(impls) }

        @Test("track_script fails and recovers: the master moves and comes back; notify in order", arguments: pairs)
        func trackScript(_ impls: [VRRPImplementation]) async throws { try await VRRPTrackingCases.trackScript(impls) }

        @Test("track_interface and the primary interface down → FAULT, up → MASTER again")
        func trackInterface() async throws { try await VRRPTrackingCases.trackInterface([.swiftvs, .swiftvs]) }

        @Test("vrrp_sync_group: one member's fault takes the group to FAULT; both VIPs move and come back together",
              arguments: [[VRRPImplementation.keepalived, .keepalived], [.swiftvs, .swiftvs], [.keepalived, .swiftvs]])
        func syncGroup(_ impls: [VRRPImplementation]) async throws { try await VRRPSyncGroupCases.faultMovesTheGroup(impls) }

        @Test("mismatch: rejected with the reason, both MASTER, counted in status",
              arguments: VRRPMismatch.allCases, [[VRRPImplementation.swiftvs, .keepalived], [.swiftvs, .swiftvs]])
        func mismatch(_ kind: VRRPMismatch, _ impls: [VRRPImplementation]) async throws {
            try await VRRPMismatchCases.mismatch(kind, impls)
        }

        @Test("cold start, clean stop, restart, crash: one holder outside takeovers; GARP bursts", arguments: pairs)
        func continuity(_ impls: [VRRPImplementation]) async throws { try await VRRPContinuityCases.sequence(impls) }

        @Test("restart after kill -9: the stale VIP goes at start, never a second holder", arguments: pairs)
        func restartAfterKill(_ impls: [VRRPImplementation]) async throws { try await VRRPContinuityCases.restartAfterKill(impls) }

        @Test("SIGHUP with an unchanged configuration: no transition, no gap, no GARP")
        func reloadUnchanged() async throws { try await VRRPContinuityCases.reloadUnchanged([.swiftvs, .swiftvs]) }

        @Test("the first vrrp_instance added by SIGHUP runs, and the event loop turns real-time")
        func firstInstanceByReload() async throws { try await VRRPReloadCases.firstInstanceByReload() }

        @Test("a reload that blocks longer than the peer's Master_Down_Interval: the master keeps advertising, no takeover",
              arguments: [[VRRPImplementation.swiftvs, .swiftvs], [.keepalived, .swiftvs]])
        func slowReload(_ impls: [VRRPImplementation]) async throws { try await VRRPContinuityCases.slowReload(impls) }

        @Test("protocol variants: cold start and crash", arguments: VRRPVariant.allCases, [[VRRPImplementation.swiftvs, .swiftvs], [.swiftvs, .keepalived]])
        func variant(_ variant: VRRPVariant, _ impls: [VRRPImplementation]) async throws {
            try await VRRPVariantCases.coldStartAndCrash(variant, impls)
        }

        @Test("an instance that cannot be set up: the reason, exit 1, promptly", arguments: VRRPStartupFailureCases.Fault.allCases)
        func startupFailure(_ fault: VRRPStartupFailureCases.Fault) async throws {
            try await VRRPStartupFailureCases.exitsWithTheReason(fault)
        }

        @Test("swiftvs status and status --json")
        func status() async throws { try await VRRPStatusCases.status() }
    }
}
