import Foundation
import Testing

/// swiftvs.conf(5) (Scripts/debian/swiftvs.conf.5) must name every word the configuration
/// parsers accept, so the manual cannot drift from them: the words are read from the parsers'
/// sources (keyword `case` labels, the keyword sets, keyword comparisons), so a keyword added
/// to a parser fails this test until it is documented.
@Suite struct ConfigManPageTests {
    static let root = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The parsers of the file: the LVS half, the VRRP half, and the language's include forms.
    static let parserFiles = [
        "Sources/HealthCheck/Config/Semantics.swift",
        "Sources/VRRPRouter/Config/VRRPConfigReader.swift",
        "Sources/VRRPRouter/Config/VRRPConfigReader+Globals.swift",
        "Sources/VRRPRouter/Config/VRRPConfigReader+Instance.swift",
        "Sources/VRRPRouter/Config/VRRPConfigReader+Blocks.swift",
        "Sources/VRRPRouter/Config/VRRPConfigReader+Finish.swift",
        "Sources/KeepalivedConfig/TreeBuilder.swift",
    ]

    /// Every keyword-shaped string literal in a `case` label, a `Set<String>` literal, or a
    /// comparison with a statement's or token's text.
    static func acceptedWords(in source: String) -> Set<String> {
        var words: Set<String> = []
        let literal = /"([A-Za-z_][A-Za-z0-9_-]+)"/
        func add(_ text: Substring) { for m in text.matches(of: literal) { words.insert(String(m.1)) } }
        for m in source.matches(of: /case\s+((?:"[^"\n]*"\s*,\s*)*"[^"\n]*")/) { add(m.1) }
        for m in source.matches(of: /Set<String>\s*=\s*\[([^\]]*)\]/) { add(m.1) }
        for m in source.matches(of: /(?:text|kw)\s*[=!]=\s*("[^"\n]*")/) { add(m.1) }
        return words
    }

    static func parserWords() throws -> Set<String> {
        var words: Set<String> = []
        for file in parserFiles {
            words.formUnion(acceptedWords(in: try String(contentsOf: root.appending(path: file), encoding: .utf8)))
        }
        // global_defs takes every instance garp keyword with vrrp_ before it (its default).
        let instance = try String(contentsOf: root.appending(path: "Sources/VRRPRouter/Config/VRRPConfigReader+Instance.swift"), encoding: .utf8)
        let garp = try #require(instance.firstMatch(of: /garpKeywords: Set<String> = \[([^\]]*)\]/))
        words.formUnion(garp.1.matches(of: /"([a-z_]+)"/).map { "vrrp_" + $0.1 })
        return words
    }

    /// The page's words, with roff's escaped hyphens (`\-`) read as hyphens and its font
    /// changes (`\fB`, `\fI`, `\fR`, `\fP`) removed.
    static func manPageWords() throws -> Set<String> {
        let page = try String(contentsOf: root.appending(path: "Scripts/debian/swiftvs.conf.5"), encoding: .utf8)
            .replacingOccurrences(of: "\\-", with: "-")
            .replacing(/\\f[BIRP]/, with: " ")
        return Set(page.matches(of: /[A-Za-z0-9_~@$-]+/).map { String($0.0) })
    }

    @Test func theExtractionFindsTheParsersKeywords() throws {
        let words = try Self.parserWords()
        // A sample from each parser, so a broken extraction cannot pass as "nothing to document".
        for known in ["virtual_server", "lb_algo", "TCP_CHECK", "misc_dynamic", "status_code", "vrrp_instance",
                      "virtual_router_id", "unicast_peer", "lvs_sync_daemon", "vrrp_garp_master_delay", "includet",
                      "sync_group_tracking_weight", "vrrp_strict", "use_vmac", "min_ttl"] {
            #expect(words.contains(known), "\(known) not found in the parsers' sources")
        }
        #expect(words.count > 250)
    }

    @Test func theManualListsEveryKeyword() throws {
        let missing = try Self.parserWords().subtracting(Self.manPageWords()).sorted()
        #expect(missing.isEmpty, "swiftvs.conf(5) does not mention: \(missing.joined(separator: " "))")
    }
}
