import Glibc
import Testing
import IPVS
import Director
@testable import HealthCheck
@testable import KeepalivedConfig

private let path = "/etc/keepalived/keepalived.conf"

private func files(_ text: String, extra: [String: String] = [:]) -> InMemoryFileSystem {
    var f = extra
    f[path] = text
    return InMemoryFileSystem(files: f, executables: ["/bin/true"])
}

/// Both passes, as `swiftvs check-config` runs them.
private func check(_ text: String, id: String? = "d1", extra: [String: String] = [:]) -> DirectorCheckResult {
    DirectorCheckResult.check(file: path, fileSystem: files(text, extra: extra), configID: id)
}

/// The logical lines the preprocessor makes of `text`, as text, and its diagnostics.
private func lines(_ text: String, id: String? = "d1") -> (lines: [String], diagnostics: [String]) {
    var p = Preprocessor(configID: id, workingDirectory: "/work")
    var out: [String] = []
    var diags: [Diagnostic] = []
    ConfigLexer.forEachLine(of: text) { raw, n in
        for l in p.lines(raw: raw, number: n, file: "f.conf", diagnostics: &diags) {
            let lexed = ConfigLexer.lex(l, diagnostics: &diags)
            if !lexed.tokens.isEmpty { out.append(lexed.tokens.map(\.text).joined(separator: " ")) }
        }
    }
    return (out, diags.map(\.description))
}

private func vs(_ r: DirectorCheckResult) throws -> [VirtualServerConfig] {
    try #require(r.config, "\(r.diagnostics.map(\.description))").lvs.virtualServers
}

@Suite("keepalived.conf parameters, conditionals and sequence blocks")
struct ParameterSubstitutionTests {
    @Test func definitionsAreSubstitutedWithAndWithoutBraces() {
        let r = lines("""
        $VIP=192.0.2.10
        $PORT=443
        virtual_server $VIP $PORT {
        real_server ${VIP}0 ${PORT}
        """)
        // keepalived reads what follows a line's first brace as a line of its own.
        #expect(r.lines == ["virtual_server 192.0.2.10 443", "{", "real_server 192.0.2.100 443"])
        #expect(r.diagnostics.isEmpty)
    }

    @Test func substitutionFollowsKeepalivedsEndOfNameRule() {
        // Without braces the name must end at a blank, ',' or ')' or the line's end; "$Xa" and
        // "$X." are not references (keepalived leaves them).
        // "$X" followed by '"' is left; inside quotes "$X x" is replaced, as keepalived does.
        let r = lines("$X=1\na $X,b $X) $X.c ${X}.d \"$X\" \"$X x\"\n")
        #expect(r.lines == ["a 1,b 1) $X.c 1.d $X 1 x"])
        #expect(r.diagnostics.isEmpty)
    }

    @Test func laterDefinitionWinsAndValuesAreSubstitutedWhenUsed() {
        let r = lines("""
        $ADDRESS_BASE=10.2.${ADDRESS_BASE_SUB}
        $ADDRESS_BASE_SUB=0
        ${ADDRESS_BASE}.100/32
        $ADDRESS_BASE_SUB=10
        ${ADDRESS_BASE}.100/32
        """)
        #expect(r.lines == ["10.2.0.100/32", "10.2.10.100/32"])
    }

    @Test func multiLineDefinitionsExpandWhereTheyEndALine() {
        let r = lines("""
        $CHK=TCP_CHECK { \\
            connect_timeout ${T} \\
        }
        $T=3
        real_server 192.0.2.11 80 {
            $CHK
        }
        """)
        #expect(r.lines == ["real_server 192.0.2.11 80 {", "TCP_CHECK", "{", "connect_timeout 3", "}", "}"])
    }

