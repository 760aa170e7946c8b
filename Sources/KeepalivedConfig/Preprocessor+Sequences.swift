/// keepalived 2.2.7's `~SEQ` and `~LST` lines (`add_seq`, `add_lst` in lib/parser.c).
extension Preprocessor {
    /// `~SEQ(VAR, END)`, `~SEQ(VAR, START, END)`, `~SEQ(VAR, START, STEP, END)` and `~SEQx(…)`
    /// (the value in hexadecimal): numbers as C's strtol reads them (0x… hexadecimal, 0…
    /// octal), parameters substituted first. With END alone START is 1 (-1 when END < 0); without
    /// STEP it is 1 or -1 towards END.
    mutating func addSequence(_ buf: SourceText, diagnostics: inout [Diagnostic]) {
        let c = buf.map(\.char)
        func fail(_ message: String) {
            diagnostics.append(Diagnostic(.error, buf[0].location, "\(message) '\(buf.string)'"))
        }
        var p = 4
        let hex = p < c.count && c[p] == "x"
        if hex { p += 1 }
        skipBlanks(c, &p)
        guard p < c.count, c[p] == "(" else { return fail("Invalid ~SEQ specification") }
        p += 1
        skipBlanks(c, &p)
        let varStart = p
        while p < c.count, !" \t,)".contains(c[p]) { p += 1 }
        let variable = String(c[varStart..<p])
        skipBlanks(c, &p)
        guard p < c.count, c[p] != ")", p != varStart else { return fail("Invalid ~SEQ definition") }
        p += 1
        skipBlanks(c, &p)
        guard let close = c[p...].firstIndex(of: ")") else { return fail("Invalid ~SEQ definition (no ')')") }
        guard close + 2 - p <= 64 else { return fail("~SEQ parameter strings too long") }
        var parameters = Array(buf[p...close])
        var multiline: SourceText?
        let depth = sequenceDepth
        _ = substitute(&parameters, multiline: &multiline, diagnostics: &diagnostics)
        sequenceDepth = depth
        guard multiline == nil else { return fail("~SEQ parameter is multiline definition") }
        let n = parameters.map(\.char)
        var q = 0
        let one = Self.strtol(n, &q)
        skipBlanks(n, &q)
        var start: Int, step: Int, end: Int
        if q < n.count, n[q] == ")" {
            end = one
            step = end < 1 ? -1 : 1
            start = end < 0 ? -1 : 1
        } else {
            guard q < n.count, n[q] == "," else { return fail("Invalid ~SEQ definition") }
            q += 1
            let two = Self.strtol(n, &q)
            skipBlanks(n, &q)
            if q < n.count, n[q] == ")" {
                start = one
                end = two
                step = start <= end ? 1 : -1
            } else {
                guard q < n.count, n[q] == "," else { return fail("Invalid ~SEQ definition") }
                q += 1
                let three = Self.strtol(n, &q)
                skipBlanks(n, &q)
                guard q < n.count, n[q] == ")" else { return fail("Invalid ~SEQ definition") }
                start = one
                step = two
                end = three
                if step == 0 || (start < end && step < 0) || (start > end && step > 0) { return fail("Invalid ~SEQ values") }
            }
        }
        if hex && (start < 0 || end < 0) { return fail("~SEQx is only valid for positive numbers") }
        let text = Array(buf[(close + 1)...].drop { SourceChar.isBlank($0.char) })
        sequences.append(SequenceBlock(values: .numbers(variable: variable, next: start, step: step, last: end, hex: hex),
                                       text: text, location: buf[0].location))
    }

