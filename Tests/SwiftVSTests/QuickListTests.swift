import ArgumentParser
import Testing
@testable import swiftvs

/// `list` without `-c` through QuickCommand and through ArgumentParser: the same request
/// (which `ListRequest.run` alone prints), or declined. The kernel suite
/// (Tests/KernelTests/ListRouteKernelTests.swift) runs both routes of the binary and compares
/// their bytes.
@Suite struct QuickListTests {
    /// ArgumentParser's answer: the request, or nil when it refuses the line (a usage error,
    /// another command, `-c`). A refusal is an answer here, compared like a request: the quick
    /// route must then decline too (`quickRouteAgrees` fails on a request against nil).
    static func viaArgumentParser(_ args: [String]) -> ListRequest? {
        let parsed: any ParsableCommand
        do { parsed = try SwiftVS.parseAsRoot(args) } catch { return nil }
        guard let list = parsed as? List, !list.connection else { return nil }
        return list.request
    }

    static let plain: [[String]] = [
        ["list"],
        ["list", "-n"],
        ["list", "-n", "-t", "192.0.2.100:80"],
        ["list", "--numeric", "--tcp-service", "192.0.2.100:http"],
        ["list", "-t", "192.0.2.100:80"],
        ["list", "-n", "-f", "80"],
        ["list", "-n", "-f", "6", "-6"],
        ["list", "--fwmark-service", "6", "--ipv6", "--stats", "--exact", "-n"],
        ["list", "-n", "-u", "[2001:db8::100]:53", "--rate"],
        ["list", "-n", "--sctp-service", "192.0.2.100:9000", "--thresholds", "--persistent-conn"],
        ["list", "-n", "--tun-info", "--nosort", "--netns", "blue"],
        ["list", "-n", "--sort", "--json", "-t", "192.0.2.100:80"],
        ["list", "--timeout"],
        ["list", "--daemon", "--netns", "blue"],
        ["list", "-n", "--stats", "--exact"],
    ]

    /// The forms the kernel suite uses for the ArgumentParser route (`--opt=value`, bundled
    /// short flags) and whatever else is not plain are declined: they fall back to ArgumentParser.
    @Test func anythingElseIsLeftToArgumentParser() {
        for args in [["list", "-c"], ["list", "-n", "-c"], ["list", "-n", "--tcp-service=192.0.2.100:80"],
                     ["list", "--numeric", "--fwmark-service=80"], ["list", "-nt", "192.0.2.100:80"], ["list", "-n", "-n"],
                     ["list", "-n", "--numeric"], ["list", "-t", "192.0.2.100:80", "-u", "192.0.2.100:53"],
                     ["list", "-t", "192.0.2.100:80", "--tcp-service", "192.0.2.100:81"], ["list", "-6"],
                     ["list", "-t", "192.0.2.100:80", "-6"], ["list", "--sort", "--nosort"], ["list", "--help"],
                     ["list", "-h"], ["list", "--server", "192.0.2.11"], ["list", "--state", "ESTABLISHED"],
                     ["list", "--summary"], ["list", "-t"], ["list", "-t", "-n"], ["list", "-t", ""], ["list", "extra"],
                     ["list", "--"], ["list", "-n", "--netns=blue"], ["list", "-x"], ["save", "-n"], ["zero"]] {
            #expect(QuickCommand.list(args) == nil, "\(args)")
        }
    }

    /// The plain lines take the quick route with ArgumentParser's answer, and every variation
    /// of them (a word dropped, doubled, swapped with the next, `=` forms, a stray word or
    /// option) is answered as ArgumentParser does, or declined.
    @Test func quickRouteNeverDisagreesWithArgumentParser() {
        let (tried, answered) = QuickCommandTests.quickRouteAgrees(Self.plain, quick: QuickCommand.list,
                                                                   argumentParser: Self.viaArgumentParser)
        #expect(tried > 200)
        #expect(answered > 30)   // most variants are refused by both routes
    }
}
