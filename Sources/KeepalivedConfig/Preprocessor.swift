#if canImport(Glibc)
import Glibc
#endif

/// keepalived 2.2.7's line preprocessor (`read_line` in lib/parser.c), before lines are split
/// into words: comments, `@ID` / `@^ID` conditional lines, `$NAME=VALUE` definitions (multi-line
/// with a trailing `\`), `$NAME` / `${NAME}` substitution (inside quoted strings too),
/// `~SEQ(…)` / `~SEQx(…)` / `~LST(…)` blocks, and the split of a line after its first brace
/// (the rest is read as a line of its own, so `{ @ID keyword` is conditional too).
///
/// Each character keeps where it came from, so a diagnostic points at the text as written; for
/// substituted text, at the `$NAME` that brought it, with the definition in the location's note.
///
/// Where keepalived loops forever or writes past its buffer, this is an error instead: a
/// definition that refers to itself; a `~SEQ` without its `)`.
struct Preprocessor: Sendable {
    /// The configuration id `@ID` lines are compared with; nil matches no `@ID` line.
    let configID: String?
    /// The directory relative paths start from (`${_PWD}` of a file named without one).
    let workingDirectory: String

    private var definitions = ParameterDefinition.predefined()
    /// The definition a trailing `\` continues onto the next line.
    private var continuing: String?
    /// keepalived's `seq_list`: the last block is read first.
    var sequences: [SequenceBlock] = []
    /// The lines of a multi-line definition still to be read, and those of outer ones.
    private var pending: SourceText?
    private var pendingStack: [(text: SourceText, sequenceDepth: Int)] = []
    /// Blocks that were open when the multi-line expansion in `pending` began wait for it.
    var sequenceDepth = 0
    /// The rest of a line after its first brace.
    private var residue: SourceText?
    /// The file whose lines are being read (for `${_PWD}`).
    private var file = ""
    /// Undefined references warned about, by where they are written: a line read again (the
    /// rest after a brace, a sequence block's rounds) warns once.
    private var warned: Set<String> = []

    /// keepalived's line buffer: substitution that makes a line longer stops (with a warning).
    static let maxLineLength = 1024
    /// At most this many lines from one line of a file (a ~SEQ of a ~SEQ of a multi-line
    /// definition can run to billions; keepalived would read them all).
    static let maxGeneratedLines = 1_000_000

    /// `${_RANDOM}`'s numbers: glibc's `random()` seeded with the time, as keepalived seeds it
    /// before it reads a file, until a `random_seed` in global_defs seeds it (`seedRandom`).
    private var random: GlibcRandom

    init(configID: String?, workingDirectory: String) {
        self.configID = configID
        self.workingDirectory = workingDirectory
        random = GlibcRandom(seed: UInt32(truncatingIfNeeded: time(nil)))
    }

    /// Whether a multi-line definition is being read (the next line may continue it).
    var isContinuingDefinition: Bool { continuing != nil }

    /// global_defs' `random_seed`: the `${_RANDOM}`s read after it draw from glibc's `random()`
    /// as `srandom(seed)` leaves it. (keepalived 2.2.7 documents this, but clears the seed
    /// before it seeds `random()`, so there its `${_RANDOM}` stays seeded with the time.)
    mutating func seedRandom(_ seed: UInt32) {
        random = GlibcRandom(seed: seed)
    }

    /// An empty preprocessor, to stand in for the real one while it runs (see `TreeBuilder`).
    static let placeholder = Preprocessor(configID: nil, workingDirectory: "/")

    /// The logical lines that line `number` of `file` (as written, without its "\n") stands for:
    /// none (a comment, a definition, a line for another config id), the line itself, or many
    /// (a `~SEQ` block, a multi-line parameter). For tests; `TreeBuilder` streams them.
    mutating func lines(raw: Substring, number: Int, file: String, diagnostics: inout [Diagnostic]) -> [LogicalLine] {
        if let line = asWritten(raw, number: number, file: file) { return [line] }
        var out: [LogicalLine] = []
        expand(raw: raw, number: number, file: file, diagnostics: &diagnostics) { out.append($0) }
        return out
    }

