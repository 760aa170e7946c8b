import Testing
@testable import Director
import DaemonMetrics
import IPVSModel

@Suite("Metrics: --metrics addresses, request heads, exposition")
struct MetricsParsingTests {
    @Test func addresses() throws {
        let v4 = try MetricsAddress(parsing: "127.0.0.1:9540"), v6 = try MetricsAddress(parsing: "[::1]:9540")
        #expect(v4.address == IPAddress("127.0.0.1") && v4.port == 9540)
        #expect(v6.address == IPAddress("::1") && v6.port == 9540)
        #expect(try MetricsAddress(parsing: "[2001:db8::1]:80").description == "[2001:db8::1]:80")
        for bad in ["::1:9540", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "[::1]9540", "[127.0.0.1]:1", "host:80", "[::1:80"] {
            #expect(throws: MetricsAddress.ParseError.self, "\(bad)") { try MetricsAddress(parsing: bad) }
        }
        let e = try #require(throws: MetricsAddress.ParseError.self) { try MetricsAddress(parsing: "::1:9540") }
        #expect(e.description.contains("an IPv6 address goes in brackets"))
    }

    @Test func requestHeads() {
        #expect(HTTPRequestHead.parse(Array("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
                == .complete(HTTPRequestHead(method: "GET", path: "/metrics")))
        #expect(HTTPRequestHead.parse(Array("GET /metrics?x=1 HTTP/1.0\n\n".utf8))
                == .complete(HTTPRequestHead(method: "GET", path: "/metrics")))
        #expect(HTTPRequestHead.parse(Array("GET /metrics HTTP/1.1\r\nHost: x\r\n".utf8)) == .incomplete)
        #expect(HTTPRequestHead.parse(Array("\u{16}\u{03}\u{01}garbage\r\n\r\n".utf8)) == .malformed)
        #expect(HTTPRequestHead.parse(Array("GET metrics HTTP/1.1\r\n\r\n".utf8)) == .malformed)
        #expect(HTTPRequestHead.parse(Array("get / HTTP/1.1\r\n\r\n".utf8)) == .malformed)
    }

    @Test func ipvsLabelsAsNodeExporter() {
        let tcp = ServiceKey.address(.tcp, IPAddress("192.0.2.100")!, port: 80)
        #expect(IPVSLabels.destination(tcp, address: IPAddress("192.0.2.11")!, port: 80).map { "\($0.0)=\($0.1)" }
                == ["local_address=192.0.2.100", "local_port=80", "local_mark=", "proto=TCP", "remote_address=192.0.2.11", "remote_port=80"])
        #expect(IPVSLabels.service(.fwmark(80, family: .inet)).map { "\($0.0)=\($0.1)" }
                == ["local_address=", "local_port=0", "local_mark=80", "proto=FWM"])
    }

    @Test func ipvsCountersAreTheKernels64BitValues() {
        let key = ServiceKey.fwmark(80, family: .inet)
        var stats = Stats()
        stats.connections = 5_000_000_000
        stats.inBytes = UInt64(Int64.max) - 1
        var d = DestinationEntry(destination: Destination(address: IPAddress("192.0.2.11")!), activeConnections: 3, inactiveConnections: 4)
        d.stats.inPackets = 7
        let text = IPVSMetrics.text([ServiceEntry(service: Service(key: key, scheduler: "lc"), stats: stats, destinations: [d])])
        #expect(text.contains(#"swiftvs_ipvs_service_connections_total{local_address="",local_port="0",local_mark="80",proto="FWM"} 5000000000"#))
        #expect(text.contains(#"swiftvs_ipvs_service_incoming_bytes_total{local_address="",local_port="0",local_mark="80",proto="FWM"} 9223372036854775806"#))
        #expect(text.contains(#"swiftvs_ipvs_backend_incoming_packets_total{local_address="",local_port="0",local_mark="80",proto="FWM",remote_address="192.0.2.11",remote_port="0"} 7"#))
        #expect(text.contains(#"swiftvs_ipvs_backend_connections_active{local_address="",local_port="0",local_mark="80",proto="FWM",remote_address="192.0.2.11",remote_port="0"} 3"#))
        #expect(text.contains("# TYPE swiftvs_ipvs_backend_weight gauge"))
    }

    @Test func configHash() {
        var a = ConfigHash()
        a.add(text: "vrrp_instance")
        var b = ConfigHash()
        b.add(text: "vrrp_instancf")
        #expect(a.hex.count == 16)
        #expect(a.hex != b.hex)
        #expect(ConfigHash().hex == "cbf29ce484222325")
        // FNV-1a 64's published vectors; two adds are the hash of the text they make together.
        var fnv = ConfigHash()
        fnv.add(text: "a")
        #expect(fnv.hex == "af63dc4c8601ec8c")
        fnv.add(text: "bc")
        var whole = ConfigHash()
        whole.add(text: "abc")
        #expect(fnv.hex == whole.hex && whole.hex == "e71fa2190541574b")
    }
}
