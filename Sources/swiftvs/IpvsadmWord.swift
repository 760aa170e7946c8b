/// One option of an ipvsadm command line as a subcommand's options give it: an option and its
/// value (left out when nil), or a flag (left out when false). The subcommands hand their
/// options to the rules parser as ipvsadm's words (`ruleAction`), in ipvsadm's order.
enum IpvsadmWord {
    case option(String, String?)
    case flag(String, Bool)

    /// The words of the options given, in the order listed: `["-t", "192.0.2.1:80", "-6"]`.
    static func arguments(_ words: [IpvsadmWord]) -> [String] {
        words.flatMap { word -> [String] in
            switch word {
            case let .option(name, value?): return [name, value]
            case let .flag(name, true): return [name]
            case .option, .flag: return []
            }
        }
    }
}
