import Foundation
import Testing

/// `--netns NAME`: the daemon started on the host runs its VRRP (sockets, addresses) in the
/// namespace, every one of its threads is there, its metrics answer on the host's loopback
/// where `--metrics` said, and status and check-config take the option.
@Suite("Metrics: the daemon with --netns (namespaces, root)", .serialized,
       .enabled(if: MetricsGate.ready, "needs root, ip netns, curl, python3 and a built swiftvs-healthd"))
struct MetricsNamespaceTests {
    @Test func daemonRunsInTheNamespaceAndAnswersWhereTold() async throws {
        let d = try MetricsDaemon(viaNetnsOption: true)
        defer { d.close() }
        // MASTER means the instance found mx0, which exists only in the namespace; the scrape
        // comes through the host's loopback.
        try await d.awaitMaster()
        try await awaitCondition("the VIP in the namespace", within: .seconds(5)) {
            try check(["ip", "-n", d.namespace, "-4", "addr", "show", "dev", "mx0"]).contains("192.0.2.100/24")
        }
        #expect(!(try check(["ip", "-4", "addr", "show"])).contains("192.0.2.100/"))
        // Every thread of the daemon is in the namespace.
        let pid = try #require(d.pid)
        let target = try FileManager.default.attributesOfItem(atPath: "/run/netns/\(d.namespace)")[.systemFileNumber] as? Int
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")
        #expect(!tasks.isEmpty)
        for t in tasks {
            let ns = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/task/\(t)/ns/net")
            #expect(ns == "net:[\(target ?? -1)]", "thread \(t) is in \(ns)")
        }
        let status = try check([Binaries.swiftvs, "status", "--netns", d.namespace, "--control", d.controlPath])
        #expect(status.contains("vrrp_instance VI_1  MASTER"), "\(status)")
        let ok = try run([Binaries.swiftvs, "check-config", "--netns", d.namespace, d.configPath])
        #expect(ok.status == 0, "\(ok.out)")
        let missing = try run([Binaries.swiftvs, "check-config", "--netns", "mx-no-such-namespace", d.configPath])
        #expect(missing.status == 1)
        #expect(missing.out.contains("network namespace 'mx-no-such-namespace': open /run/netns/mx-no-such-namespace: No such file or directory"),
                "\(missing.out)")
    }
}
