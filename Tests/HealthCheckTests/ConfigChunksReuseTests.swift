import Testing
import KeepalivedConfig

/// `ConfigChunks.split(_:previous:chunks:)` (a reload's cut, which takes the unchanged start
/// and end of the file from the last cut) gives exactly what cutting the whole new text gives,
/// for every kind of edit a reload sees.
@Suite("keepalived.conf chunks: a reload cuts only what changed")
struct ConfigChunksReuseTests {
    static func block(_ i: Int, weight: String = "1", servers: Int = 2, braceOnNextLine: Bool = false) -> String {
        var s = "virtual_server 192.0.2.\(i + 1) 80" + (braceOnNextLine ? "\n{\n" : " {\n") + "  lb_algo rr\n"
        for r in 0..<servers { s += "  real_server 198.51.100.\(r + 1) 80 {\n    weight \(weight)\n    TCP_CHECK {\n      connect_timeout 3\n    }\n  }\n" }
        return s + "}\n"
    }

    static let head = "# a director\n\nglobal_defs {\n  router_id lb\n}\n"

    /// Each edit: a name and the new text, made from the base's blocks.
    static func edits() -> [(String, String)] {
        let blocks = (0..<12).map { block($0) }
        func file(_ b: [String], head: String = head) -> String { head + b.joined() }
        var out: [(String, String)] = []
        var b = blocks; b[5] = block(5, servers: 3); out.append(("a real server added in the middle", file(b)))
        b = blocks; b[0] = block(0, weight: "7"); out.append(("the first block changed", file(b)))
        b = blocks; b[11] = block(11, weight: "7"); out.append(("the last block changed", file(b)))
        b = blocks; b.remove(at: 4); out.append(("a block removed", file(b)))
        b = blocks; b.insert(block(40), at: 7); out.append(("a block added", file(b)))
        b = blocks; b[3] += "\n\n# a comment\n"; out.append(("blank and comment lines after a block", file(b)))
        b = blocks; b[6] = block(6, braceOnNextLine: true); out.append(("a brace moved to the next line", file(b)))
        b = blocks; b[2] = block(1); out.append(("a block made the same as the one before", file(b)))
        b = blocks; out.append(("nothing changed", file(b)))
        b = blocks; b[8] += "}\n"; out.append(("an unbalanced brace", file(b)))
        b = blocks; b[8] += "include /etc/other.conf\n"; out.append(("an include", file(b)))
        b = blocks; b[9] = block(9, weight: "$W"); out.append(("a substitution", file(b)))
        b = blocks; out.append(("the header changed", file(b, head: "global_defs {\n  router_id lb2\n}\n")))
        b = blocks; out.append(("the last newline removed", String(file(b).dropLast())))
        b = blocks; b.swapAt(2, 9); out.append(("two blocks swapped", file(b)))
        out.append(("everything removed", ""))
        return out
    }

    /// Every edit, from the base to the edited text and back (an edit the language refuses to
    /// cut has no chunks to go back from).
    @Test func reloadCutIsTheWholeCut() throws {
        let base = Self.head + (0..<12).map { Self.block($0) }.joined()
        let old = try #require(ConfigChunks.split(base))
        for (name, text) in Self.edits() {
            #expect(ConfigChunks.split(text, previous: base, chunks: old) == ConfigChunks.split(text), "\(name)")
            if let back = ConfigChunks.split(text) {
                #expect(ConfigChunks.split(base, previous: text, chunks: back) == ConfigChunks.split(base), "back from \(name)")
            }
        }
    }
}
