import Testing
@testable import KeepalivedConfig

/// keepalived 2.2.7 reads its files with `fgets` into a 1,024-byte buffer (lib/parser.c,
/// `read_line`, MAXBUF): a line of 1,023 bytes or more arrives in pieces of 1,023 bytes, each
/// read as a line of its own. swiftvs reads them the same way, and says so at each piece.
@Suite("keepalived.conf lines of 1,023 bytes or more")
struct LongLineTests {
    private func load(_ text: String) -> ConfigDocument {
        ConfigDocument.load(file: "k.conf", fileSystem: InMemoryFileSystem(files: ["k.conf": text]), configID: "d1")
    }

    @Test func aLineOf1022BytesIsWhole() {
        let doc = load("a " + String(repeating: "x", count: 1020) + "\nb\n")
        #expect(doc.diagnostics.isEmpty)
        #expect(doc.statements.map(\.keyword.text) == ["a", "b"])
        #expect(doc.statements[0].args.first?.text.count == 1020)
    }

    /// The second piece of a comment is configuration, at the column where it is in the line.
    @Test func aCommentsSecondPieceIsRead() {
        let doc = load("# " + String(repeating: "x", count: 1021) + "global_defs {\n router_id r1\n}\n")
        #expect(doc.statements.map(\.keyword.text) == ["global_defs"])
        #expect(doc.statements.first?.keyword.location.description == "k.conf:1:1024")
        #expect(doc.statements.first?.block?.map(\.keyword.text) == ["router_id"])
        #expect(doc.diagnostics.map(\.description) == ["k.conf:1:1024: warning: line longer than 1022 bytes: keepalived 2.2.7 reads it in pieces of 1023 bytes, so a new line starts here (split the line to keep its meaning)"])
    }

    /// Pieces of 1,023 bytes each, however long the line; a quote does not reach past its piece.
    @Test func everyPieceIsALineOfItsOwn() {
        let word = String(repeating: "w", count: 1022)
        let doc = load("\(word) \(word) \"q\(word)\n")
        // 3,070 bytes: pieces at bytes 0, 1023, 2046 and 3069 (the quoted word's last "w").
        #expect(doc.statements.map(\.keyword.location.column) == [1, 1024, 2047, 3070])
        #expect(doc.statements.map { $0.keyword.text.count } == [1022, 1022, 1022, 1])
        #expect(doc.diagnostics.contains { $0.message == "unterminated quoted string" && $0.location.column == 2047 })
    }

    /// A line of exactly 1,023 bytes: its newline comes as an empty line, which ends a
    /// multi-line definition (so the line after it is not part of it); at 1,022 bytes it is.
    @Test func aLineOf1023BytesEndsAMultiLineDefinition() {
        func keywords(continuation: Int) -> [String] {
            let line = "a" + String(repeating: " ", count: continuation - 2) + "\\"
            #expect(line.utf8.count == continuation)
            return load("$D=x \\\n\(line)\nb\n\nuse $D\n").statements.map(\.keyword.text)
        }
        #expect(keywords(continuation: 1022) == ["use", "a", "b"])
        #expect(keywords(continuation: 1023) == ["b", "use", "a"])
    }
}