    @Test func multiLineDefinitionsNestAndDefineAsTheyGo() {
        let r = lines("""
        $RS=real_server 192.0.2.${N} 80 { \\
          weight ${N} \\
        }
        $VS=virtual_server 192.0.2.1 80 { \\
          $N=1 \\
          $RS \\
          $N=2 \\
          $RS \\
        }
        $VS
        """)
        #expect(r.lines == ["virtual_server 192.0.2.1 80", "{", "real_server 192.0.2.1 80", "{", "weight 1", "}",
                            "real_server 192.0.2.2 80", "{", "weight 2", "}", "}"])
    }

    @Test func aMultiLineDefinitionInsideALineIsLeftAsKeepalivedDoes() {
        let r = lines("$M=a \\\nb\nx $M y\n")
        #expect(r.lines == ["x $M y"])
        #expect(r.diagnostics == ["f.conf:3:3: warning: $M is a multi-line definition, used only where it ends its line; left as written (as keepalived does)"])
    }

    @Test func aBlankLineEndsAMultiLineDefinition() {
        let r = lines("$M=a \\\n\nb\n$M\n")
        #expect(r.lines == ["b", "a"])
    }

    @Test func conditionalLinesFollowTheConfigID() {
        let text = "@d1 router_id one\n@d2 router_id two\n@^d1 peer x\n@^d2 peer y\n@d1\n"
        #expect(lines(text, id: "d1").lines == ["router_id one", "peer y"])
        #expect(lines(text, id: "d2").lines == ["router_id two", "peer x"])
        #expect(lines(text, id: nil).lines == ["peer x", "peer y"])
    }

    @Test func conditionalDefinitionsAndDefinitionsThatMakeConditionals() {
        let text = "@d1 $PRIO=150\n@d2 $PRIO=100\npriority $PRIO\n$IF_D1=@d1\n$IF_D1 nopreempt\n"
        #expect(lines(text, id: "d1").lines == ["priority 150", "nopreempt"])
        #expect(lines(text, id: "d2").lines == ["priority 100"])
    }

    @Test func conditionalAfterABraceIsReadAsItsOwnLine() {
        // As in keepalived, the rest of the line is one conditional line: its '}' goes with it.
        #expect(lines("real_server 192.0.2.1 80 { @d2 weight 2 }\n", id: "d1").lines == ["real_server 192.0.2.1 80", "{"])
        #expect(lines("real_server 192.0.2.1 80 { @d2 weight 2 }\n", id: "d2").lines == ["real_server 192.0.2.1 80", "{", "weight 2", "}"])
    }

    @Test func sequenceBlocksInEveryForm() {
        #expect(lines("~SEQ(S, 0, 3) ip 10.0.${S}.1\n").lines == (0...3).map { "ip 10.0.\($0).1" })
        #expect(lines("~SEQ(S, 3) x $S\n").lines == ["x 1", "x 2", "x 3"])
        #expect(lines("~SEQ(S, -2) x $S\n").lines == ["x -1", "x -2"])
        #expect(lines("~SEQ(S, 5, 3) x $S\n").lines == ["x 5", "x 4", "x 3"])
        #expect(lines("~SEQ(S, 10, -5, 0) x $S\n").lines == ["x 10", "x 5", "x 0"])
        #expect(lines("~SEQx(S, 0x90, 0x10, 0xc0) fe80::20:${S}:1\n").lines == ["90", "a0", "b0", "c0"].map { "fe80::20:\($0):1" })
        #expect(lines("$N=2\n~SEQ(S, 1, $N) x $S\n").lines == ["x 1", "x 2"])
        // Nested: the inner block runs in full for each round of the outer one.
        #expect(lines("~SEQ(A, 1, 2) ~SEQ(B, 1, 2) ${A}.${B}\n").lines == ["1.1", "1.2", "2.1", "2.2"])
        #expect(lines("~LST(C, red, green) colour $C\n").lines == ["colour red", "colour green"])
        #expect(lines("~LST({A, B}, {1, x}, {2}) ${A}-${B}.\n").lines == ["1-x.", "2-."])
    }

    @Test func aSequenceBlockOfMultiLineDefinitions() {
        let r = lines("""
        $RS=real_server 192.0.2.${I} 80 { \\
          weight 1 \\
        }
        ~SEQ(I, 11, 12) $RS
        """)
        #expect(r.lines == ["real_server 192.0.2.11 80", "{", "weight 1", "}", "real_server 192.0.2.12 80", "{", "weight 1", "}"])
    }

    @Test func badSequenceBlocksAreErrorsAtTheirLine() {
        #expect(lines("x\n  ~SEQ(S, 1, 0, 3) y\n").diagnostics == ["f.conf:2:3: Invalid ~SEQ values '~SEQ(S, 1, 0, 3) y'"])
        #expect(lines("~SEQ(S, 1, -1, 3) y\n").diagnostics == ["f.conf:1:1: Invalid ~SEQ values '~SEQ(S, 1, -1, 3) y'"])
        #expect(lines("~SEQ(S) y\n").diagnostics == ["f.conf:1:1: Invalid ~SEQ definition '~SEQ(S) y'"])
        #expect(lines("~SEQ(S, a, 3) y\n").diagnostics == ["f.conf:1:1: Invalid ~SEQ definition '~SEQ(S, a, 3) y'"])
        #expect(lines("~SEQ S, 1) y\n").diagnostics == ["f.conf:1:1: Invalid ~SEQ specification '~SEQ S, 1) y'"])
        #expect(lines("~SEQx(S, -3, 3) y\n").diagnostics == ["f.conf:1:1: ~SEQx is only valid for positive numbers '~SEQx(S, -3, 3) y'"])
        #expect(lines("~SEQ(S, 1, 3 y\n").diagnostics == ["f.conf:1:1: Invalid ~SEQ definition (no ')') '~SEQ(S, 1, 3 y'"])
        #expect(lines("~LST({A}, {1, 2}) y\n").diagnostics == ["f.conf:1:1: ~LST specification has too many values '~LST({A}, {1, 2}) y'"])
    }

    @Test func aDefinitionThatRefersToItselfIsAnErrorAtItsUse() {
        let r = lines("$A=x $B\n$B=y ${A}\nv $A\n")
        #expect(r.diagnostics == ["f.conf:3:3: parameter $A refers to itself ($A -> $B -> $A); keepalived 2.2.7 loops forever on such a line (in $B defined at f.conf:2:6, in $A defined at f.conf:1:6)"])
    }

    @Test func undefinedNamesStayAsWrittenWithAWarning() {
        let r = lines("virtual_server ${VIP} 80\nmisc_path \"/bin/sh -c 'echo $HOME'\"\n")
        // keepalived then splits the line at the '{' of the undefined ${VIP}, as here.
        #expect(r.lines == ["virtual_server $", "{", "VIP", "}", "80", "misc_path /bin/sh -c 'echo $HOME'"])
        #expect(r.diagnostics == ["f.conf:1:16: warning: ${VIP} is not defined; left as written (as keepalived does)"])
    }

    @Test func predefinedDefinitions() {
        let r = lines("a ${_INSTANCE} ${_PWD}\nb \"x${_HASH}y\" \"${_BANG}\"\nc ${_RANDOM 5 5}\nd x${_HASH}y\n")
        // keepalived removes comments again after substitution: an unquoted # from ${_HASH}
        // starts one.
        #expect(r.lines == ["a d1 /work", "b x#y !", "c 5", "d x"])
    }

    /// `GlibcRandom` is glibc's `random()` after `srandom(seed)`: compared with glibc's own
    /// generator (`initstate_r` / `random_r` on a state of the test's, no process-wide state).
    @Test func randomIsGlibcsGenerator() {
        for seed: UInt32 in [0, 1, 7, 42, 12345, 0x7FFF_FFFF, 0x8000_0000, .max] {
            var ours = GlibcRandom(seed: seed)
            #expect((0..<2000).map { _ in ours.next() } == glibcRandom(seed: seed, count: 2000), "seed \(seed)")
        }
    }

    /// global_defs' `random_seed` makes `${_RANDOM}` repeatable, as keepalived.conf(5) says:
    /// glibc's `random()` seeded with it, and keepalived's `random() % (MAX - MIN + 1) + MIN`
    /// printed in as many characters as MAX has digits. (keepalived 2.2.7 clears the seed before
    /// it calls srandom, so its own values follow the time; that part is not observable.)
    @Test func randomSeedMakesRandomRepeatable() throws {
        let text = """
        global_defs {
          random_seed 42
        }
        virtual_server 192.0.2.1 80 {
          protocol TCP
          lb_kind NAT
          real_server 192.0.2.10 80 {
            weight ${_RANDOM 1 100}
          }
          real_server 192.0.2.11 80 {
            weight ${_RANDOM}
          }
          real_server 192.0.2.12 80 {
            weight ${_RANDOM 10 5}
          }
        }
        """
        let g = glibcRandom(seed: 42, count: 3).map(Int.init)
        let expected = [g[0] % 100 + 1, g[1] % 32768, Int(String(String(g[2] + 10).prefix(1)))!]
        for _ in 0..<2 {
            let weights = try vs(check(text)).first.map { $0.realServers.map { Int($0.weight) } }
            #expect(weights == expected)
        }
        // Only the ${_RANDOM}s after random_seed draw from it.
        let doc = ConfigDocument.load(file: path, fileSystem: files("a ${_RANDOM 0 999999999}\nglobal_defs {\nrandom_seed 42\n}\nb ${_RANDOM 0 999999999}\n"),
                                      configID: "d1")
        #expect(doc.statements.last?.args.first?.text == "\(glibcRandom(seed: 42, count: 1)[0] % 1_000_000_000)")
    }

    @Test func escapedCommentCharacters() {
        #expect(lines("auth_pass a\\#b\\!c # comment\n").lines == ["auth_pass a#b!c"])
        // keepalived removes comments again after substitution, and the escape is gone by then.
        #expect(lines("$X=1\nauth_pass a\\#b $X\n").lines == ["auth_pass a"])
    }

    @Test func substitutedErrorsPointAtTheUseAndTheDefinition() {
        let r = check("""
        $VIP=192.0.2.300
        virtual_server $VIP 80 {
          protocol TCP
          real_server 192.0.2.11 80 {
          }
        }
        """)
        #expect(r.errors.map(\.description) == ["\(path):2:16: invalid virtual server address '192.0.2.300' (in $VIP defined at \(path):1:6)"])
    }

    @Test func errorsInAMultiLineExpansionPointAtItsLine() {
        let r = check("""
        $CHK=TCP_CHECK { \\
          connect_timeout x \\
        }
        virtual_server 192.0.2.1 80 {
          protocol TCP
          real_server 192.0.2.11 80 {
            $CHK
          }
        }
        """)
        #expect(r.errors.map(\.description) == ["\(path):7:5: connect_timeout: invalid time 'x' (seconds, fractions allowed) (in $CHK defined at \(path):2:19)"])
    }

    @Test func sequenceGeneratedRealServersAndTheirErrors() throws {
        let r = check("""
        virtual_server 192.0.2.1 80 {
          protocol TCP
          ~SEQ(N, 11, 13) real_server 192.0.2.$N 80 { }
        }
        """)
        #expect(try vs(r)[0].realServers.map(\.address.description) == ["192.0.2.11", "192.0.2.12", "192.0.2.13"])
        let bad = check("virtual_server 192.0.2.1 80 {\n  protocol TCP\n  ~SEQ(N, 255, 256) real_server 192.0.2.$N 80 { }\n}\n")
        #expect(bad.errors.map(\.description) == ["\(path):3:33: invalid real server address '192.0.2.256' (~SEQ N=256 at \(path):3:3)"])
    }

    @Test func definitionsHoldAcrossIncludes() throws {
        let r = check("$P=8080\ninclude /etc/keepalived/vs.conf\n",
                      extra: ["/etc/keepalived/vs.conf": "virtual_server 192.0.2.1 $P {\n protocol TCP\n real_server 192.0.2.2 $P {\n }\n}\n"])
        #expect(try vs(r)[0].realServers.map(\.port) == [8080])
    }

    @Test func theConfigIDChoosesTheInstancesPriority() throws {
        let text = """
        vrrp_instance VI_1 {
          interface eth0
          virtual_router_id 51
          @d1 priority 150
          @d2 priority 100
          virtual_ipaddress {
            192.0.2.100/24
          }
        }
        """
        #expect(try #require(check(text, id: "d1").config).vrrp.instances.map(\.priority) == [150])
        #expect(try #require(check(text, id: "d2").config).vrrp.instances.map(\.priority) == [100])
    }

    @Test func theDefaultConfigIDIsTheHostNameUpToItsFirstDot() throws {
        let id = try #require(ConfigDocument.defaultConfigID())
        #expect(!id.contains("."))
        #expect(!id.isEmpty)
        let r = lines("@\(id) yes\n@^\(id) no\n", id: id)
        #expect(r.lines == ["yes"])
    }
}

/// glibc's `random_r` after `initstate_r(seed)` with a 128-byte state (TYPE_3, as `srandom`).
private func glibcRandom(seed: UInt32, count: Int) -> [Int32] {
    var data = random_data()
    var state = [CChar](repeating: 0, count: 128)
    return state.withUnsafeMutableBufferPointer { buf in
        _ = initstate_r(seed, buf.baseAddress!, 128, &data)
        return (0..<count).map { _ in
            var r: Int32 = 0
            _ = random_r(&data, &r)
            return r
        }
    }
}
