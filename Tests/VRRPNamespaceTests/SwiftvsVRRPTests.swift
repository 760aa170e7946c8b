import Foundation
import Testing

extension VRRPNamespace {
    /// The same cases with `swiftvs daemon` on one or both nodes (issue 16). Skipped, with the reason
    /// `swiftvs check-config` gives, while the daemon does not take vrrp_instance blocks.
    @Suite("swiftvs VRRP in namespaces", .serialized,
           .enabled(if: HarnessGate.ready, "needs root, ip netns, /usr/sbin/keepalived and tcpdump"),
           .enabled(if: SwiftvsBinary.vrrpSupported,
                    Comment(rawValue: "swiftvs daemon does not run vrrp_instance yet: \(SwiftvsBinary.vrrpUnsupportedReason ?? "")")))
    struct SwiftvsVRRPTests {
        /// All-swiftvs, then swiftvs as backup under a keepalived master, then as master over a
        /// keepalived backup.
        static let groups: [[VRRPImplementation]] = [[.swiftvs, .swiftvs], [.swiftvs, .keepalived], [.keepalived, .swiftvs]]

        @Test("cold start: the group elects what keepalived elects", arguments: groups)
        func coldStart(_ impls: [VRRPImplementation]) async throws { try await VRRPCases.coldStart(impls) }

        @Test("clean stop: priority 0, takeover within skew", arguments: groups)
        func cleanStop(_ impls: [VRRPImplementation]) async throws { try await VRRPCases.cleanStop(impls) }

        @Test("crash: takeover within Master_Down_Interval", arguments: groups)
        func crash(_ impls: [VRRPImplementation]) async throws { try await VRRPCases.crash(impls) }

        @Test("password mismatch: rejected, both MASTER", arguments: groups)
        func passwordMismatch(_ impls: [VRRPImplementation]) async throws { try await VRRPCases.passwordMismatch(impls) }
    }
}
