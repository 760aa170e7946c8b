import Testing
import Director
import EventLoop
@testable import HealthCheck

/// What `swiftvs check-config` prints for a configuration it accepts.
@Suite struct CheckConfigSummaryTests {
    private static let path = "/etc/swiftvs/swiftvs.conf"

    private func summary(_ text: String) throws -> String {
        let r = DirectorCheckResult.check(file: Self.path, fileSystem: InMemoryFileSystem(files: [Self.path: text], executables: ["/bin/true"]),
                                          configID: "d1")
        return try #require(r.config, "\(r.diagnostics.map(\.description))").summary
    }

    @Test func checkersAreCountedByKindInTheOrderMet() throws {
        let text = """
        virtual_server 192.0.2.1 80 {
          protocol TCP
          real_server 192.0.2.11 80 {
            TCP_CHECK {
            }
            HTTP_GET {
              url {
                path /
              }
            }
          }
          real_server 192.0.2.12 80 {
            TCP_CHECK {
            }
            MISC_CHECK {
              misc_path /usr/bin/missing
            }
          }
        }
        virtual_server fwmark 80 {
          real_server 192.0.2.13 {
            PING_CHECK {
            }
          }
        }
        """
        #expect(try summary(text) == "2 virtual servers, 3 real servers, 5 checkers (2 TCP_CHECK, 1 HTTP_GET, 1 MISC_CHECK, 1 PING_CHECK; 1 disabled)")
    }

    @Test func theVRRPHalfIsCountedWhenThereIsOne() throws {
        let text = """
        vrrp_script chk {
          script /bin/true
        }
        vrrp_instance VI_1 {
          interface eth0
          virtual_router_id 51
          virtual_ipaddress {
            192.0.2.100/24
          }
          track_script {
            chk
          }
        }
        """
        #expect(try summary(text) == "0 virtual servers, 0 real servers, 0 checkers, 1 vrrp instances, 1 vrrp scripts")
        #expect(try summary("virtual_server 192.0.2.1 80 {\n protocol TCP\n}\n") == "1 virtual servers, 0 real servers, 0 checkers")
    }
}

/// `swiftvs check-config` itself: the file by argument or `--config`, `--config-id`, the summary.
@Suite struct CheckConfigCommandTests {
    @Test func configIDAndConfigOption() async throws {
        let swiftvs = try siblingExecutable("swiftvs")
        let dir = try TempDir()
        let file = try dir.write("pair.conf", """
        @d1 $W=3
        @d2 $W=w
        virtual_server 192.0.2.1 80 {
          protocol TCP
          ~SEQ(N, 11, 12) real_server 192.0.2.$N 80 { weight $W }
        }
        """)
        let runner = ProcessRunner(reactor: testReactor, outputLimit: 1 << 16)
        let d1 = await runner.run(.exec([swiftvs, "check-config", "--config-id", "d1", "--config", file]), timeout: .seconds(30))
        #expect(d1.termination == .exited(0))
        #expect(d1.outputText == "\(file): OK: 1 virtual servers, 2 real servers, 0 checkers\n", "\(d1.outputText)")
        let d2 = await runner.run(.exec([swiftvs, "check-config", file, "--config-id", "d2"]), timeout: .seconds(30))
        #expect(d2.termination == .exited(2))
        #expect(d2.outputText.contains("\(file):5:54: weight: invalid number 'w' (in $W defined at \(file):2:8, ~SEQ N=11 at \(file):5:3)"), "\(d2.outputText)")
        let both = await runner.run(.exec([swiftvs, "check-config", file, "--config", file]), timeout: .seconds(30))
        #expect(both.termination != .exited(0))
    }
}
