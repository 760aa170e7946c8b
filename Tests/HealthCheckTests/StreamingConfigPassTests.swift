import Testing
@testable import Director
@testable import HealthCheck
import KeepalivedConfig
import VRRPRouter

private let path = "/etc/keepalived/keepalived.conf"

/// The LVS pass read block by block as the file is (`LVSConfigPass` over
/// `ConfigDocument.load(…taking:)`) gives what the pass over the whole tree gave: the same
/// configuration and the same diagnostics in the same order, whatever comes after what.
@Suite("keepalived.conf read block by block")
struct StreamingConfigPassTests {
    /// A group and the SSL block after the virtual servers that use them, track files before
    /// and after a FILE_CHECK, an include, a `{` on the line after its keyword, VRRP blocks,
    /// unknown keywords and errors in several blocks and files.
    static let text = """
    global_defs {
      router_id lb1
    }
    track_file early {
      file /tmp/swsc-early
    }
    virtual_server group later {
      delay_loop 5
      lb_kind DR
      real_server 192.0.2.10 80 {
        FILE_CHECK {
          track_file early
        }
        FILE_CHECK {
          track_file late
        }
      }
    }
    virtual_server 192.0.2.1 443
    {
      lb_algo nope
    \(Self.sslGetRealServer)
    }
    include /etc/keepalived/more.conf
    \(Self.zeroTimeoutServer)
    track_file late {
      file /tmp/swsc-late
    }
    virtual_server_group later {
      192.0.2.100 80
      192.0.2.300 80
    }
    SSL {
      ca /etc/ssl/ca.pem
    }
    vrrp_instance VI_1 {
      state MASTER
      interface eth0
      virtual_router_id 51
      priority 100
      virtual_ipaddress {
        192.0.2.200
      }
    }
    no_such_block {
    }
    virtual_server 192.0.2.1 443 {
      real_server 192.0.2.13 443 {
      }
    }
    """
    /// The real server with an SSL_GET the cases share (inside a virtual_server block).
    static let sslGetRealServer = """
      real_server 192.0.2.11 443 {
        SSL_GET {
          url {
            path /
            status_code 200
          }
        }
      }
    """
    /// A virtual server whose TCP_CHECK has an error (connect_timeout 0) on its line 4.
    static let zeroTimeoutServer = """
    virtual_server 192.0.2.2 80 {
      real_server 192.0.2.12 80 {
        TCP_CHECK {
          connect_timeout 0
        }
      }
    }
    """
    static let included = """
    virtual_server fwmark 7 {
      real_server 192.0.2.14 {
        MISC_CHECK {
          misc_path /bin/true
        }
      }
      bogus_keyword
    }
    unknown_top 1
    """

    static func files(_ main: String = text) -> InMemoryFileSystem {
        InMemoryFileSystem(files: [path: main, "/etc/keepalived/more.conf": included], executables: ["/bin/true"])
    }

    static func wholeTree(_ fs: InMemoryFileSystem, otherPasses: Set<String> = []) -> ConfigCheckResult {
        ConfigParser.check(document: ConfigDocument.load(file: path, fileSystem: fs, configID: "lb1"), fileSystem: fs,
                           otherPasses: otherPasses)
    }

    @Test func sameDiagnosticsAndConfigurationAsTheWholeTree() throws {
        let fs = Self.files()
        let whole = Self.wholeTree(fs)
        let streamed = ConfigParser.check(file: path, fileSystem: fs, configID: "lb1")
        #expect(!whole.diagnostics.isEmpty)
        #expect(streamed.diagnostics.map(\.description) == whole.diagnostics.map(\.description))
        #expect(streamed.config == whole.config)
        // Both go through the same pass: what it must say, whichever way it is fed. The group
        // defined after its virtual server is found; that virtual server's FILE_CHECK still
        // sees only the track file defined before it; the included file's come after the
        // main file's.
        let messages = streamed.diagnostics.map(\.description)
        #expect(!messages.contains { $0.contains("unknown virtual_server_group") }, "\(messages)")
        #expect(messages.contains("\(path):15:18: track_file late not found"), "\(messages)")
        #expect(messages.contains("\(path):44:3: invalid virtual_server_group address or range '192.0.2.300'"), "\(messages)")
        #expect(messages.last == "/etc/keepalived/more.conf:9:1: unknown keyword 'unknown_top'", "\(messages)")
    }

    /// Without errors (so the configuration is compared, not only nil): the virtual server
    /// that names a group defined after it and the SSL_GET before the SSL block.
    @Test func sameConfigurationWhenItHasNoError() throws {
        let main = """
        virtual_server group g {
          lb_kind DR
          real_server 192.0.2.10 80 {
            TCP_CHECK {
              connect_timeout 3
            }
          }
        }
        virtual_server 192.0.2.1 443 {
        \(Self.sslGetRealServer)
        }
        virtual_server_group g {
          192.0.2.100 80
        }
        SSL {
          ca /etc/ssl/ca.pem
        }
        virtual_server 192.0.2.2 80 {
          real_server 192.0.2.12 80 {
          }
        }
        """
        let fs = Self.files(main)
        let whole = Self.wholeTree(fs)
        let streamed = ConfigParser.check(file: path, fileSystem: fs, configID: "lb1")
        let config = try #require(streamed.config, "\(streamed.errors)")
        #expect(config == whole.config)
        #expect(streamed.diagnostics.map(\.description) == whole.diagnostics.map(\.description))
        #expect(config.virtualServers.map(\.location.line) == [1, 9, 25])
        guard case let .http(http) = config.virtualServers[1].realServers[0].checkers[0].kind else {
            Issue.record("not an SSL_GET: \(config.virtualServers[1].realServers[0].checkers[0].kind)")
            return
        }
        #expect(http.ssl?.ca == "/etc/ssl/ca.pem")
    }

