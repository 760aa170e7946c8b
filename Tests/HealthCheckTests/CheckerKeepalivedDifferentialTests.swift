#if canImport(Glibc)
import Glibc
#endif
@testable import HealthCheck
import Testing

/// The checker blocks of this branch against Debian's keepalived 2.2.7: `keepalived -t` and
/// swiftvs's configuration check agree on accepting or refusing each file. The one deliberate
/// difference: a BFD_CHECK naming no bfd_instance, which keepalived refuses and swiftvs
/// ignores with a warning (BFD is not implemented).
@Suite("checker blocks: accept/refuse as keepalived -t",
       .enabled(if: access("/usr/sbin/keepalived", X_OK) == 0 && getuid() == 0, "needs /usr/sbin/keepalived and root"))
struct CheckerKeepalivedDifferentialTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var top = ""
        var checker: String
        var after = ""
        var accepted: Bool
        var description: String { name }
        var text: String {
            top + "virtual_server 192.0.2.1 443 {\n lb_algo rr\n lb_kind DR\n protocol TCP\n real_server 192.0.2.10 443 {\n"
                + checker + " }\n}\n" + after
        }
    }

    static let cases: [Case] = [
        Case(name: "every new checker", top: "SSL {\n ca /etc/ssl/ca.pem\n certificate /etc/ssl/c.pem\n key /etc/ssl/c.key\n password pw\n}\ntrack_file rs1 {\n file /run/rs1\n weight 10 reverse\n init_file 3 overwrite\n}\n",
             checker: "SSL_GET {\n url {\n path /\n digest 5d41402abc4b2a76b9719d911017c592\n }\n virtualhost www.example.test\n enable_sni\n fwmark 7\n}\nSMTP_CHECK {\n helo_name mx.example.test\n host {\n connect_ip 192.0.2.11\n connect_port 587\n }\n}\nDNS_CHECK {\n type AAAA\n name www.example.test\n}\nUDP_CHECK {\n payload 30 26 02 01\n require_reply 30 X6\n max_reply_length 1000\n}\nFILE_CHECK {\n track_file rs1\n weight 2 noreverse\n}\n",
             accepted: true),
        Case(name: "enable_sni false", checker: "SSL_GET {\n url {\n path /\n }\n enable_sni false\n}\n", accepted: true),
        Case(name: "vrrp_track_file", top: "vrrp_track_file t {\n file /run/t\n}\n", checker: "FILE_CHECK {\n track_file t\n}\n", accepted: true),
        Case(name: "track_file undefined", checker: "FILE_CHECK {\n track_file nope\n}\n", accepted: false),
        Case(name: "track_file after its use", checker: "FILE_CHECK {\n track_file t\n}\n", after: "track_file t {\n file /run/t\n}\n", accepted: false),
        Case(name: "DNS type PTR", checker: "DNS_CHECK {\n type PTR\n}\n", accepted: false),
        Case(name: "DNS empty label", checker: "DNS_CHECK {\n name a..b\n}\n", accepted: false),
        Case(name: "UDP bad hex", checker: "UDP_CHECK {\n payload zz\n}\n", accepted: false),
        Case(name: "UDP min > max", checker: "UDP_CHECK {\n min_reply_length 5\n max_reply_length 4\n}\n", accepted: false),
        Case(name: "two SSL blocks", top: "SSL {\n ca /a\n}\nSSL {\n}\n", checker: "SSL_GET {\n url {\n path /\n }\n}\n", accepted: false),
        Case(name: "SSL ca twice", top: "SSL {\n ca /a\n ca /b\n}\n", checker: "SSL_GET {\n url {\n path /\n }\n}\n", accepted: false),
        Case(name: "helo_name without a name", checker: "SMTP_CHECK {\n helo_name\n}\n", accepted: false),
        Case(name: "helo_name in a host block", checker: "SMTP_CHECK {\n host {\n helo_name x\n }\n}\n", accepted: false),
        Case(name: "track_file without file", top: "track_file t {\n weight 3\n}\n", checker: "", accepted: false),
        Case(name: "track_file weight 300", top: "track_file t {\n file /run/t\n weight 300\n}\n", checker: "", accepted: false),
        Case(name: "FILE_CHECK weight option", top: "track_file t {\n file /run/t\n}\n", checker: "FILE_CHECK {\n track_file t\n weight 2 sideways\n}\n", accepted: false),
        Case(name: "init_file 500", top: "track_file t {\n file /run/swiftvs-never\n init_file 500\n}\n", checker: "FILE_CHECK {\n track_file t\n}\n", accepted: false),
    ]

    @Test(arguments: cases)
    func sameVerdict(_ c: Case) throws {
        let dir = try TempDir()
        let file = try dir.write("keepalived.conf", c.text)
        let keepalived = PeerProcess.run(["/usr/sbin/keepalived", "-t", "-f", file])
        let swiftvs = ConfigParser.check(text: c.text, file: file)
        #expect((keepalived == 0) == c.accepted, "keepalived -t exit \(keepalived)")
        #expect(!swiftvs.hasErrors == c.accepted, "\(swiftvs.diagnostics.map(\.description))")
    }
}
