import KeepalivedConfig
import Testing

/// A second semantic pass (what VRRP's will be) over the same statement tree, through the public
/// API of KeepalivedConfig alone: the document, the statements and the value readers.
@Suite("KeepalivedConfig: ConfigDocument and StatementReader")
struct StatementReaderTests {
    let text = """
        vrrp_instance VI_1 {
            priority 300
            advert_int 0.5
            nopreempt maybe
            unicast_src_ip 198.51.100.1x
            notify_master "/usr/local/bin/notify master" nobody
        }
        include missing.conf
        """

    @Test("the tree and the language's own diagnostics come from one load")
    func loadGivesTreeAndDiagnostics() throws {
        let doc = ConfigDocument.load(file: "/etc/k.conf", fileSystem: InMemoryFileSystem(files: ["/etc/k.conf": text]))
        #expect(doc.statements.map(\.keyword.text) == ["vrrp_instance"])
        let block = try #require(doc.statements.first?.block)
        #expect(block.map(\.keyword.text) == ["priority", "advert_int", "nopreempt", "unicast_src_ip", "notify_master"])
        #expect(doc.diagnostics.map(\.description) == ["/etc/k.conf:8:9: include file not found: /etc/missing.conf"])
    }

    @Test("each reader's value and its diagnostic at the exact token")
    func readersReportAtTheToken() throws {
        let doc = ConfigDocument.load(file: "/etc/k.conf", fileSystem: InMemoryFileSystem(files: ["/etc/k.conf": text]))
        let block = try #require(doc.statements.first?.block)
        var reader = StatementReader(diagnostics: doc.diagnostics)
        let priority = reader.integer(block[0], 1...255)
        let advert = reader.timer(block[1], allowZero: false)
        let nopreempt = reader.flag(block[2])
        let sourceToken = reader.arg(block[3])
        let source = sourceToken.flatMap { reader.address($0, what: "source") }
        let notify = reader.scriptLine(block[4])
        #expect(priority == nil)
        #expect(advert == .milliseconds(500))
        #expect(nopreempt == nil)
        #expect(sourceToken?.text == "198.51.100.1x")
        #expect(source == nil)
        #expect(notify == ScriptLine(text: "/usr/local/bin/notify master", user: "nobody"))
        #expect(reader.diagnostics.map(\.description) == [
            "/etc/k.conf:8:9: include file not found: /etc/missing.conf",
            "/etc/k.conf:2:14: priority 300 out of range 1-255",
            "/etc/k.conf:4:15: nopreempt: expected on|off|true|false|yes|no, got 'maybe'",
            "/etc/k.conf:5:20: invalid source address '198.51.100.1x'",
        ])
    }
}
