/// Builds the statement tree: braces, `include` expansion, unbalanced-brace errors.
struct TreeBuilder {
    let fileSystem: ConfigFileSystem
    var diagnostics: [Diagnostic] = []
    private var stack: [(owner: Statement?, children: [Statement])] = [(nil, [])]
    private var includeDepth = 0
    /// The files being read, the outermost first: one that includes itself, directly or
    /// through others, is an include loop.
    private var reading: [String] = []
    /// Files read by `include` so far, against `maxIncludedFiles`.
    private var includedFiles = 0
    /// At most this many included files in one document. The depth limit alone does not bound
    /// the work: files that include each other's directory by a glob fan out at every level (three
    /// such files are 3^16 reads at depth 16; found by the keepalived fuzz target as a hang).
    static let maxIncludedFiles = 1000

    static let includeKeywords: Set<String> = ["include", "includet", "includer", "includem", "includew", "includeb", "includea"]

    /// keepalived's line preprocessor (parameters, conditionals, sequence blocks), one for the
    /// whole document: definitions made in a file hold in the files it includes and after.
    private var preprocessor: Preprocessor
    /// While a line is being expanded: its `include` statements, read when it is done.
    private var deferredIncludes: [(Statement, String)]?
    /// A `random_seed` met while a line was being expanded: given to the preprocessor when
    /// the line is done.
    private var deferredSeed: UInt32?
    /// Offered each finished top-level statement as soon as nothing later can add to it (a
    /// statement without a block is offered when the next one starts, since a `{` alone on the
    /// next line opens its block); one it takes (returns true for) is not kept in the tree.
    /// nil: every statement is kept. See `ConfigDocument.load(file:fileSystem:configID:taking:)`.
    var take: ((Statement) -> Bool)?
    /// The top-level statements offered to `take` and not taken, in file order.
    private var kept: [Statement] = []

    init(fileSystem: ConfigFileSystem, configID: String?) {
        self.fileSystem = fileSystem
        preprocessor = Preprocessor(configID: configID, workingDirectory: fileSystem.workingDirectory())
    }

    mutating func build(file: String) -> [Statement] {
        do {
            let text = try fileSystem.read(file)
            feed(text: text[...], file: file)
        } catch {
            diagnostics.append(Diagnostic(.error, SourceLocation(file: file, line: 1, column: 1), "cannot read configuration: \((error as? FileReadError)?.reason ?? "\(error)")"))
        }
        return finish()
    }

    /// The statements of `text`, a piece of `file` that starts at line `firstLine` (a chunk a
    /// reload reads again: see `ConfigChunks`), located where they are in the file.
    mutating func build(piece text: Substring, file: String, firstLine: Int) -> [Statement] {
        feed(text: text, file: file, firstLine: firstLine)
        return finish()
    }

    /// Closes the blocks still open (each an error) and returns the top-level statements.
    private mutating func finish() -> [Statement] {
        while stack.count > 1 {
            let (owner, children) = stack.removeLast()
            // A block opened by a stray '{' has no statement: it was reported ("unexpected
            // '{'") and is dropped, as its '}' would drop it.
            guard let owner else { continue }
            owner.block = children
            diagnostics.append(Diagnostic(.error, owner.blockOpen ?? owner.location, "missing '}' for '\(owner.keyword.text)' block opened here"))
            stack[stack.count - 1].children.append(owner)
        }
        handOver(keepingLast: false)
        return take == nil ? stack[0].children : kept
    }

    /// Offers `take` the finished top-level statements: all but a last one without a block
    /// (a `{` alone on the next line would still open its block), or all of them at the end.
    private mutating func handOver(keepingLast: Bool) {
        guard let take, !stack[0].children.isEmpty else { return }
        var end = stack[0].children.count
        if keepingLast, stack[0].children[end - 1].block == nil { end -= 1 }
        guard end > 0 else { return }
        let done = stack[0].children[..<end]
        stack[0].children.removeFirst(end)
        for st in done where !take(st) { kept.append(st) }
    }

