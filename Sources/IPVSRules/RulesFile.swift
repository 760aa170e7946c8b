#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IPVSModel

/// Every problem found in a rules file (parsing never stops at the first one).
public struct RulesError: Error, Hashable, Sendable, CustomStringConvertible {
    /// In file order (line, then column).
    public var diagnostics: [Diagnostic]

    public init(diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// What one line of a rules file asks for: a change to the table (`-A -E -D -a -e -d -C -Z`),
/// or one of the commands that are not table changes. Options ipvsadm leaves out get ipvsadm's
/// defaults: scheduler wlc, direct routing (`-g`), weight 1, persistence 360 s for a bare `-p`,
/// netmask /32 (IPv4) or /128 (IPv6), tunnel type ipip, multicast interface eth0. `-E` and `-e`
/// replace every attribute (options left out take their defaults), as with ipvsadm.
public enum RuleAction: Hashable, Sendable {
    /// `-A -E -D -a -e -d -C -Z`: what `IPVSHandle.apply` takes.
    case change(Change)
    /// `--set TCP TCPFIN UDP` (0 leaves a value unchanged).
    case setTimeouts(Timeouts)
    /// `--start-daemon master|backup [daemon options]`
    case startDaemon(SyncDaemon)
    /// `--stop-daemon master|backup`
    case stopDaemon(SyncDaemon.Role)

    /// The table change; nil for timeouts and sync daemons.
    public var change: Change? {
        if case let .change(c) = self { return c }
        return nil
    }

    /// Whether this is a table change.
    public var isTableChange: Bool {
        if case .change = self { return true }
        return false
    }
}

/// A parsed line: what it does and where it is.
public struct RuleCommand: Hashable, Sendable {
    /// The line, and the column of its command option (`-A`, `-a`, …).
    public var location: SourceLocation
    public var action: RuleAction

    /// Where the service and real-server arguments are, for diagnostics about them (nil for
    /// lines read by ``CanonicalLine``). Kept in one box, so that a command, which a big
    /// restore copies several times per line, is a few words shorter.
    private var argumentTokens: ArgumentTokens?

    var serviceToken: LocatedToken? {
        get { argumentTokens?.service }
        set { argumentTokens = ArgumentTokens.make(service: newValue, server: argumentTokens?.server) }
    }

    var serverToken: LocatedToken? {
        get { argumentTokens?.server }
        set { argumentTokens = ArgumentTokens.make(service: argumentTokens?.service, server: newValue) }
    }

    public init(location: SourceLocation, action: RuleAction) {
        self.location = location
        self.action = action
    }
}

/// A line of the firewall-mark section.
public struct MarkLine: Hashable, Sendable {
    /// Where the payload starts (the column after the prefix).
    public var location: SourceLocation
    /// The rest of the line after `# swiftvs-mark ` (``RulesFile/markPrefix``), verbatim.
    public var text: String

    public init(location: SourceLocation, text: String) {
        self.location = location
        self.text = text
    }
}

/// A rules file in ipvsadm-save / ipvsadm-restore syntax.
///
/// Each line is one ipvsadm command without the program name (a leading `ipvsadm` word
/// is skipped), parsed the way `ipvsadm -R` parses it: short and long options, bundled
/// short options (`-At`, `-w5`), `--option=value`, `-p` with an optional value. Allowed
/// commands: `-A -E -D -C -a -e -d -Z --set --start-daemon --stop-daemon`. Blank lines
/// are skipped; a line starting with `#` (in column 1, the only comments ipvsadm-restore
/// drops) is a comment.
///
/// **Firewall-mark section.** Lines starting with `# swiftvs-mark ` are comments to
/// ipvsadm-restore, and collected here verbatim into ``marks`` (for the firewall-mark
/// rules engine) instead of being ignored.
///
/// Beyond ipvsadm, this reads back what ipvsadm-save writes but ipvsadm cannot: negative
/// firewall marks (`-f -1`, ipvsadm prints marks as signed) and bracketed IPv6 host names.
/// It is stricter where ipvsadm would silently truncate or where the kernel would refuse:
/// weights above 65535, scheduler/engine/interface names that are too long, a lower
/// threshold above the upper one, a zero real-server address, and, across lines, a
/// service or real server defined twice or used before it is defined.
public struct RulesFile: Hashable, Sendable {
    /// Prefix of the firewall-mark section's lines.
    public static let markPrefix = "# swiftvs-mark "

    public var fileName: String
    public var commands: [RuleCommand]
    public var marks: [MarkLine]

    public init(fileName: String, commands: [RuleCommand], marks: [MarkLine]) {
        self.fileName = fileName
        self.commands = commands
        self.marks = marks
    }

    /// Parses and validates a whole file, collecting every error.
    /// - Parameters:
    ///   - resolver: resolves host and service names as ipvsadm does (`NumericResolver` to refuse names).
    ///   - base: the table the file starts from, for the checks across lines (a real server
    ///     before its service, a service defined twice…): empty for ipvsadm-restore, which
    ///     flushes first; the current table for an `ipvsadm -R`-style merge; nil skips them.
    public static func parse(
        _ text: String,
        fileName: String,
        resolver: any NameResolver = SystemResolver(),
        startingFrom base: [ServiceEntry]? = []
    ) throws(RulesError) -> RulesFile {
        try parseWithTable(text, fileName: fileName, resolver: resolver, startingFrom: base).file
    }

    /// `parse`, plus the table the file's commands produce from `base` (what
    /// `table(startingFrom: base)` returns), which the checks across lines build anyway:
    /// a restore of a big file need not replay it twice. The table is nil when `base` is.
    public static func parseWithTable(
        _ text: String,
        fileName: String,
        resolver: any NameResolver = SystemResolver(),
        startingFrom base: [ServiceEntry]? = []
    ) throws(RulesError) -> (file: RulesFile, table: [ServiceEntry]?) {
        try parseWithTable(utf8: Array(text.utf8), fileName: fileName, resolver: resolver, startingFrom: base)
    }

    /// `parseWithTable` of a file's bytes as read: lines in ipvsadm-save's shape are read
    /// straight from them, without making a String of the whole file (others are decoded
    /// one line at a time, invalid UTF-8 repaired as `String(decoding:as:)` does).
    public static func parseWithTable(
        utf8 text: [UInt8],
        fileName: String,
        resolver: any NameResolver = SystemResolver(),
        startingFrom base: [ServiceEntry]? = []
    ) throws(RulesError) -> (file: RulesFile, table: [ServiceEntry]?) {
        var table: [ServiceEntry]? = nil
        var lines = Lines(fileName: fileName, resolver: resolver)
        text.withUnsafeBufferPointer { lines.read($0) }
        var diagnostics = lines.diagnostics
        let commands = lines.commands
        let marks = lines.marks

        let file = RulesFile(fileName: fileName, commands: commands, marks: marks)
        if let base {
            var sim = TableSimulator(base: base, file: fileName, commands: commands)
            sim.source = text
            sim.tolerate(lines.failedServices)
            sim.run()
            diagnostics += sim.diagnostics
            if diagnostics.isEmpty { table = sim.table }
        }
        if !diagnostics.isEmpty {
            diagnostics.sort { ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column) }
            throw RulesError(diagnostics: diagnostics)
        }
        return (file, table)
    }

    /// The table the file's commands produce from `base` (ipvsadm-restore: from empty):
    /// services in the order they were first added, each with its destinations in order.
    /// Stats and connection counts of entries from `base` are kept; new ones are zero.
    public func table(startingFrom base: [ServiceEntry] = []) throws(RulesError) -> [ServiceEntry] {
        var sim = TableSimulator(base: base, file: fileName, commands: commands)
        sim.run()
        if !sim.diagnostics.isEmpty { throw RulesError(diagnostics: sim.diagnostics) }
        return sim.table
    }

    /// What ``LineParser`` makes of one line written without the `ipvsadm` word (numeric:
    /// no names resolved), or nil if it has anything to report.
    static func generalCommand(_ line: String, file: String, line number: Int) -> RuleCommand? {
        var parser = LineParser(file: file, line: number, resolver: NumericResolver())
        let tokens = Tokenizer.tokens(line)
        guard !tokens.isEmpty else { return nil }
        let result = parser.parse(tokens)
        return parser.diagnostics.isEmpty ? result.command : nil
    }

    /// The table changes, in order (timeouts and sync daemon commands left out).
    public var changes: [Change] { commands.compactMap(\.action.change) }

}

/// What the lines of a file say, read one after the other: commands, mark lines,
/// diagnostics, and the services whose -A line had errors.
private struct Lines {
    let fileName: String
    let resolver: any NameResolver
    var commands: [RuleCommand] = []
    var diagnostics: [Diagnostic] = []
    var marks: [MarkLine] = []
    var failedServices: [(line: Int, key: ServiceKey)] = []