    /// The line as written when there is nothing for the preprocessor to do in it (no `$`, `\`,
    /// `@` or `~`, and no definition being continued): most lines of a file.
    ///
    /// `mutating` though it changes nothing: so that the tree builder's line loop reaches the
    /// preprocessor in place. Called as a non-mutating method from there, it was given a copy
    /// of the whole preprocessor (every field retained, then released) once a line: about a
    /// twentieth of the start-up's read of a 290,000-line file.
    mutating func asWritten(_ raw: Substring, number: Int, file: String) -> LogicalLine? {
        guard continuing == nil && residue == nil && pending == nil && sequences.isEmpty,
              // Bytes, not Characters: no grapheme breaking on every line of a big file.
              !raw.utf8.contains(where: { $0 == 0x24 || $0 == 0x5C || $0 == 0x40 || $0 == 0x7E }) else { return nil }
        return LogicalLine(text: raw, sources: nil, file: file, line: number)
    }

    /// Hands `emit` each logical line that line `number` of `file` stands for, one at a time
    /// (a ~SEQ block of a big multi-line definition is never held whole).
    /// `column` is where `raw` starts in its line (a piece of a long line starts further on).
    mutating func expand(raw: Substring, number: Int, column: Int = 1, file: String, diagnostics: inout [Diagnostic],
                         emit: (LogicalLine) -> Void) {
        self.file = file
        var chars = Array(raw)
        while let l = chars.last, l == "\r" || l == "\n" { chars.removeLast() }
        if chars.isEmpty {
            // A blank line ends a multi-line definition.
            if let name = continuing { endDefinition(name) }
            return
        }
        let written = SourceOrigin(.written(first: SourceLocation(file: file, line: number, column: column)))
        var buf: SourceText = chars.enumerated().map { SourceChar(char: $0.element, origin: written, offset: $0.offset) }
        buf.decomment()
        guard !buf.isEmpty else { return }
        process(buf, emit: emit, diagnostics: &diagnostics)
        drain(emit: emit, diagnostics: &diagnostics)
    }

    // MARK: reading order

    /// keepalived's order of what to read next: the rest of a split line, a sequence block's
    /// next round, the next line of a multi-line parameter.
    private mutating func drain(emit: (LogicalLine) -> Void, diagnostics: inout [Diagnostic]) {
        var rounds = 0
        while true {
            rounds += 1
            if rounds > Self.maxGeneratedLines {
                let at = sequences.last?.location ?? pending?.first?.location ?? SourceLocation(file: file, line: 1, column: 1)
                diagnostics.append(Diagnostic(.error, at, "parameter substitution and ~SEQ make more than \(Self.maxGeneratedLines) lines of one line; stopped there"))
                sequences = []; pending = nil; pendingStack = []; residue = nil
                return
            }
            if let r = residue {
                residue = nil
                process(r, emit: emit, diagnostics: &diagnostics)
            } else if !sequences.isEmpty && sequences.count > sequenceDepth {
                var block = sequences.removeLast()
                guard let round = block.next() else { continue }
                if !block.isDone { sequences.append(block) }
                for (name, value) in round.definitions {
                    let at = SourceLocation(file: block.location.file, line: block.location.line,
                                            column: block.location.column, note: block.location.note)
                    let fixed = SourceOrigin(.fixed(at))
                    setDefinition(name, value: value.map { SourceChar(char: $0, origin: fixed, offset: 0) }, at: at)
                }
                var rounds = OriginMap()
                let text = block.text.map { c in
                    SourceChar(char: c.char, origin: rounds.origin(for: c.origin) { SourceOrigin(.round(note: round.note, inner: $0), via: $0.via) },
                               offset: c.offset)
                }
                process(text, emit: emit, diagnostics: &diagnostics)
            } else if let p = pending {
                if let nl = p.firstIndex(where: { $0.char == "\n" }) {
                    pending = Array(p[(nl + 1)...])
                    process(Array(p[..<nl]), emit: emit, diagnostics: &diagnostics)
                } else {
                    if let outer = pendingStack.popLast() {
                        pending = outer.text
                        sequenceDepth = outer.sequenceDepth
                    } else {
                        pending = nil
                        sequenceDepth = 0
                    }
                    process(p, emit: emit, diagnostics: &diagnostics)
                }
            } else {
                return
            }
        }
    }

