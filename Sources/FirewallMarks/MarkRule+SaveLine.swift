// The `# swiftvs-mark <args>` lines of a swiftvs rules file (ipvsadm-save format, where
// ipvsadm-restore skips comments) and the `swiftvs mark add` option syntax they carry.

extension MarkRule {
    /// Whether `line` is a mark line (`# swiftvs-mark …`), i.e. one `parseSaveLine` should
    /// read. Other comments and ipvsadm lines are not.
    public static func isSaveLine(_ line: some StringProtocol) -> Bool {
        markerEnd(Array(String(line))) != nil
    }

    /// Parses a rules-file line `# swiftvs-mark -d ADDR[/PREFIX] [-p PROTO [--dport P[:Q]]] --mark N`.
    /// Options may come in any order and also as `--long=value`; long spellings
    /// `--destination` and `--protocol` are accepted. Errors carry the 1-based column of
    /// the offending token in `MarkError.column`, and name it in the message.
    public static func parseSaveLine(_ line: some StringProtocol) throws(MarkError) -> MarkRule {
        var chars = Array(String(line))
        while let last = chars.last, last == "\n" || last == "\r\n" || last == "\r" { chars.removeLast() }
        guard let start = markerEnd(chars) else {
            throw .invalid("column 1: not a mark line (it must start with '\(saveLinePrefix) ')",
                           hint: "mark lines look like: \(saveLinePrefix) -d 192.0.2.100/32 --mark 80", column: 1)
        }
        var tokens: [Token] = []
        var i = start
        while i < chars.count {
            if chars[i] == " " || chars[i] == "\t" { i += 1; continue }
            let begin = i
            while i < chars.count, chars[i] != " ", chars[i] != "\t" { i += 1 }
            tokens.append(Token(text: String(chars[begin..<i]), column: begin + 1))
        }
        return try parse(tokens, endColumn: chars.count + 1, context: "mark line")
    }

    /// Parses the options of `swiftvs mark add` given as separate arguments, e.g.
    /// `["-d", "192.0.2.100", "--mark", "80"]`. Columns in errors count in the arguments
    /// joined by single spaces.
    public init(arguments: [String]) throws(MarkError) {
        var tokens: [Token] = []
        var column = 1
        for a in arguments {
            tokens.append(Token(text: a, column: column))
            column += a.count + 1
        }
        self = try Self.parse(tokens, endColumn: max(1, column - 1), context: "mark options")
    }

    struct Token {
        var text: String
        var column: Int
    }

    /// Index just past `#`, optional blanks and `swiftvs-mark`, when followed by a blank or the end.
    private static func markerEnd(_ chars: [Character]) -> Int? {
        var i = 0
        while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 }
        guard i < chars.count, chars[i] == "#" else { return nil }
        i += 1
        while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 }
        let word = Array("swiftvs-mark")
        guard chars.count - i >= word.count, Array(chars[i..<(i + word.count)]) == word else { return nil }
        i += word.count
        if i < chars.count, chars[i] != " ", chars[i] != "\t" { return nil }
        return i
    }

    private static func parse(_ tokens: [Token], endColumn: Int, context: String) throws(MarkError) -> MarkRule {
        enum Key { case destination, proto, dport, mark }
        var values: [Key: Token] = [:]
        var optionToken: [Key: Token] = [:]
        var i = 0
        while i < tokens.count {
            let t = tokens[i]
            var name = t.text
            var inline: String?
            if name.hasPrefix("--"), let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            let key: Key
            switch name {
            case "-d", "--destination": key = .destination
            case "-p", "--protocol": key = .proto
            case "--dport": key = .dport
            case "--mark": key = .mark
            default:
                let what = t.text.hasPrefix("-") ? "unknown option '\(t.text)'" : "unexpected '\(t.text)'"
                throw .invalid("\(context), column \(t.column): \(what)",
                               hint: "mark options are -d ADDR[/PREFIX], -p tcp|udp|sctp, --dport PORT[:PORT], --mark N",
                               column: t.column)
            }
            if let previous = optionToken[key] {
                throw .invalid("\(context), column \(t.column): \(name) given twice (first at column \(previous.column))",
                               hint: "a mark rule has one destination, protocol, port range and mark", column: t.column)
            }
            optionToken[key] = t
            if let inline {
                values[key] = Token(text: inline, column: t.column + name.count + 1)
                i += 1
            } else {
                guard i + 1 < tokens.count else {
                    throw .invalid("\(context), column \(t.column): \(name) needs a value",
                                   hint: "e.g. \(example(name))", column: t.column)
                }
                values[key] = tokens[i + 1]
                i += 2
            }
        }
        func located<T>(_ key: Key, _ body: (String) throws(MarkError) -> T) throws(MarkError) -> T? {
            guard let v = values[key] else { return nil }
            do {
                return try body(v.text)
            } catch {
                var e = error
                e.message = "\(context), column \(v.column): " + e.message
                e.column = v.column
                throw e
            }
        }
        guard values[.destination] != nil else {
            throw .invalid("\(context), column \(endColumn): -d ADDR[/PREFIX] is missing",
                           hint: "every mark rule names its destination, e.g. -d 192.0.2.100/32", column: endColumn)
        }
        guard values[.mark] != nil else {
            throw .invalid("\(context), column \(endColumn): --mark N is missing",
                           hint: "every mark rule names its mark, e.g. --mark 80", column: endColumn)
        }
        let net = try located(.destination) { (s) throws(MarkError) in try MarkNetwork(s) }!
        let proto = try located(.proto) { (s) throws(MarkError) in try MarkRule.parseProtocol(s) }
        let ports = try located(.dport) { (s) throws(MarkError) in try MarkRule.parsePorts(s) }
        let mark = try located(.mark) { (s) throws(MarkError) in try MarkRule.parseMark(s) }!
        do {
            return try MarkRule(destination: net, protocol: proto, ports: ports, mark: mark)
        } catch {
            // The only combination errors: ports without protocol (at --dport), mark 0 (caught above).
            var e = error
            let at = optionToken[.dport]?.column ?? optionToken[.mark]?.column ?? 1
            e.message = "\(context), column \(at): " + e.message
            e.column = at
            throw e
        }
    }

    private static func example(_ option: String) -> String {
        switch option {
        case "-d", "--destination": return "-d 192.0.2.100/32"
        case "-p", "--protocol": return "-p tcp"
        case "--dport": return "--dport 80 or --dport 80:81"
        default: return "--mark 80 or --mark 0x50"
        }
    }
}
