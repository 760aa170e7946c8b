import Foundation

/// Whether this host can run the namespace tests: root, iproute2 with `ip netns`, keepalived and
/// tcpdump. Suites use `.enabled(if: HarnessGate.ready, …)` so a host without them shows SKIPPED.
enum HarnessGate {
    static let ip = "/usr/sbin/ip"
    static let keepalived = "/usr/sbin/keepalived"
    static let tcpdump = "/usr/bin/tcpdump"

    static let isRoot = geteuid() == 0

    /// `ip netns list` works (needs root and a kernel with network namespaces).
    static let hasNetns: Bool = {
        guard FileManager.default.isExecutableFile(atPath: ip) else { return false }
        return (try? Command.run([ip, "netns", "list"]).status) == 0
    }()

    static let hasKeepalived = FileManager.default.isExecutableFile(atPath: keepalived)
    static let hasTcpdump = FileManager.default.isExecutableFile(atPath: tcpdump)

    /// Everything the keepalived baseline needs.
    static let ready = isRoot && hasNetns && hasKeepalived && hasTcpdump
}
