#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IPVSModel

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
