import Testing
import Director
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
