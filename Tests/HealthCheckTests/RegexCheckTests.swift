import CPCRE2
import Testing
import IPVS
@testable import HealthCheck

/// HTTP_GET/SSL_GET `regex` (keepalived's check_regex, PCRE2 partial-hard matching over the
/// response as it arrives).
@Suite("HTTP_GET regex: PCRE2 over the response as it arrives")
struct RegexCheckTests {
    func scanner(_ config: URLRegexConfig) throws -> RegexBodyScanner {
        RegexBodyScanner(config, pattern: try PCRE2Pattern(config.pattern, options: config.options))
    }

    /// The response fed in pieces cut at `cuts`.
    func matches(_ config: URLRegexConfig, _ text: String, cuts: [Int] = []) throws -> Bool {
        let s = try scanner(config)
        let bytes = Array(text.utf8)
        var from = 0
        for cut in cuts + [bytes.count] {
            s.feed(bytes[from..<cut])
            from = cut
        }
        return s.matched
    }

    @Test func optionWordsAreKeepalivedsPCRE2Bits() {
        let b = URLRegexConfig.optionBits
        #expect(b.count == 24)
        #expect(b["allow_empty_class"] == PCRE2_ALLOW_EMPTY_CLASS && b["caseless"] == PCRE2_CASELESS)
        #expect(b["multiline"] == PCRE2_MULTILINE && b["dotall"] == PCRE2_DOTALL && b["ungreedy"] == PCRE2_UNGREEDY)
        #expect(b["utf"] == PCRE2_UTF && b["ucp"] == PCRE2_UCP && b["never_backslash_c"] == PCRE2_NEVER_BACKSLASH_C)
        #expect(b["alt_verbnames"] == PCRE2_ALT_VERBNAMES && b["use_offset_limit"] == PCRE2_USE_OFFSET_LIMIT)
        #expect(b["no_start_optimize"] == PCRE2_NO_START_OPTIMIZE && b["firstline"] == PCRE2_FIRSTLINE)
    }

    @Test func aMatchSplitAcrossReadsIsFoundWhereverTheCutFalls() throws {
        let text = "HTTP/1.0 200 OK\r\n\r\n<html>Welcome to swiftvs!</html>"
        let config = URLRegexConfig(pattern: "Welcome to [a-z]+!")
        for cut in 1..<text.utf8.count {
            #expect(try matches(config, text, cuts: [cut]), "cut at \(cut)")
        }
        #expect(try matches(config, text, cuts: Array(1..<text.utf8.count)), "one byte at a time")
        #expect(try !matches(URLRegexConfig(pattern: "Welcome to [0-9]+!"), text, cuts: [30]))
    }

    @Test func optionsReachPCRE2() throws {
        let text = "HTTP/1.0 200 OK\r\n\r\nSTATUS: GREEN\n"
        #expect(try !matches(URLRegexConfig(pattern: "status: green"), text))
        #expect(try matches(URLRegexConfig(pattern: "status: green", options: PCRE2_CASELESS), text))
        #expect(try !matches(URLRegexConfig(pattern: "^STATUS"), text))
        #expect(try matches(URLRegexConfig(pattern: "^STATUS", options: PCRE2_MULTILINE), text))
    }

    /// The subject starts at the response's first byte (keepalived's first call sees the head).
    @Test func theHeadersArePartOfTheSubjectAndOffsetsCountFromTheResponsesStart() throws {
        let text = "HTTP/1.0 200 OK\r\nX-Health: good\r\n\r\nbody body"
        #expect(try matches(URLRegexConfig(pattern: "X-Health: good"), text))
        // "body" first starts at byte 35.
        #expect(try matches(URLRegexConfig(pattern: "body", maxOffset: 35), text))
        #expect(try !matches(URLRegexConfig(pattern: "body", maxOffset: 34), text))
        #expect(try !matches(URLRegexConfig(pattern: "HTTP", minOffset: 1), text))
        #expect(try matches(URLRegexConfig(pattern: "body", minOffset: 36), text, cuts: [10, 40]))
        #expect(try !matches(URLRegexConfig(pattern: "body", minOffset: 41), text, cuts: [10, 40]))
    }

    /// keepalived makes no final match at the response's end: a match that could still grow is
    /// left partial (PCRE2_PARTIAL_HARD), so it does not count.
    @Test func aMatchThatCouldGrowAtTheEndIsNotAMatch() throws {
        #expect(try !matches(URLRegexConfig(pattern: "ok+"), "HTTP/1.0 200 OK\r\n\r\nokkk"))
        #expect(try matches(URLRegexConfig(pattern: "ok+\\."), "HTTP/1.0 200 OK\r\n\r\nokkk."))
    }

    @Test func theCheckerPassesOnAMatchAndFailsWithoutOne() async throws {
        let body = String(repeating: "filler ", count: 20000) + "Welcome to swiftvs!" + String(repeating: " more", count: 5000)
        let server = try TestServer(response: TestServer.http("200 OK", body: body))
        func check(_ regex: URLRegexConfig) async -> CheckResult {
            await HTTPChecker(endpoint: server.endpoint, urls: [URLCheckConfig(path: "/", regex: regex)], timeout: generous, reactor: testReactor).check()
        }
        #expect(await check(URLRegexConfig(pattern: "Welcome to [a-z]+!")).success)
        let missing = await check(URLRegexConfig(pattern: "Goodbye"))
        #expect(missing.reason == .regexMismatch(pattern: "Goodbye", noMatch: false))
        #expect("\(missing)" == "failure: regex 'Goodbye' did not match")
        #expect(await check(URLRegexConfig(pattern: "Goodbye", noMatch: true)).success)
        #expect(await check(URLRegexConfig(pattern: "Welcome", noMatch: true)).reason == .regexMismatch(pattern: "Welcome", noMatch: true))
    }

    @Test func theParserReadsTheKeywordsAsKeepalivedDoes() throws {
        func text(_ third: String) -> String { """
            virtual_server 192.0.2.1 80 {
              protocol TCP
              real_server 192.0.2.10 80 {
                HTTP_GET {
                  url {
                    path /
                    regex "Welcome [a-z]+"
                    regex_options caseless multiline bogus
                    regex_no_match
                    regex_min_offset 10
                    regex_max_offset 500
                    regex_stack 32768 65536
                  }
                  url {
                    path /b
                    regex_min_offset 10
                  }
                  url {
                    path /c
                    regex "\(third)"
                  }
                }
              }
            }

            """
        }
        let result = ConfigParser.check(text: text("(unclosed"))
        #expect(result.warnings.map { "\($0.location.line):\($0.location.column): \($0.message)" } == [
            "8:42: regex_options: unknown option 'bogus' - ignoring",
            "14:7: regex parameters specified without regex - ignoring them",
        ])
        #expect(result.errors.map { "\($0.location.line):\($0.location.column): \($0.message)" } == [
            "20:15: invalid regex '(unclosed': missing closing parenthesis at offset 9",
        ])
        let ok = ConfigParser.check(text: text("ok"))
        let rs = try #require(ok.config?.virtualServers.first?.realServers.first)
        guard case let .http(h) = try #require(rs.checkers.first).kind else { Issue.record("not HTTP_GET"); return }
        #expect(h.urls[0].regex == URLRegexConfig(pattern: "Welcome [a-z]+", options: PCRE2_CASELESS | PCRE2_MULTILINE, noMatch: true,
                                                  minOffset: 10, maxOffset: 500, stack: 32768...65536))
        #expect(h.urls[1].regex == nil)
        #expect(h.urls[2].regex == URLRegexConfig(pattern: "ok"))
    }
}