    /// A virtual server with an SSL_GET is read as it comes, whether the `SSL` block comes
    /// after it or not at all: it does not wait for the end of the file (its statement is gone
    /// when the next is offered), its SSL_GET still has the SSL block's settings, and the
    /// result is the whole tree's.
    @Test(arguments: [true, false]) func anSSLGetIsReadAsItComes(sslBlockAfter: Bool) throws {
        let main = """
        virtual_server 192.0.2.1 443 {
          lb_algo nope
        \(Self.sslGetRealServer)
        }
        \(Self.zeroTimeoutServer)

        """ + (sslBlockAfter ? "SSL {\n  ca /etc/ssl/ca.pem\n}\n" : "")
        let fs = Self.files(main)
        var pass = LVSConfigPass(fileSystem: fs)
        weak var first: Statement?
        var offered = 0
        var firstHeldAtTheNext: Bool?
        let document = ConfigDocument.load(file: path, fileSystem: fs, configID: "lb1") { st in
            if offered == 0 { first = st } else if offered == 1 { firstHeldAtTheNext = first != nil }
            offered += 1
            return pass.take(st)
        }
        let streamed = pass.finish(document: document)
        #expect(firstHeldAtTheNext == false, "the SSL_GET's virtual server waited for the end of the file")
        let whole = Self.wholeTree(fs)
        #expect(streamed.diagnostics.map(\.description) == whole.diagnostics.map(\.description))
        let lines = streamed.diagnostics.map(\.location.line)
        #expect(lines == lines.sorted() && lines.contains(2) && lines.contains(15), "in the file's order: \(streamed.diagnostics)")
        // Without the error, the configuration: the SSL block's settings reach the SSL_GET.
        let valid = main.replacingOccurrences("  lb_algo nope\n", "").replacingOccurrences("connect_timeout 0", "connect_timeout 3")
        let config = try #require(ConfigParser.check(file: path, fileSystem: Self.files(valid), configID: "lb1").config)
        #expect(config == Self.wholeTree(Self.files(valid)).config)
        guard case let .http(http) = config.virtualServers[0].realServers[0].checkers[0].kind else {
            Issue.record("not an SSL_GET: \(config.virtualServers[0].realServers[0].checkers[0].kind)")
            return
        }
        #expect(http.tls)
        #expect(http.ssl?.ca == (sslBlockAfter ? "/etc/ssl/ca.pem" : nil))
    }

    /// The daemon's read (both passes): the same as the LVS pass over the whole tree plus the
    /// VRRP pass over the same tree.
    @Test func directorCheckMatchesBothPassesOverTheWholeTree() {
        let fs = Self.files()
        let document = ConfigDocument.load(file: path, fileSystem: fs, configID: "lb1")
        let lvs = ConfigParser.check(document: document, fileSystem: fs, otherPasses: VRRPConfigReader.ownedKeywords)
        let vrrp = VRRPConfigReader.read(document)
        let expected = ConfigParser.sortedBySource(lvs.diagnostics + vrrp.diagnostics.dropFirst(document.diagnostics.count))
        let streamed = DirectorCheckResult.check(file: path, fileSystem: fs, configID: "lb1")
        #expect(streamed.diagnostics.map(\.description) == expected.map(\.description))
    }

    /// Each top-level statement is offered once it is finished, in file order, and one taken is
    /// not held by the reader: the statement offered before is gone when the next comes (the
    /// tree is never whole). A `{` on the next line still opens the block of the statement
    /// before it.
    @Test func statementsAreOfferedAsTheyEndAndNotKept() {
        let main = (0..<50).map { "virtual_server 192.0.2.\($0 + 1) 80\n{\n  real_server 192.0.2.200 80 {\n  }\n}\n" }.joined()
            + "global_defs {\n}\n"
        weak var previous: Statement?
        var offered: [String] = []
        var heldAtOffer = 0
        let document = ConfigDocument.load(file: path, fileSystem: Self.files(main), configID: "lb1") { st in
            if previous != nil { heldAtOffer += 1 }
            offered.append(st.keyword.text)
            #expect(st.keyword.text != "virtual_server" || st.block?.count == 1)
            guard st.keyword.text == "virtual_server" else { return false }
            previous = st
            return true
        }
        #expect(offered == Array(repeating: "virtual_server", count: 50) + ["global_defs"])
        #expect(heldAtOffer == 0)
        #expect(document.statements.map(\.keyword.text) == ["global_defs"])
        #expect(document.diagnostics.isEmpty)
    }
}
