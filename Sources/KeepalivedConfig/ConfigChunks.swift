import Glibc

/// A keepalived.conf cut at its top-level statements, for a reload that reads again only what
/// changed (see `Director`'s `IncrementalConfigReader`): each chunk is the lines of one or more
/// top-level statements (with the blank and comment lines after them), with a digest of its exact
/// text. Two reads of a file whose chunk has the same digest read that chunk to the same
/// statements, wherever it moved, as long as nothing outside it changes its meaning.
///
/// `split` gives nil, so that the caller reads the whole file, when the language could make a
/// chunk's meaning depend on text outside it or make its lines differ from the statements:
/// * a `$` (a `$NAME=` definition or a substitution), `@` (a line for a config id), `~`
///   (`~SEQ`/`~LST`) or `\` (a definition continued) anywhere in the file: a definition in one
///   chunk changes the text of every chunk after it;
/// * an `include` keyword anywhere: the included files' text, and which files a glob finds,
///   are not in the digest;
/// * a line of 1,023 bytes or more (keepalived reads it in pieces: `TreeBuilder.feedPieces`);
/// * braces that do not balance (the whole read reports them where they are).
public struct ConfigChunk: Sendable, Hashable {
    /// The chunk's first and last line (1-based, inclusive).
    public var lines: ClosedRange<Int>
    /// Its text's UTF-8 bytes, in the file's `utf8` view.
    public var bytes: Range<Int>
    /// Its first statement's keyword, as written.
    public var keyword: String
    /// Whether it is exactly one `virtual_server` statement with a block (and nothing else but
    /// blank and comment lines): such a chunk is one virtual server of the LVS pass.
    public var isVirtualServer: Bool
    /// Its text's digest.
    public var digest: ChunkDigest
}

/// Two independent 64-bit hashes and the length of a chunk's text: FNV-1a and the standard
/// library's SipHash with this process's random seed (a collision would need both, for text
/// nobody can tailor to a seed chosen at start-up).
public struct ChunkDigest: Sendable, Hashable {
    var fnv: UInt64
    var sip: Int
    var count: Int

    init(_ bytes: UnsafeRawBufferPointer) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        var hasher = Hasher()
        hasher.combine(bytes: bytes)
        fnv = h
        sip = hasher.finalize()
        count = bytes.count
    }
}

public enum ConfigChunks {
    /// The chunks of `text`, in file order, or nil when a chunk could depend on others (see
    /// `ConfigChunk`).
    public static func split(_ text: String) -> [ConfigChunk]? {
        var copy = text
        return copy.withUTF8 { split(UnsafeRawBufferPointer($0)) }
    }

    /// The chunks of `text`, as `split(text)` gives them, when `previous` is the text a
    /// split before gave `chunks` for: the chunks that are the same bytes at the start of both
    /// texts, and at their end (moved by the difference in length and lines), are taken as
    /// they were, compared with `memcmp`, and only the text between them is cut and digested.
    /// A reload that changed one block of a 4.8 MB file cuts that block, not the file.
    public static func split(_ text: String, previous: String, chunks old: [ConfigChunk]) -> [ConfigChunk]? {
        var new = text, was = previous
        return new.withUTF8 { n in was.withUTF8 { o in split(UnsafeRawBufferPointer(n), previous: UnsafeRawBufferPointer(o), chunks: old) } }
    }

    private static func split(_ b: UnsafeRawBufferPointer, previous a: UnsafeRawBufferPointer, chunks old: [ConfigChunk]) -> [ConfigChunk]? {
        guard !old.isEmpty, b.count > 0, a.count > 0 else { return split(b) }
        func same(_ r: Range<Int>, shiftedBy shift: Int) -> Bool {
            r.lowerBound + shift >= 0 && r.upperBound + shift <= b.count && r.upperBound <= a.count
                && (r.isEmpty || memcmp(a.baseAddress! + r.lowerBound, b.baseAddress! + r.lowerBound + shift, r.count) == 0)
        }
        // Chunks the same at the start; the last of them is cut again (what follows it may
        // extend it: blank lines, or a '{' on the next line).
        var k = 0
        while k < old.count, same(old[k].bytes, shiftedBy: 0) { k += 1 }
        let kept = max(0, k - 1)
        let from = kept < old.count ? old[kept].bytes.lowerBound : a.count
        let firstLine = kept < old.count ? old[kept].lines.lowerBound : (old.last.map { $0.lines.upperBound + 1 } ?? 1)
        // Chunks the same at the end (each starts a line with a statement, at depth 0), after
        // the ones cut again.
        let shift = b.count - a.count
        var j = old.count
        while j > k, old[j - 1].bytes.lowerBound + shift > from, same(old[j - 1].bytes, shiftedBy: shift) { j -= 1 }
        let to = j < old.count ? old[j].bytes.lowerBound + shift : b.count
        guard from < to, to == b.count || b[to - 1] == 0x0A else { return split(b) }
        guard let middle = split(b, from: from, to: to, firstLine: firstLine) else { return split(b) }
        var chunks = Array(old[..<kept])
        chunks += middle
        if j < old.count {
            let lineShift = (middle.last.map { $0.lines.upperBound + 1 } ?? firstLine) - old[j].lines.lowerBound
            for c in old[j...] {
                var moved = c
                moved.lines = (c.lines.lowerBound + lineShift)...(c.lines.upperBound + lineShift)
                moved.bytes = (c.bytes.lowerBound + shift)..<(c.bytes.upperBound + shift)
                chunks.append(moved)
            }
        }
        return chunks
    }

    private static func split(_ b: UnsafeRawBufferPointer) -> [ConfigChunk]? {
        split(b, from: 0, to: b.count, firstLine: 1)
    }