    private mutating func feed(text: Substring, file: String, firstLine: Int = 1) {
        reading.append(file)
        defer { reading.removeLast() }
        let first = diagnostics.count
        ConfigLexer.forEachLine(of: text, firstLine: firstLine) { raw, number in
            if raw.utf8.count >= Self.keepalivedPieceBytes {
                feedPieces(raw, number: number, file: file, newline: raw.endIndex < text.endIndex)
            } else if let line = preprocessor.asWritten(raw, number: number, file: file) {
                feed(line: ConfigLexer.lex(line, diagnostics: &diagnostics), file: file)
            } else {
                expand(raw, number: number, file: file)
            }
        }
        foldNoBreakSpaceWarnings(from: first, file: file)
    }

    /// keepalived 2.2.7 reads its files with `fgets` into a buffer of MAXBUF (1,024) bytes, so
    /// it gets a line of 1,023 bytes or more in pieces of 1,023 bytes, and reads each piece as
    /// a line of its own: comments, quotes, definitions and braces start again at each piece.
    /// When the line's length is a multiple of 1,023, its newline comes alone, an empty line
    /// (which ends a multi-line definition).
    static let keepalivedPieceBytes = 1023

    /// A long line read in keepalived's pieces, each at its own column of the line, with a
    /// warning where each piece after the first starts (keepalived says nothing).
    private mutating func feedPieces(_ raw: Substring, number: Int, file: String, newline: Bool) {
        let bytes = Array(raw.utf8)
        var start = 0
        var column = 1
        while start < bytes.count {
            let end = min(start + Self.keepalivedPieceBytes, bytes.count)
            let piece = String(decoding: bytes[start..<end], as: UTF8.self)
            if start > 0 {
                diagnostics.append(Diagnostic(.warning, SourceLocation(file: file, line: number, column: column),
                                              "line longer than \(Self.keepalivedPieceBytes - 1) bytes: keepalived 2.2.7 reads it in pieces of \(Self.keepalivedPieceBytes) bytes, so a new line starts here (split the line to keep its meaning)"))
            }
            expand(Substring(piece), number: number, column: column, file: file)
            column += piece.count
            start = end
        }
        if newline && bytes.count.isMultiple(of: Self.keepalivedPieceBytes) {
            if preprocessor.isContinuingDefinition {
                diagnostics.append(Diagnostic(.warning, SourceLocation(file: file, line: number, column: column),
                                              "line of \(bytes.count) bytes: keepalived 2.2.7 reads its end as an empty line, which ends the multi-line definition here"))
            }
            expand("", number: number, column: column, file: file)
        }
    }

    /// A line the preprocessor rewrites: its logical lines are lexed and built as they come.
    /// The preprocessor is moved out for the while (it is running), so an `include` among them
    /// waits until the line is done, and is read then: where keepalived reads it too (it
    /// finishes a line's ~SEQ rounds and multi-line parameter before the included file).
    private mutating func expand(_ raw: Substring, number: Int, column: Int = 1, file: String) {
        var running = Preprocessor.placeholder
        swap(&running, &preprocessor)
        var found: [Diagnostic] = []
        deferredIncludes = []
        running.expand(raw: raw, number: number, column: column, file: file, diagnostics: &found) { logical in
            feed(line: ConfigLexer.lex(logical, diagnostics: &diagnostics), file: file)
        }
        swap(&running, &preprocessor)
        if let seed = deferredSeed { preprocessor.seedRandom(seed) }
        deferredSeed = nil
        diagnostics += found
        let includes = deferredIncludes ?? []
        deferredIncludes = nil
        for (st, from) in includes { include(st, from: from) }
    }

    /// One warning per file for no-break spaces (a page copied from the web has one on every
    /// line), at the first line, with the count.
    private mutating func foldNoBreakSpaceWarnings(from first: Int, file: String) {
        let marker = ConfigLexer.noBreakSpaceWarning
        let lines = diagnostics[first...].filter { $0.location.file == file && $0.message == marker }
        guard lines.count > 1, let at = diagnostics[first...].firstIndex(where: { $0.location.file == file && $0.message == marker }) else { return }
        diagnostics[at].message = "\(marker) (\(lines.count) lines, the first here)"
        diagnostics.removeAll { $0.location.file == file && $0.message == marker }
    }