    init(fileName: String, resolver: any NameResolver) {
        self.fileName = fileName
        self.resolver = resolver
    }

    /// Reads a whole file's UTF-8 bytes. Lines end at LF or CRLF (a CR before the LF
    /// belongs to the break, as "\r\n" is one Character): the same lines as splitting
    /// Characters, without grapheme breaking over the whole file.
    mutating func read(_ bytes: UnsafeBufferPointer<UInt8>) {
        // Each line break found with memchr (vectorised), not byte by byte.
        func lineEnd(from start: Int) -> Int {
            guard start < bytes.count, let base = bytes.baseAddress,
                  let hit = memchr(base + start, Int32(UInt8(ascii: "\n")), bytes.count - start) else { return bytes.count }
            return UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) - base
        }
        var breaks = 1
        var scan = 0
        while scan < bytes.count { scan = lineEnd(from: scan) + 1; breaks += 1 }
        commands.reserveCapacity(breaks)
        var number = 0
        var start = 0
        var memo = CanonicalLine.Memo()
        while start <= bytes.count {
            let next = lineEnd(from: start)
            var end = next
            if next < bytes.count, end != start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            number += 1
            let lineBytes = UnsafeBufferPointer(rebasing: bytes[start..<end])
            start = next + 1
            // Lines in ipvsadm-save's own shape take the fast path; everything else, and
            // anything unusual in such a line, goes through the full ipvsadm emulation.
            if lineBytes.first == UInt8(ascii: "-"),
               CanonicalLine.parse(lineBytes, file: fileName, line: number, memo: &memo, into: &commands)
            {
                continue
            }
            read(String(decoding: lineBytes, as: UTF8.self), number: number)
        }
    }

