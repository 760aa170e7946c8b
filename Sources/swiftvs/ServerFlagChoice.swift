import ArgumentParser

/// A set of flags of which a real server takes at most one (its forwarding method, its tunnel's
/// checksum option), read by one `@Flag` array: each case's ipvsadm spellings and help, and the
/// spelling `ServerAttributeOptions.arguments` hands to the rules parser.
protocol ServerFlagChoice: EnumerableFlag, Hashable {
    /// ipvsadm's short letter (nil: none), its long name, and the help.
    var flag: (short: Character?, long: String, help: String) { get }
}

extension ServerFlagChoice {
    static func name(for value: Self) -> NameSpecification {
        let flag = value.flag
        guard let short = flag.short else { return .customLong(flag.long) }
        return [.customShort(short), .customLong(flag.long)]
    }

    static func help(for value: Self) -> ArgumentHelp? { ArgumentHelp(value.flag.help) }

    /// The word for the rules parser: the short spelling where there is one (`-g`, `--tun-csum`).
    var ipvsadmWord: String { flag.short.map { "-\($0)" } ?? "--\(flag.long)" }
}