    /// One line: onto a definition being continued, or through `body` and out.
    private mutating func process(_ line: SourceText, emit: (LogicalLine) -> Void, diagnostics: inout [Diagnostic]) {
        if let name = continuing {
            continueDefinition(name, with: line)
            return
        }
        guard var buf = body(line, diagnostics: &diagnostics), !buf.isEmpty else { return }
        warnUndefined(buf, diagnostics: &diagnostics)
        splitAtBrace(&buf)
        let first = buf[0].location
        emit(LogicalLine(text: Substring(buf.string), sources: buf, file: first.file, line: first.line))
    }

    /// keepalived's handling of a line's start: conditionals, definitions, sequence blocks,
    /// then substitution, again while substitution makes a new start. Nil when the line is used
    /// up.
    private mutating func body(_ line: SourceText, diagnostics: inout [Diagnostic]) -> SourceText? {
        var buf = line
        while true {
            if buf.first?.char == "@" {
                let reverse = buf.count > 1 && buf[1].char == "^"
                let start = reverse ? 2 : 1
                guard let blank = buf[start...].firstIndex(where: { SourceChar.isBlank($0.char) }) else { return nil }
                let id = String(buf[start..<blank].map(\.char))
                let matches = configID != nil && id == configID
                if matches == reverse { return nil }
                buf = Array(buf[blank...].drop { SourceChar.isBlank($0.char) })
            }
            if buf.first?.char == "$", define(buf) { return nil }
            if buf.count >= 4, buf[0].char == "~", buf[1].char == "S" || buf[1].char == "L",
               buf[2].char == (buf[1].char == "S" ? "E" : "S"), buf[3].char == (buf[1].char == "S" ? "Q" : "T") {
                if buf[1].char == "S" { addSequence(buf, diagnostics: &diagnostics) } else { addList(buf, diagnostics: &diagnostics) }
                return nil
            }
            if buf.first?.char == "~" { return buf }
            guard buf.contains(where: { $0.char == "$" }) else { return buf }
            var multiline = pending
            let replaced = substitute(&buf, multiline: &multiline, diagnostics: &diagnostics)
            pending = multiline
            guard replaced else { return buf }
            buf.decomment()
            guard buf.first?.char == "@" || buf.contains(where: { $0.char == "$" }) else { return buf }
        }
    }

    /// keepalived's split of a line at its first brace outside double quotes: a line that
    /// starts with one is that brace alone, otherwise the text before it; the rest is read next.
    private mutating func splitAtBrace(_ buf: inout SourceText) {
        var p = 0
        var brace: Int?
        if buf[0].char == "{" || buf[0].char == "}" {
            brace = 0
        } else {
            while p < buf.count {
                let c = buf[p].char
                if c == "\"" {
                    guard let close = buf[(p + 1)...].firstIndex(where: { $0.char == "\"" }) else { break }
                    p = close + 1
                    continue
                }
                if c == "{" || c == "}" { brace = p; break }
                p += 1
            }
        }
        if let b = brace {
            var cut = b
            if b == 0 { cut = 1 + buf[1...].prefix { SourceChar.isBlank($0.char) }.count }
            if cut < buf.count {
                var rest = Array(buf[cut...])
                while let l = rest.last, SourceChar.isBlank(l.char) { rest.removeLast() }
                residue = rest
                buf.removeSubrange(cut...)
            }
        }
        while let l = buf.last, SourceChar.isBlank(l.char) { buf.removeLast() }
    }

    // MARK: definitions

    /// keepalived's `check_definition`: `$NAME=VALUE` at the start of the line (no blank before
    /// `=`) defines NAME; a trailing `\` makes it multi-line. False when the line is not one.
    private mutating func define(_ buf: SourceText) -> Bool {
        guard buf.count > 1, SourceChar.isAlpha(buf[1].char) || buf[1].char == "_" else { return false }
        var p = 2
        while p < buf.count, buf[p].char != "=" {
            guard SourceChar.isNameChar(buf[p].char) else { return false }
            p += 1
        }
        guard p < buf.count else { return false }
        let name = String(buf[1..<p].map(\.char))
        var value = Array(buf[(p + 1)...].drop { SourceChar.isBlank($0.char) })
        var multiline = false
        if let last = value.last, last.char == "\\" {
            multiline = true
            value.removeLast()
            while let l = value.last, SourceChar.isBlank(l.char) { value.removeLast() }
            if !value.isEmpty { value.append(SourceChar(char: "\n", origin: last.origin, offset: last.offset)) }
        }
        definitions[name] = ParameterDefinition(name: name, value: value, multiline: multiline, definedAt: buf[0].location)
        continuing = multiline ? name : nil
        return true
    }