    /// One line, the general way.
    private mutating func read(_ line: String, number: Int) {
        let markPrefix = RulesFile.markPrefix
        if line.hasPrefix(markPrefix) || line == "# swiftvs-mark" {
            var payload = line.hasPrefix(markPrefix) ? String(line.dropFirst(markPrefix.count)) : ""
            if payload.hasSuffix("\r") { payload.removeLast() }
            marks.append(MarkLine(location: SourceLocation(file: fileName, line: number, column: markPrefix.count + 1),
                                  text: payload))
            return
        }
        if line.hasPrefix("#") { return }
        var parser = LineParser(file: fileName, line: number, resolver: resolver)
        var tokens = Tokenizer.tokens(line)
        if tokens.isEmpty { return }
        if tokens[0].text.hasPrefix("#") {
            parser.error(tokens[0], "a comment must start in column 1",
                         "ipvsadm-restore only drops lines whose first character is #; remove the leading blanks")
            diagnostics += parser.diagnostics
            return
        }
        if tokens[0].text == "ipvsadm" { tokens.removeFirst() }
        if tokens.isEmpty { return }
        let result = parser.parse(tokens)
        diagnostics += parser.diagnostics
        if let command = result.command {
            commands.append(command)
        } else if result.isAddService, let key = result.serviceKey {
            failedServices.append((number, key))
        }
    }
}

/// Splits a line like ipvsadm's config_stream: tokens separated by blanks, tabs and CRs.
enum Tokenizer {
    struct Token {
        var text: String
        var column: Int
    }

    static func tokens(_ line: String) -> [Token] {
        var line = line
        if let fast = line.withUTF8({ asciiTokens($0) }) { return fast }
        var result: [Token] = []
        var current = ""
        var start = 0
        var column = 0
        for ch in line {
            column += 1
            if ch == " " || ch == "\t" || ch == "\r" {
                if !current.isEmpty { result.append(Token(text: current, column: start)); current = "" }
            } else {
                if current.isEmpty { start = column }
                current.append(ch)
            }
        }
        if !current.isEmpty { result.append(Token(text: current, column: start)) }
        return result
    }

