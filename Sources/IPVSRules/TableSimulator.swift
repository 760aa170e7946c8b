#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IPVSModel

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
