import Foundation
import Testing
import IPVS
@testable import IPVSRules

/// The fast path for ipvsadm-save's lines must never answer differently from LineParser:
/// it either declines (nil) or gives exactly LineParser's command. It keeps no argument tokens (the
/// checks across lines read such a line again when they report on it: ParserTests).
@Suite struct CanonicalLineTests {
    /// What LineParser makes of a line, without its argument tokens: the command, or nil if it
    /// reports anything.
    static func general(_ line: String) -> RuleCommand? {
        var c = RulesFile.generalCommand(line, file: "rules", line: 7)
        c?.serviceToken = nil
        c?.serverToken = nil
        return c
    }

    static func fast(_ line: String) -> RuleCommand? {
        var line = line
        return line.withUTF8 { CanonicalLine.parse($0, file: "rules", line: 7) }
    }

    /// Lines in every shape ipvsadm-save -n writes that the fast path takes.
    static let saved: [String] = [
        "-A -t 203.0.113.1:80 -s wlc",
        "-A -t 203.0.113.1:80 -s lc -p 360",
        "-A -u 198.51.100.250:53 -s rr",
        "-A -t 203.0.113.1:0 -s sh -p 1",
        "-A -f 80 -s lc",
        "-A -f 4294967295 -s wrr -p 2678400",
        "-A -t [2001:db8::1]:443 -s wrr",
        "-A -u [2001:db8:0:1::abcd]:5060 -s mh -p 60",
        "-a -t 203.0.113.1:80 -r 192.0.2.10:80 -g -w 1",
        "-a -t 203.0.113.1:80 -r 192.0.2.10:8080 -m -w 0",
        "-a -t 203.0.113.1:80 -r 192.0.2.11:80 -g -w 65535 -x 2147483647 -y 10",
        "-a -t 203.0.113.1:80 -r 192.0.2.12:80 -g -w 3 -x 100",
        "-a -u 198.51.100.250:53 -r 198.51.100.1:53 -m -w 2",
        "-a -f 80 -r 192.0.2.101:0 -g -w 1",
        "-a -f 80 -r 192.0.2.102:0 -m -w 5",
        "-a -t [2001:db8::1]:443 -r [2001:db8::10]:443 -g -w 1",
        "-a -t [2001:db8::1]:443 -r [2001:db8::11]:8443 -m -w 1 -x 5 -y 5",
    ]

    @Test func savedLinesTakeTheFastPathWithLineParsersAnswer() {
        for line in Self.saved {
            let f = Self.fast(line)
            #expect(f != nil, "fast path declined \(line)")
            #expect(f == Self.general(line), "\(line)")
        }
    }

    @Test func fixtureLinesAgree() throws {
        var answered = 0
        for fixture in Fixture.tables {
            for file in ["commands", "save", "save-n"] where fixture.has(file) {
                for line in try fixture.text(file).split(separator: "\n").map(String.init) {
                    guard let f = Self.fast(line) else { continue }
                    answered += 1
                    #expect(f == Self.general(line), "\(fixture.name)/\(file): \(line)")
                }
            }
        }
        #expect(answered > 50, "the fixtures' saved tables should mostly take the fast path")
    }

    /// Every line, and lines one small edit away from it: a token dropped, doubled or swapped,
    /// a number replaced by an edge value, blanks changed.
    static func mutations(of line: String) -> [String] {
        let tokens = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        var out = [line, line + " ", " " + line, line.replacingOccurrences(of: " ", with: "  "),
                   line.replacingOccurrences(of: " ", with: "\t"), line + "\r", line.uppercased(), line + " #"]
        for i in tokens.indices {
            var dropped = tokens; dropped.remove(at: i); out.append(dropped.joined(separator: " "))
            var doubled = tokens; doubled.insert(tokens[i], at: i); out.append(doubled.joined(separator: " "))
            if i + 1 < tokens.count {
                var swapped = tokens; swapped.swapAt(i, i + 1); out.append(swapped.joined(separator: " "))
            }
            for edge in ["0", "00", "01", "1", "255", "256", "65535", "65536", "2147483647", "2147483648",
                         "4294967295", "4294967296", "-1", "+1", "2678400", "2678401", "", "x", "wlc", "-p"] {
                var t = tokens; t[i] = edge; out.append(t.joined(separator: " "))
            }
            // Inside an address: every number and separator replaced.
            let chars = Array(tokens[i])
            if chars.contains(".") || chars.contains(":") {
                for (k, c) in chars.enumerated() where c == "." || c == ":" || c == "[" || c == "]" {
                    for r in ["", ".", ":", "::", "0", "00", "x", "]", " "] {
                        var t = tokens; var cs = chars
                        cs.replaceSubrange(k...k, with: Array(r)); t[i] = String(cs)
                        out.append(t.joined(separator: " "))
                    }
                }
                for r in ["1.2.3", "1.2.3.4.5", "010.0.0.1", "0x7f.0.0.1", "0.0.0.0", "[::]", "[::1]", "[1.2.3.4]",
                          "[::ffff:192.0.2.1]", "[2001:db8::g]", "203.0.113.1", "[2001:db8::1]", "203.0.113.1:",
                          "203.0.113.1:http", "[2001:db8::1]:", "[2001:db8::1]80"] {
                    var t = tokens; t[i] = r; out.append(t.joined(separator: " "))
                    var p = tokens; p[i] = r + ":80"; out.append(p.joined(separator: " "))
                }
            }
        }
        return out
    }

    @Test func fastPathNeverDisagreesWithLineParser() throws {
        var corpus = Self.saved
        for fixture in Fixture.tables where fixture.has("save-n") {
            corpus += try fixture.text("save-n").split(separator: "\n").map(String.init)
        }
        var tried = 0, answered = 0, remembered = 0
        // One memo across all lines, as in a file: a line often names the service of the one
        // before it the same way (and sometimes nearly the same way).
        var memo = CanonicalLine.Memo()
        for line in corpus {
            for m in Self.mutations(of: line) {
                tried += 1
                let before = memo.token
                var text = m
                guard let f = text.withUTF8({ CanonicalLine.parse($0, file: "rules", line: 7, memo: &memo) }) else { continue }
                answered += 1
                if memo.token == before { remembered += 1 }
                let g = Self.general(m)
                #expect(f == g, "fast path: \(f)\nLineParser: \(String(describing: g))\nline: '\(m)'")
            }
        }
        #expect(remembered > 100)
        #expect(tried > 5000)
        // Mutations that keep a line valid (other numbers, doubled blanks refused) do take it.
        #expect(answered > 200)
    }
}