    /// The same split for an all-ASCII line (one byte per Character, so columns are byte
    /// offsets + 1), without Character iteration; nil if the line has other bytes.
    private static func asciiTokens(_ bytes: UnsafeBufferPointer<UInt8>) -> [Token]? {
        var result: [Token] = []
        var start = -1
        for (i, b) in bytes.enumerated() {
            if b >= 0x80 { return nil }
            if b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\r") {
                if start >= 0 {
                    result.append(Token(text: String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self), column: start + 1))
                    start = -1
                }
            } else if start < 0 {
                start = i
            }
        }
        if start >= 0 {
            result.append(Token(text: String(decoding: UnsafeBufferPointer(rebasing: bytes[start...]), as: UTF8.self), column: start + 1))
        }
        return result
    }
}

/// Replays commands on an in-memory table, reporting what the kernel would refuse.
///
/// The table is kept as the array ``table`` returns (services in the order they were
/// added) with a position index, so handing it over copies nothing. Where each service and
/// real server was defined matters only for an error message: that bookkeeping
/// (``DefinitionLines``) is built by replaying the commands the first time a message
/// needs it, and kept up to date from then on.
struct TableSimulator {
    /// Every service added so far, in order, deleted ones included (see `deleted`).
    private var slots: [ServiceEntry] = []
    /// The slots of deleted services: a deletion leaves its slot, so no position moves
    /// (a file of many deletions stays linear); `table` leaves them out.
    private var deleted: Set<Int> = []
    /// Where each service present is in `slots`.
    private var position: ServiceIndex

    /// The table so far: services in the order they were first added (the slots themselves,
    /// not a copy, unless a service was deleted).
    var table: [ServiceEntry] {
        if deleted.isEmpty { return slots }
        return slots.indices.filter { !deleted.contains($0) }.map { slots[$0] }
    }
    var diagnostics: [Diagnostic] = []
    let file: String
    /// The table the commands start from.
    private let base: [ServiceEntry]
    /// The commands being checked, to say where a missing service is defined later.
    let commands: [RuleCommand]
    /// Services whose -A line had errors: treated as defined so their -a lines do not cascade.
    var tolerated: Set<ServiceKey> = []
    /// The lines that defined what is in the table; nil until an error message needs them.
    private var definitions: DefinitionLines?

    init(base: [ServiceEntry], file: String, commands: [RuleCommand]) {
        self.file = file
        self.base = base
        self.commands = commands
        var services = base.count
        commands.withUnsafeBufferPointer { buffer in
            for i in buffer.indices { if case .change(.addService) = buffer[i].action { services += 1 } }
        }
        position = ServiceIndex(capacity: services)
        slots.reserveCapacity(services)
        for e in base where position.insertIfAbsent(e.service.key, slots.count) == nil {
            slots.append(e)
        }
    }

    mutating func tolerate(_ failed: [(line: Int, key: ServiceKey)]) {
        for f in failed { tolerated.insert(f.key) }
    }

    /// The file's text (UTF-8), when known: lines read by ``CanonicalLine`` carry no
    /// argument tokens, and a diagnostic about one reads its line again to point at the token.
    var source: [UInt8]?

    /// Where each line of `source` starts (UTF-8 offsets), made on the first report that
    /// needs it: a file with thousands of errors is not split again for each one.
    private var lineStarts: [Int]?

    private mutating func error(_ c: RuleCommand, _ which: KeyPath<RuleCommand, LocatedToken?>, _ message: String, _ hint: String) {
        var located = c[keyPath: which]
        if located == nil, let source {
            if lineStarts == nil { lineStarts = Self.lineStarts(of: source) }
            if let again = Self.reread(line: c.location.line, of: source, starts: lineStarts!, file: file) {
                located = again[keyPath: which]
            }
        }
        let s = located ?? LocatedToken(column: c.location.column, text: "")
        diagnostics.append(Diagnostic(.error, SourceLocation(file: file, line: c.location.line, column: s.column),
                                      message, token: s.text, hint: hint))
    }