    /// The chunks of the bytes `from..<to` of `b`, whose first line is line `firstLine` of the
    /// file; `from` starts a line at depth 0, `to` ends one (or the file).
    private static func split(_ b: UnsafeRawBufferPointer, from: Int, to n: Int, firstLine: Int) -> [ConfigChunk]? {
        var chunks: [ChunkBuilder] = []
        var current: ChunkBuilder?
        var depth = 0
        var line = firstLine - 1
        var start = from
        // One token list for every line, emptied in place (a list per line was an allocation
        // per line: 292,665 at the daemon-scale size, on the way of every reload).
        var tokens = LineTokens()
        while start < n || (start == n && line == firstLine - 1) {
            line += 1
            var end = start
            while end < n && b[end] != 0x0A { end += 1 }
            if end - start >= 1023 { return nil }
            tokens.kinds.removeAll(keepingCapacity: true)
            guard tokens.scan(b, start..<end) else { return nil }
            if tokens.count > 0 {
                // A statement starts a new chunk at depth 0, unless it is the '{' of the one before.
                if depth == 0, !(tokens.firstIsOpen), var c = current {
                    c.close(b)
                    chunks.append(c)
                    current = nil
                }
                if current == nil { current = ChunkBuilder(firstLine: line, start: start, keyword: tokens.firstWord(b)) }
                // A line's first word at depth 0 starts a statement, and so does a word after
                // a '}' that closes a top-level block on the same line.
                var statementStart = true
                for t in tokens.kinds {
                    switch t {
                    case .open:
                        depth += 1
                        current!.opened = true
                        statementStart = false
                    case .close:
                        depth -= 1
                        if depth < 0 { return nil }
                        statementStart = depth == 0
                    case let .word(range):
                        if isInclude(b, range) { return nil }
                        if depth == 0 && statementStart { current!.statements += 1 }
                        statementStart = false
                    }
                }
            } else if current == nil {
                // Blank or comment lines before the first statement: a chunk of their own.
                current = ChunkBuilder(firstLine: line, start: start, keyword: "")
            }
            current!.lines = current!.lines.lowerBound...line
            current!.bytes = current!.bytes.lowerBound..<(end < n ? end + 1 : end)
            start = end + 1
            if end >= n { break }
        }
        guard depth == 0 else { return nil }
        if var c = current {
            c.close(b)
            chunks.append(c)
        }
        return chunks.map(\.chunk)
    }

    /// Whether the word at `r` starts with `include`: its bytes compared, no string made
    /// (this is asked of every word of the file).
    private static func isInclude(_ b: UnsafeRawBufferPointer, _ r: Range<Int>) -> Bool {
        guard r.count >= includeBytes.count else { return false }
        for (k, c) in includeBytes.enumerated() where b[r.lowerBound + k] != c { return false }
        return true
    }

    private static let includeBytes = Array("include".utf8)
}

/// One chunk while its lines are read.
private struct ChunkBuilder {
    /// Its first and last line so far, and its bytes.
    var lines: ClosedRange<Int>
    var bytes: Range<Int>
    var keyword: String
    /// Top-level statements seen, and whether one opened a block.
    var statements = 0, opened = false
    var digest: ChunkDigest?

    init(firstLine: Int, start: Int, keyword: String) {
        (lines, bytes, self.keyword) = (firstLine...firstLine, start..<start, keyword)
    }

    mutating func close(_ b: UnsafeRawBufferPointer) {
        digest = ChunkDigest(UnsafeRawBufferPointer(rebasing: b[bytes]))
    }

    var chunk: ConfigChunk {
        ConfigChunk(lines: lines, bytes: bytes, keyword: keyword,
                    isVirtualServer: keyword == "virtual_server" && statements == 1 && opened,
                    digest: digest!)
    }
}

/// A line's tokens as `ConfigLexer` cuts them (blanks, `"…"`, `#`/`!` comments, braces), only
/// as far as braces and words go; false when the line has a byte the preprocessor acts on.
private struct LineTokens {
    enum Kind {
        case open, close
        case word(Range<Int>)
    }
    var kinds: [Kind] = []
    var count: Int { kinds.count }
    var firstIsOpen: Bool { if case .open? = kinds.first { return true }; return false }

    func firstWord(_ b: UnsafeRawBufferPointer) -> String {
        guard case let .word(r)? = kinds.first else { return "" }
        return String(decoding: UnsafeRawBufferPointer(rebasing: b[r]), as: UTF8.self)
    }

    mutating func scan(_ b: UnsafeRawBufferPointer, _ line: Range<Int>) -> Bool {
        // `$ \ @ ~` anywhere in the line, comments included: `Preprocessor.asWritten` takes a
        // line as written only without them.
        for i in line {
            let c = b[i]
            if c == 0x24 || c == 0x5C || c == 0x40 || c == 0x7E { return false }
        }
        func blank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0B || c == 0x0C || c == 0x0D }
        var i = line.lowerBound
        let n = line.upperBound
        while i < n {
            let c = b[i]
            if blank(c) { i += 1; continue }
            if c == 0x23 || c == 0x21 { break }
            if c == 0x22 {
                var j = i + 1
                while j < n && b[j] != 0x22 { j += 1 }
                kinds.append(.word(i..<min(j + 1, n)))
                i = j + 1
                continue
            }
            if c == 0x7B { kinds.append(.open); i += 1; continue }
            if c == 0x7D { kinds.append(.close); i += 1; continue }
            var j = i
            while j < n {
                let d = b[j]
                if blank(d) || d == 0x22 || d == 0x7B || d == 0x7D || d == 0x23 || d == 0x21 { break }
                j += 1
            }
            kinds.append(.word(i..<j))
            i = j
        }
        return true
    }
}
