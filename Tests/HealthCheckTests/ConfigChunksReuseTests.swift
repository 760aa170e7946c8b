import Testing
import KeepalivedConfig

/// `ConfigChunks.split(_:previous:chunks:)` (a reload's cut, which takes the unchanged start
/// and end of the file from the last cut) gives exactly what cutting the whole new text gives,
/// for every kind of edit a reload sees.
@Suite("keepalived.conf chunks: a reload cuts only what changed")
struct ConfigChunksReuseTests {
    static func block(_ i: Int, weight: Int = 1, servers: Int = 2) -> String {
        var s = "virtual_server 192.0.2.\(i + 1) 80 {\n  lb_algo rr\n"
        for r in 0..<servers { s += "  real_server 198.51.100.\(r + 1) 80 {\n    weight \(weight)\n    TCP_CHECK {\n      connect_timeout 3\n    }\n  }\n" }
        return s + "}\n"
    }

    static let base = "# a director\n\nglobal_defs {\n  router_id lb\n}\n" + (0..<12).map { block($0) }.joined()

    /// Each edit: a name and the new text made from the base.
    static let edits: [(String, String)] = {
        let blocks = (0..<12).map { block($0) }
        func file(_ b: [String], head: String = "# a director\n\nglobal_defs {\n  router_id lb\n}\n") -> String { head + b.joined() }
        var out: [(String, String)] = []
        var b = blocks; b[5] = block(5, servers: 3); out.append(("a real server added in the middle", file(b)))
        b = blocks; b[0] = block(0, weight: 7); out.append(("the first block changed", file(b)))
        b = blocks; b[11] = block(11, weight: 7); out.append(("the last block changed", file(b)))
        b = blocks; b.remove(at: 4); out.append(("a block removed", file(b)))
        b = blocks; b.insert(block(40), at: 7); out.append(("a block added", file(b)))
        b = blocks; b[3] += "\n\n# a comment\n"; out.append(("blank and comment lines after a block", file(b)))
        b = blocks; b[6] = b[6].replacingOnce("virtual_server 192.0.2.7 80 {", with: "virtual_server 192.0.2.7 80\n{"); out.append(("a brace moved to the next line", file(b)))
        b = blocks; b[2] = block(1); out.append(("a block made the same as the one before", file(b)))
        b = blocks; out.append(("nothing changed", file(b)))
        b = blocks; b[8] += "}\n"; out.append(("an unbalanced brace", file(b)))
        b = blocks; b[8] += "include /etc/other.conf\n"; out.append(("an include", file(b)))
        b = blocks; b[9] = b[9].replacingOnce("weight 1", with: "weight $W"); out.append(("a substitution", file(b)))
        b = blocks; out.append(("the header changed", file(b, head: "global_defs {\n  router_id lb2\n}\n")))
        b = blocks; out.append(("the last newline removed", String(file(b).dropLast())))
        b = blocks; b.swapAt(2, 9); out.append(("two blocks swapped", file(b)))
        out.append(("everything removed", ""))
        return out
    }()

    @Test(arguments: edits.indices)
    func reloadCutIsTheWholeCut(_ index: Int) throws {
        let (name, text) = Self.edits[index]
        let old = try #require(ConfigChunks.split(Self.base))
        let whole = ConfigChunks.split(text)
        let reused = ConfigChunks.split(text, previous: Self.base, chunks: old)
        #expect(reused == whole, "\(name)")
    }

    /// The other way round too: from each edited text back to the base.
    @Test(arguments: edits.indices)
    func reloadCutBackIsTheWholeCut(_ index: Int) {
        let (name, text) = Self.edits[index]
        // An edit the language refuses to cut has nothing to compare from.
        guard let old = ConfigChunks.split(text) else { return }
        #expect(ConfigChunks.split(Self.base, previous: text, chunks: old) == ConfigChunks.split(Self.base), "\(name)")
    }
}

private extension String {
    /// The text with its first `target` replaced (no Foundation here).
    func replacingOnce(_ target: String, with replacement: String) -> String {
        let parts = split(separator: target, maxSplits: 1, omittingEmptySubsequences: false)
        return parts.count == 2 ? parts[0] + replacement + parts[1] : self
    }
}