    /// The offset where each line of `text` starts (lines end at LF).
    static func lineStarts(of text: [UInt8]) -> [Int] {
        var starts = [0]
        for (i, b) in text.enumerated() where b == UInt8(ascii: "\n") { starts.append(i + 1) }
        return starts
    }

    /// Line `number` of `text` (lines end at LF or CRLF) as LineParser reads it.
    static func reread(line number: Int, of text: [UInt8], starts: [Int], file: String) -> RuleCommand? {
        guard number >= 1, number <= starts.count else { return nil }
        let from = starts[number - 1]
        var to = number < starts.count ? starts[number] - 1 : text.count
        if to > from, text[to - 1] == UInt8(ascii: "\r") { to -= 1 }
        return RulesFile.generalCommand(String(decoding: text[from..<to], as: UTF8.self), file: file, line: number)
    }

    private func definedWhere(_ line: Int?) -> String {
        line.map { " on line \($0)" } ?? " in the current table"
    }

    /// The definition lines as they stand before command `index` (built on first use by
    /// replaying the commands before it).
    private mutating func definitionLines(before index: Int) -> DefinitionLines {
        if let definitions { return definitions }
        var made = DefinitionLines(base: base)
        for c in commands[..<index] { made.apply(c) }
        definitions = made
        return made
    }

    /// The service must exist: reports it (and where it is defined later, if it is).
    private mutating func requireService(_ key: ServiceKey, _ c: RuleCommand) -> Int? {
        if let p = position[key] { return p }
        if tolerated.contains(key) { return nil }
        // Only on an error: look for a later -A of the service.
        if let later = commands.first(where: {
            if case let .change(.addService(s)) = $0.action { return s.key == key && $0.location.line > c.location.line }
            return false
        })?.location.line {
            error(c, \.serviceToken, "service \(key) is not defined yet (it is added on line \(later))",
                  "move the -A line of the service above the lines that use it")
        } else {
            error(c, \.serviceToken, "service \(key) is not defined",
                  "add the service with -A before adding, changing or removing it or its real servers")
        }
        return nil
    }

    /// Replays every command.
    mutating func run() {
        let commands = self.commands
        commands.withUnsafeBufferPointer { buffer in
            for i in buffer.indices { apply(buffer, at: i) }
        }
    }

    /// The service the last real server went to, and where it is: a file lists a service's
    /// real servers one after the other, so most lines need no hashing at all. Forgotten on
    /// every change other than adding a real server.
    private var recent: (key: ServiceKey, position: Int)?

    /// Applies `commands[index]`. The command is read in place from `commands` (its
    /// action and line); it is copied only for a diagnostic.
    mutating func apply(_ commands: UnsafeBufferPointer<RuleCommand>, at index: Int) {
        var c: RuleCommand { commands[index] }
        if case .change(.addDestination) = commands[index].action {} else { recent = nil }
        // Once built, the definition lines follow every command (after the checks below
        // have read them as they stood before it).
        defer { if definitions != nil { definitions!.apply(commands[index]) } }
        switch commands[index].action {
        case let .change(.addService(s)):
            let p = slots.count
            if position.insertIfAbsent(s.key, p) != nil {
                let line = definitionLines(before: index).serviceLine(s.key)
                error(c, \.serviceToken, "service \(s.key) is already defined\(definedWhere(line))",
                      "define each service once; use -E to change one")
                return
            }
            if !tolerated.isEmpty { tolerated.remove(s.key) }
            // Room for the usual few real servers, so the first ones added need no regrowth
            // (the entry made in place in the call: a local one is one more copy of it).
            var destinations: [DestinationEntry] = []
            destinations.reserveCapacity(4)
            slots.append(ServiceEntry(service: s, destinations: destinations))
            // Its real servers usually follow.
            recent = (s.key, p)
        case let .change(.editService(s)):
            guard let p = requireService(s.key, c) else { return }
            slots[p].service = s
        case let .change(.deleteService(k)):
            guard let p = requireService(k, c) else { return }
            deleted.insert(p)
            position.remove(k)
        case let .change(.addDestination(d, k)):
            let p: Int
            if let r = recent, Self.same(r.key, k) {
                p = r.position
            } else {
                guard let found = position[k] else { _ = requireService(k, c); return }
                p = found
                recent = (k, found)
            }
            // In place: a big restore adds tens of thousands of these.
            if slots[p].destinations.contains(where: { $0.destination.port == d.port && Self.same($0.destination.address, d.address) }) {
                let line = definitionLines(before: index).destinationLine(d.key, in: k)
                error(c, \.serverToken, "real server \(d.key) is already in service \(k)\(definedWhere(line))",
                      "add each real server once per service; use -e to change one")
                return
            }
            slots[p].destinations.append(DestinationEntry(destination: d))
        case let .change(.editDestination(d, k)):
            guard let p = requireService(k, c) else { return }
            guard let j = slots[p].destinations.firstIndex(where: { $0.destination.key == d.key }) else {
                error(c, \.serverToken, "real server \(d.key) is not in service \(k)",
                      "add it with -a first (a real server without a port takes the service's port)")
                return
            }
            slots[p].destinations[j].destination = d
        case let .change(.deleteDestination(dk, k)):
            guard let p = requireService(k, c) else { return }
            guard let j = slots[p].destinations.firstIndex(where: { $0.destination.key == dk }) else {
                error(c, \.serverToken, "real server \(dk) is not in service \(k)",
                      "check the address and port (a real server without a port takes the service's port)")
                return
            }
            slots[p].destinations.remove(at: j)
        case .change(.flush):
            slots = []
            deleted = []
            position.removeAll()
        case let .change(.zero(k)):
            if let k { _ = requireService(k, c) }
        case .setTimeouts, .startDaemon, .stopDaemon:
            break
        }
    }
}

