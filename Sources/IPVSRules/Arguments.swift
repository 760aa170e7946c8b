import IPVSModel

extension RulesFile {
    /// Parses one ipvsadm command given as separate arguments (as the swiftvs subcommands
    /// build them), with exactly the rules-file semantics: defaults, name lookups, the
    /// service port a real server inherits, validation. Diagnostics name `source` and the
    /// argument's position (1-based, counted in arguments) as their column.
    public static func parseCommand(
        _ arguments: [String],
        source: String = "command line",
        resolver: any NameResolver = SystemResolver()
    ) throws(RulesError) -> RuleCommand {
        var parser = LineParser(file: source, line: 1, resolver: resolver)
        let tokens = arguments.enumerated().map { Tokenizer.Token(text: $0.element, column: $0.offset + 1) }
        let result = parser.parse(tokens)
        if !parser.diagnostics.isEmpty { throw RulesError(diagnostics: parser.diagnostics) }
        guard let command = result.command else {
            throw RulesError(diagnostics: [Diagnostic(.error, SourceLocation(file: source, line: 1, column: 1),
                                                      "not a complete command", token: arguments.first ?? "",
                                                      hint: "see swiftvs --help")])
        }
        return command
    }
}

extension SaveFormat {
    /// One change as the ipvsadm command line that makes it (numeric), for dry runs and
    /// reports: `-A -f 80 -s lc`, `-e -t 192.0.2.1:80 -r 192.0.2.11:80 -m -w 2`, `-C`.
    public static func commandLine(for change: Change) -> String {
        let resolver = NumericResolver()
        func name(_ k: ServiceKey) -> String { serviceName(k, numeric: true, resolver: resolver) }
        func dest(_ d: Destination, _ k: ServiceKey) -> String {
            String(destinationLine(d, serviceName: name(k), proto: protocolOf(k), numeric: true,
                                   resolver: resolver, includeThresholds: true).dropLast())
        }
        switch change {
        case let .addService(s):
            return String(serviceLine(s, name: name(s.key)).dropLast())
        case let .editService(s):
            return "-E" + String(serviceLine(s, name: name(s.key)).dropLast().dropFirst(2))
        case let .deleteService(k):
            return "-D \(name(k))"
        case let .addDestination(d, k):
            return dest(d, k)
        case let .editDestination(d, k):
            return "-e" + dest(d, k).dropFirst(2)
        case let .deleteDestination(d, k):
            return "-d \(name(k)) -r \(IpvsadmNames.addressPort(d.address, d.port, protocolOf(k), numeric: true, resolver: resolver))"
        case .flush:
            return "-C"
        case let .zero(k):
            return k.map { "-Z \(name($0))" } ?? "-Z"
        }
    }
}
