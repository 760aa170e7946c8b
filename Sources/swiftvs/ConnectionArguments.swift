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
        var seen: Set8 = 0
        for i in 2..<Int(argc) {
            guard let word = argv[i], let flag = Flag(word), seen & flag.rawValue == 0 else { return nil }
            seen |= flag.rawValue
        }
        func has(_ f: Flag) -> Bool { seen & f.rawValue != 0 }
        guard has(.connection), !(has(.sort) && has(.nosort)) else { return nil }
        return ConnectionListRequest(scope: ListScope(numeric: has(.numeric)), persistentConnections: has(.persistentConnections),
                                     json: has(.json), summary: has(.summary))
    }

    private typealias Set8 = UInt8

    /// The flags, one bit each (a flag's two spellings are one bit).
    private enum Flag: UInt8 {
        case connection = 1, numeric = 2, persistentConnections = 4, exact = 8, json = 16, summary = 32, sort = 64, nosort = 128

        /// The long spelling, and the short one where there is one.
        var spellings: (long: StaticString, short: StaticString?) {
            switch self {
            case .connection: ("--connection", "-c")
            case .numeric: ("--numeric", "-n")
            case .persistentConnections: ("--persistent-conn", nil)
            case .exact: ("--exact", nil)
            case .json: ("--json", nil)
            case .summary: ("--summary", nil)
            case .sort: ("--sort", nil)
            case .nosort: ("--nosort", nil)
            }
        }

        /// The flag `word` spells, or nil.
        init?(_ word: UnsafePointer<CChar>) {
            var bit: UInt8 = 1
            while bit != 0, let flag = Flag(rawValue: bit) {
                let (long, short) = flag.spellings
                if equals(word, long) || (short.map { equals(word, $0) } ?? false) {
                    self = flag
                    return
                }
                bit <<= 1
            }
            return nil
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