extension TableSimulator {
    /// `a == b`, worked out here: the synthesized `==` is a call into the IPVS module, and
    /// every real-server line compares its service with the one before.
    @inline(__always)
    static func same(_ a: ServiceKey, _ b: ServiceKey) -> Bool {
        switch (a, b) {
        case let (.address(p1, a1, port1), .address(p2, a2, port2)):
            return p1 == p2 && port1 == port2 && same(a1, a2)
        case let (.fwmark(m1, f1), .fwmark(m2, f2)):
            return m1 == m2 && f1 == f2
        // No `default`: a new kind of key must not compare unequal to itself unnoticed.
        case (.address, _), (.fwmark, _):
            return false
        }
    }

    /// `a == b` for addresses, IPv4 worked out here.
    @inline(__always)
    static func same(_ a: IPAddress, _ b: IPAddress) -> Bool {
        switch (a, b) {
        case let (.v4(a0, a1, a2, a3), .v4(b0, b1, b2, b3)):
            return a0 == b0 && a1 == b1 && a2 == b2 && a3 == b3
        case (.v6, .v6):
            return a == b
        case (.v4, _), (.v6, _):
            return false
        }
    }
}

/// The line that defined each service and real server present in a simulated table (nil:
/// it comes from the starting table). It follows the same rules as ``TableSimulator``:
/// adding what is present or touching what is absent changes nothing.
struct DefinitionLines {
    private var services: [ServiceKey: (line: Int?, destinations: [DestinationKey: Int?])] = [:]

    init(base: [ServiceEntry]) {
        for e in base where services[e.service.key] == nil {
            var destinations: [DestinationKey: Int?] = [:]
            for d in e.destinations where destinations[d.destination.key] == nil { destinations[d.destination.key] = .some(nil) }
            services[e.service.key] = (nil, destinations)
        }
    }

    func serviceLine(_ key: ServiceKey) -> Int? { services[key]?.line ?? nil }

    func destinationLine(_ key: DestinationKey, in service: ServiceKey) -> Int? {
        services[service]?.destinations[key] ?? nil
    }

    mutating func apply(_ c: RuleCommand) {
        switch c.action {
        case let .change(.addService(s)):
            if services[s.key] == nil { services[s.key] = (c.location.line, [:]) }
        case let .change(.deleteService(k)):
            services[k] = nil
        case let .change(.addDestination(d, k)):
            if services[k] != nil, services[k]!.destinations[d.key] == nil {
                services[k]!.destinations[d.key] = .some(c.location.line)
            }
        case let .change(.deleteDestination(dk, k)):
            services[k]?.destinations[dk] = nil
        case .change(.flush):
            services = [:]
        case .change, .setTimeouts, .startDaemon, .stopDaemon:
            break
        }
    }
}
