/// `swiftvs list -c` with flags only, read from the C argument vector before anything else.
///
/// `list -c` over a large table is what an admin runs to see that a director balances, and
/// ipvsadm does it in about 2 MB. The general quick route (`QuickCommand.connections`) reads
/// the same words through `CommandLine.arguments`, dictionaries and sets; here the words are
/// compared byte by byte with static strings, so the start touches no hashing, no String
/// storage and no code beyond this file's and the listing's. Only flags are read here: `-c` or
/// `--connection` (required), `-n`/`--numeric`, `--persistent-conn`, `--exact`, `--json`,
/// `--summary`, `--sort`/`--nosort`, each at most once (under either spelling), not `--sort`
/// with `--nosort`; anything else (a service, `--netns`, `--server`, `--state`, help, a
/// repeated flag) returns nil and takes the usual routes, which give the same request for
/// these words (Tests/SwiftVSTests compares the two).
enum ConnectionArguments {
    /// The request the words after the program name ask for, or nil (see the type).
    static func request(argc: Int32, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> ConnectionListRequest? {
        guard argc >= 3, let program = argv[0], !calledAsIpvsadm(program),
              let sub = argv[1], equals(sub, "list") else { return nil }
        var seen = Flags()
        for i in 2..<Int(argc) {
            guard let word = argv[i], let flag = Flags(word), seen.isDisjoint(with: flag) else { return nil }
            seen.formUnion(flag)
        }
        guard seen.contains(.connection), !seen.contains([.sort, .nosort]) else { return nil }
        return ConnectionListRequest(scope: ListScope(numeric: seen.contains(.numeric)),
                                     persistentConnections: seen.contains(.persistentConnections),
                                     json: seen.contains(.json), summary: seen.contains(.summary))
    }

    /// The flags, one bit each (a flag's two spellings are one bit). Bits, not an enum's cases:
    /// an enum's raw value is a `switch` over its cases, which the optimiser made a jump table
    /// in `.rodata`, a 64 KB window of constant data read for nothing else (docs/benchmarks.md,
    /// the connection table).
    private struct Flags: OptionSet {
        let rawValue: UInt8
        static var connection: Flags { Flags(rawValue: 1) }
        static var numeric: Flags { Flags(rawValue: 2) }
        static var persistentConnections: Flags { Flags(rawValue: 4) }
        static var exact: Flags { Flags(rawValue: 8) }
        static var json: Flags { Flags(rawValue: 16) }
        static var summary: Flags { Flags(rawValue: 32) }
        static var sort: Flags { Flags(rawValue: 64) }
        static var nosort: Flags { Flags(rawValue: 128) }

        init(rawValue: UInt8) { self.rawValue = rawValue }

        /// The flag `word` spells, or nil (comparisons one after the other, for the same reason).
        init?(_ word: UnsafePointer<CChar>) {
            if equals(word, "-c") || equals(word, "--connection") {
                self = .connection
            } else if equals(word, "-n") || equals(word, "--numeric") {
                self = .numeric
            } else if equals(word, "--persistent-conn") {
                self = .persistentConnections
            } else if equals(word, "--exact") {
                self = .exact
            } else if equals(word, "--json") {
                self = .json
            } else if equals(word, "--summary") {
                self = .summary
            } else if equals(word, "--sort") {
                self = .sort
            } else if equals(word, "--nosort") {
                self = .nosort
            } else {
                return nil
            }
        }
    }

    /// Whether the program's last path component is one of ipvsadm's names (those take
    /// ipvsadm's command line: `IpvsadmMode.entry`), or starts like one.
    private static func calledAsIpvsadm(_ path: UnsafePointer<CChar>) -> Bool {
        var name = path
        var p = path
        while p.pointee != 0 {
            if p.pointee == 0x2F { name = p + 1 }
            p += 1
        }
        return startsWith(name, "ipvsadm")
    }

    /// `word` (a C string) is `text`.
    private static func equals(_ word: UnsafePointer<CChar>, _ text: StaticString) -> Bool {
        startsWith(word, text) && word[text.utf8CodeUnitCount] == 0
    }

    /// `word` (a C string) starts with `text` (ASCII).
    private static func startsWith(_ word: UnsafePointer<CChar>, _ text: StaticString) -> Bool {
        let bytes = text.utf8Start
        for i in 0..<text.utf8CodeUnitCount where UInt8(bitPattern: word[i]) != bytes[i] { return false }
        return true
    }
}