    /// A line of a multi-line definition: added to it; one without a trailing `\` is its last.
    private mutating func continueDefinition(_ name: String, with line: SourceText) {
        var line = line
        var more = false
        if let last = line.last, last.char == "\\" {
            more = true
            line.removeLast()
            while let l = line.last, SourceChar.isBlank(l.char) { line.removeLast() }
            line.append(SourceChar(char: "\n", origin: last.origin, offset: last.offset))
        }
        if line.count >= 2 || (!line.isEmpty && !more) { definitions[name]?.value += line }
        if !more { endDefinition(name) }
    }

    private mutating func endDefinition(_ name: String) {
        continuing = nil
        if definitions[name]?.value.isEmpty == true { definitions[name]?.multiline = false }
    }

    /// keepalived's `set_definition` (a sequence block's variable).
    mutating func setDefinition(_ name: String, value: SourceText, at: SourceLocation) {
        definitions[name] = ParameterDefinition(name: name, value: value, multiline: false, definedAt: at)
    }

    // MARK: substitution

    /// A `$NAME` or `${NAME}` (`${NAME N M}` for a definition that takes numbers) at `dollar`:
    /// the definition and how many characters the reference takes. keepalived's
    /// `find_definition`: without braces NAME must be followed by a blank, ',' or ')' or end the
    /// line; a multi-line definition is used only where the reference ends the line.
    private func reference(in buf: SourceText, at dollar: Int) -> (definition: ParameterDefinition, length: Int, parameters: String?)? {
        var i = dollar + 1
        guard i < buf.count else { return nil }
        let braces = buf[i].char == "{"
        if braces { i += 1 }
        guard i < buf.count, SourceChar.isAlpha(buf[i].char) || buf[i].char == "_" else { return nil }
        var j = i + 1
        while j < buf.count, SourceChar.isNameChar(buf[j].char) { j += 1 }
        let name = String(buf[i..<j].map(\.char))
        var p = j
        var firstDigit: Int?
        var lastDigit = 0
        if braces {
            while p < buf.count, buf[p].char == " " || SourceChar.isDigit(buf[p].char) {
                if buf[p].char != " " {
                    if firstDigit == nil { firstDigit = p }
                    lastDigit = p
                }
                p += 1
            }
            if firstDigit != nil && lastDigit + 1 != p { return nil }
            guard p < buf.count, buf[p].char == "}" else { return nil }
        } else if p < buf.count, !" \t,)".contains(buf[p].char) {
            return nil
        }
        let atEnd = braces ? p + 1 == buf.count : j == buf.count
        guard let def = definitions[name], atEnd || !def.multiline else { return nil }
        if firstDigit != nil && def.maxParameters == 0 { return nil }
        let parameters = firstDigit.map { String(buf[$0...lastDigit].map(\.char)) }
        return (def, (braces ? p + 1 : j) - dollar, parameters)
    }

    /// keepalived's `replace_param`: every reference in `buf`, left to right, the replacing text
    /// read again for references at once. A multi-line definition's first line replaces the
    /// reference and its other lines become `multiline` (what was there is saved for after).
    /// False when nothing was replaced.
    mutating func substitute(_ buf: inout SourceText, multiline: inout SourceText?, diagnostics: inout [Diagnostic]) -> Bool {
        var found = false
        var pos = 0
        var current = multiline
        var next = multiline
        while let dollar = buf[pos...].firstIndex(where: { $0.char == "$" }), dollar + 1 < buf.count {
            guard let (def, length, parameters) = reference(in: buf, at: dollar) else {
                pos = dollar + 1
                continue
            }
            let use = buf[dollar]
            if use.via.contains(def.name) {
                let chain = ([def.name] + use.via.prefix { $0 != def.name } + [def.name]).reversed().map { "$" + $0 }
                diagnostics.append(Diagnostic(.error, use.location,
                                              "parameter $\(def.name) refers to itself (\(chain.joined(separator: " -> "))); keepalived 2.2.7 loops forever on such a line"))
                buf.removeSubrange(dollar..<(dollar + length))
                pos = dollar
                continue
            }
            var value = replacement(def, parameters: parameters, use: use)
            next = current
            if def.multiline {
                if let c = current { pendingStack.append((c, sequenceDepth)) }
                sequenceDepth = sequences.count
                if let nl = value.firstIndex(where: { $0.char == "\n" }) {
                    next = Array(value[(nl + 1)...])
                    value.removeSubrange(nl...)
                } else {
                    next = []
                }
                current = next
            }
            if buf.count - length + value.count >= Self.maxLineLength {
                diagnostics.append(Diagnostic(.warning, use.location,
                                              "parameter substitution would make the line longer than \(Self.maxLineLength - 1) characters; $\(def.name) and what follows left as written (as keepalived does)"))
                return false
            }
            buf.replaceSubrange(dollar..<(dollar + length), with: value)
            found = true
            if def.value.first(where: { !SourceChar.isBlank($0.char) })?.char == "~" { break }
        }
        if found { multiline = next }
        return found
    }