    /// `~LST(VAR, V1, V2, …)` or `~LST({VAR1, VAR2}, {V1, V2}, {V3, V4}, …)`: the text once per
    /// value (set), missing values of a set empty.
    mutating func addList(_ buf: SourceText, diagnostics: inout [Diagnostic]) {
        let c = buf.map(\.char)
        func fail(_ message: String = "Invalid ~LST specification") {
            diagnostics.append(Diagnostic(.error, buf[0].location, "\(message) '\(buf.string)'"))
        }
        var p = 4
        skipBlanks(c, &p)
        guard p < c.count, c[p] == "(" else { return fail() }
        p += 1
        skipBlanks(c, &p)
        let braced = openBrace(c, &p)
        guard let variables = group(c, &p, stops: " \t,}", closers: [braced ? "}" : ","], limit: nil) else { return fail() }
        if p < c.count, c[p] == "}" {
            p += 1
            skipBlanks(c, &p)
        }
        guard p < c.count, c[p] == "," else { return fail() }
        p += 1
        skipBlanks(c, &p)
        var sets: [[String]] = []
        while true {
            let end: Character = openBrace(c, &p) ? "}" : ","
            guard var set = group(c, &p, stops: " \t,})", closers: end == "," ? [",", ")"] : ["}"], limit: variables.count) else {
                return fail()
            }
            if set.count > variables.count { return fail("~LST specification has too many values") }
            while set.count < variables.count { set.append("") }
            sets.append(set)
            if p < c.count, c[p] == "}", end == "}" {
                p += 1
                skipBlanks(c, &p)
            }
            if p < c.count, c[p] == ")" { break }
            guard p < c.count, c[p] == "," else { return fail() }
            p += 1
            skipBlanks(c, &p)
        }
        p += 1
        let text = Array(buf[min(p, buf.count)...].drop { SourceChar.isBlank($0.char) })
        sequences.append(SequenceBlock(values: .list(variables: variables, sets: sets, index: 0), text: text, location: buf[0].location))
    }

    /// Skips a `{` (and the blanks after it) at `p`; whether there was one.
    private func openBrace(_ c: [Character], _ p: inout Int) -> Bool {
        guard p < c.count, c[p] == "{" else { return false }
        p += 1
        skipBlanks(c, &p)
        return true
    }

    /// keepalived's reading of a ~LST group: words ended by a character of `stops`, separated
    /// by commas, up to one of `closers` (left at `p`). More than `limit` words stop the
    /// reading with `limit + 1` of them; nil when something else follows a word.
    private func group(_ c: [Character], _ p: inout Int, stops: String, closers: Set<Character>, limit: Int?) -> [String]? {
        var words: [String] = []
        while true {
            let s = p
            while p < c.count, !stops.contains(c[p]) { p += 1 }
            words.append(String(c[s..<p]))
            skipBlanks(c, &p)
            if p < c.count, closers.contains(c[p]) { return words }
            guard p < c.count, c[p] == "," else { return nil }
            p += 1
            skipBlanks(c, &p)
            if let limit, words.count >= limit { return words + [""] }
        }
    }

    private func skipBlanks(_ c: [Character], _ p: inout Int) {
        while p < c.count, c[p] == " " || c[p] == "\t" { p += 1 }
    }

    /// C's `strtol(s, &end, 0)` from `p`: blanks, a sign, then 0x… hexadecimal, 0… octal or
    /// decimal; `p` moves past the number, or stays when there is none (the value is then 0).
    static func strtol(_ c: [Character], _ p: inout Int) -> Int {
        var i = p
        while i < c.count, " \t\n\r\u{0B}\u{0C}".contains(c[i]) { i += 1 }
        var negative = false
        if i < c.count, c[i] == "-" || c[i] == "+" {
            negative = c[i] == "-"
            i += 1
        }
        var base = 10
        if i + 1 < c.count, c[i] == "0", c[i + 1] == "x" || c[i + 1] == "X", i + 2 < c.count, c[i + 2].isHexDigit {
            base = 16
            i += 2
        } else if i < c.count, c[i] == "0" {
            base = 8
        }
        var value = 0
        var digits = 0
        while i < c.count, let d = c[i].hexDigitValue, d < base, c[i].isASCII {
            value = value.multipliedReportingOverflow(by: base).partialValue &+ d
            i += 1
            digits += 1
        }
        guard digits > 0 else { return 0 }
        p = i
        return negative ? -value : value
    }
}
