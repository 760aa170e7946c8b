#if canImport(Glibc)
import Glibc
#endif
@testable import EventLoop
import Testing

/// `swiftvs daemon` with a VRRP instance it cannot run says why and exits 1: a missing
/// interface, and no CAP_NET_RAW (the same daemon run as `nobody`).
@Suite("Daemon: VRRP start-up errors")
struct VRRPStartupErrorTests {
    static let canDropPrivileges = getuid() == 0 && access("/usr/bin/setpriv", X_OK) == 0

    func config(interface: String) throws -> (TempDir, String) {
        let dir = try TempDir()
        let file = try dir.write("vrrp.conf", """
            vrrp_instance VI_1 {
                interface \(interface)
                virtual_router_id 51
                virtual_ipaddress {
                    198.51.100.39/24
                }
            }
            """)
        return (dir, file)
    }

    func runDaemon(_ prefix: [String], file: String, dir: TempDir) async throws -> CheckOutcome {
        let swiftvs = try siblingExecutable("swiftvs")
        let runner = ProcessRunner(reactor: testReactor, outputLimit: 1 << 16)
        return await runner.run(.exec(prefix + [swiftvs, "daemon", "--config", file, "--no-state",
                                                "--control", dir.path + "/control.sock"]), timeout: .seconds(30))
    }

    @Test func missingInterfaceIsExplained() async throws {
        let (dir, file) = try config(interface: "nosuch0")
        let out = try await runDaemon([], file: file, dir: dir)
        #expect(out.termination == .exited(1), "\(out.outputText)")
        #expect(out.outputText.contains("swiftvs: daemon: vrrp_instance VI_1: find interface nosuch0: No such device"), "\(out.outputText)")
    }

    @Test(.enabled(if: canDropPrivileges, "needs root and setpriv to run the daemon as nobody"))
    func missingCapabilityIsExplained() async throws {
        let (dir, file) = try config(interface: "lo")
        _ = chmod(dir.path, 0o777)
        let out = try await runDaemon(["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"], file: file, dir: dir)
        #expect(out.termination == .exited(1), "\(out.outputText)")
        #expect(out.outputText.contains("Operation not permitted"), "\(out.outputText)")
        #expect(out.outputText.contains("VRRP needs CAP_NET_RAW and CAP_NET_ADMIN"), "\(out.outputText)")
    }
}