    /// The text that replaces a reference to `def` written at `use`: each character reported at
    /// `use`, with the definition's place in its note.
    private mutating func replacement(_ def: ParameterDefinition, parameters: String?, use: SourceChar) -> SourceText {
        let via = [def.name] + use.via
        let useAt = use.location
        func fixed(_ note: String) -> SourceOrigin {
            var l = useAt
            l.note = useAt.note.map { "\(note), \($0)" } ?? note
            return SourceOrigin(.fixed(l), via: via)
        }
        let computed: String?
        switch def.builtin {
        case .pwd?: computed = directory(of: file)
        case .instance?: computed = configID ?? ""
        case .random?: computed = ParameterDefinition.random(parameters: parameters, using: &random)
        case nil: computed = nil
        }
        if let computed {
            let origin = fixed("${\(def.name)}")
            return computed.map { SourceChar(char: $0, origin: origin, offset: 0) }
        }
        guard def.definedAt != nil else {
            let origin = fixed("${\(def.name)}")
            return def.value.map { SourceChar(char: $0.char, origin: origin, offset: 0) }
        }
        // One run per run of the value: its characters keep their offsets (and the runs share
        // one `via` where the value's own text came through nothing).
        var runs = OriginMap()
        return def.value.map { c in
            SourceChar(char: c.char,
                       origin: runs.origin(for: c.origin) { SourceOrigin(.substituted(use: useAt, name: def.name, inner: $0), via: $0.via.isEmpty ? via : via + $0.via) },
                       offset: c.offset)
        }
    }

    /// The directory of `path`, absolute.
    private func directory(of path: String) -> String {
        let full = path.hasPrefix("/") ? path : workingDirectory + "/" + path
        guard let slash = full.lastIndex(of: "/") else { return workingDirectory }
        let dir = String(full[..<slash])
        return dir.isEmpty ? "/" : dir
    }

    /// A warning for each `${NAME}` left in a line, and each `$NAME` outside double quotes, that
    /// no definition replaced: keepalived leaves them as written, silently.
    private mutating func warnUndefined(_ buf: SourceText, diagnostics: inout [Diagnostic]) {
        var quote = false
        var p = 0
        while p < buf.count {
            let c = buf[p].char
            if c == "\"" { quote.toggle() }
            guard c == "$", p + 1 < buf.count else { p += 1; continue }
            let braces = buf[p + 1].char == "{"
            let start = braces ? p + 2 : p + 1
            guard start < buf.count, SourceChar.isAlpha(buf[start].char) || buf[start].char == "_" else { p += 1; continue }
            var j = start + 1
            while j < buf.count, SourceChar.isNameChar(buf[j].char) { j += 1 }
            let name = String(buf[start..<j].map(\.char))
            if braces ? (j < buf.count && buf[j].char == "}") : (!quote && (j == buf.count || " \t,)".contains(buf[j].char))) {
                let shown = braces ? "${\(name)}" : "$\(name)"
                let at = buf[p].location
                guard warned.insert("\(at.file):\(at.line):\(at.column):\(name)").inserted else { p = j; continue }
                if let def = definitions[name], def.multiline {
                    diagnostics.append(Diagnostic(.warning, buf[p].location,
                                                  "\(shown) is a multi-line definition, used only where it ends its line; left as written (as keepalived does)"))
                } else if definitions[name] == nil {
                    diagnostics.append(Diagnostic(.warning, buf[p].location,
                                                  "\(shown) is not defined; left as written (as keepalived does)"))
                }
            }
            p = j
        }
    }
}