    private mutating func feed(line: Line, file: String) {
        var pending: [Token] = []
        func flush(_ b: inout TreeBuilder, opening brace: Token?) {
            guard let kw = pending.first else {
                if let brace {
                    // A '{' alone on its line belongs to the statement just before it.
                    if let last = b.stack[b.stack.count - 1].children.last, last.block == nil,
                       !TreeBuilder.includeKeywords.contains(last.keyword.text) {
                        b.stack[b.stack.count - 1].children.removeLast()
                        last.blockOpen = brace.location
                        b.stack.append((last, []))
                    } else {
                        b.diagnostics.append(Diagnostic(.error, brace.location, "unexpected '{'"))
                        b.stack.append((nil, []))
                    }
                }
                return
            }
            let st = Statement(keyword: kw, args: Array(pending.dropFirst()), line: line)
            pending = []
            if let brace {
                st.blockOpen = brace.location
                b.stack.append((st, []))
            } else if TreeBuilder.includeKeywords.contains(kw.text) && !kw.quoted {
                if b.deferredIncludes != nil { b.deferredIncludes!.append((st, file)) } else { b.include(st, from: file) }
            } else {
                b.seedRandomIfAsked(st)
                b.stack[b.stack.count - 1].children.append(st)
            }
        }
        for tok in line.tokens {
            if tok.isOpen {
                flush(&self, opening: tok)
            } else if tok.isClose {
                flush(&self, opening: nil)
                if stack.count == 1 {
                    diagnostics.append(Diagnostic(.error, tok.location, "unexpected '}' (no block is open)"))
                } else {
                    let (owner, children) = stack.removeLast()
                    if let owner {
                        owner.block = children
                        stack[stack.count - 1].children.append(owner)
                    }
                }
            } else {
                pending.append(tok)
            }
        }
        flush(&self, opening: nil)
        handOver(keepingLast: true)
    }

    /// global_defs' `random_seed N` seeds `${_RANDOM}` from here on (its value is checked by
    /// the global_defs pass, which reports one that is not an unsigned 32-bit number).
    private mutating func seedRandomIfAsked(_ st: Statement) {
        guard st.keyword.text == "random_seed", !st.keyword.quoted,
              stack.count == 2, stack[1].owner?.keyword.text == "global_defs",
              let text = st.args.first?.text, let seed = UInt32(text) else { return }
        if deferredIncludes != nil { deferredSeed = seed } else { preprocessor.seedRandom(seed) }
    }

    private mutating func include(_ st: Statement, from file: String) {
        guard let patternTok = st.args.first else {
            diagnostics.append(Diagnostic(.error, st.location, "\(st.keyword.text): missing file name"))
            return
        }
        for extra in st.args.dropFirst() {
            diagnostics.append(Diagnostic(.error, extra.location, "\(st.keyword.text): unexpected argument '\(extra.text)'"))
        }
        guard includeDepth < 16 else {
            diagnostics.append(Diagnostic(.error, st.location, "includes nested too deeply (include loop?)"))
            return
        }
        var pattern = patternTok.text
        if !pattern.hasPrefix("/") {
            let dir = file.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            pattern = dir.isEmpty ? pattern : dir + "/" + pattern
        }
        let isWildcard = pattern.contains { "*?[{".contains($0) }
        let matches = fileSystem.glob(pattern)
        if matches.isEmpty {
            // keepalived's plain `include` tolerates a wildcard that matches nothing.
            if !isWildcard || st.keyword.text != "include" {
                diagnostics.append(Diagnostic(.error, patternTok.location, "include file not found: \(pattern)"))
            }
            return
        }
        includeDepth += 1
        for path in matches {
            guard includedFiles < Self.maxIncludedFiles else {
                if includedFiles == Self.maxIncludedFiles {   // said once, where the limit was reached
                    diagnostics.append(Diagnostic(.error, st.location, "more than \(Self.maxIncludedFiles) included files (include loop?)"))
                    includedFiles += 1
                }
                break
            }
            // keepalived 2.2.7 follows a loop until it runs out of file descriptors, then skips
            // the file; here it is an error, at the include that closes it.
            if reading.contains(path) {
                diagnostics.append(Diagnostic(.error, patternTok.location, "include loop: \(path) is already being read"))
                continue
            }
            includedFiles += 1
            do {
                let text = try fileSystem.read(path)
                feed(text: text[...], file: path)
            } catch {
                diagnostics.append(Diagnostic(.error, patternTok.location, "cannot read included file \(path): \((error as? FileReadError)?.reason ?? "\(error)")"))
            }
        }
        includeDepth -= 1
    }
}
