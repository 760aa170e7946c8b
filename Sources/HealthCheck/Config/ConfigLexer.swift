#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where configuration text comes from. The parser never touches the disk itself.
public protocol ConfigFileSystem: Sendable {
    /// The file's text; throws when it cannot be read.
    func read(_ path: String) throws -> String
    /// Paths matching a glob pattern (csh braces allowed), sorted; empty when none.
    func glob(_ pattern: String) -> [String]
    /// Whether `path` is an executable regular file (keepalived disables MISC_CHECKs whose program is not).
    func isExecutable(_ path: String) -> Bool
}

public struct FileReadError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "\(path): \(reason)" }
}

/// The real file system.
public struct LocalFileSystem: ConfigFileSystem {
    public init() {}

    public func read(_ path: String) throws -> String {
        guard let f = fopen(path, "re") else { throw FileReadError(path: path, reason: Sys.errnoString(errno)) }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n > 0 { bytes.append(contentsOf: buf[0..<n]) }
            if n < buf.count {
                if ferror(f) != 0 { throw FileReadError(path: path, reason: Sys.errnoString(errno)) }
                break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public func glob(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        let GLOB_BRACE: Int32 = 1 << 10
        guard Glibc.glob(pattern, GLOB_BRACE, nil, &g) == 0 else { return [] }
        var out: [String] = []
        for i in 0..<Int(g.gl_pathc) {
            if let p = g.gl_pathv[i] { out.append(String(cString: p)) }
        }
        return out.sorted()
    }

    public func isExecutable(_ path: String) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }
}

/// Files held in memory, for tests and for configurations built on the fly.
public struct InMemoryFileSystem: ConfigFileSystem {
    public var files: [String: String]
    public var executables: Set<String>

    public init(files: [String: String], executables: Set<String> = []) {
        self.files = files
        self.executables = executables
    }

    public func read(_ path: String) throws -> String {
        guard let text = files[path] else { throw FileReadError(path: path, reason: "No such file or directory") }
        return text
    }

    public func glob(_ pattern: String) -> [String] {
        files.keys.filter { fnmatch(pattern, $0, FNM_PATHNAME) == 0 }.sorted()
    }

    public func isExecutable(_ path: String) -> Bool { executables.contains(path) }
}

/// One word of a configuration line.
struct Token: Sendable, Hashable {
    var text: String
    var location: SourceLocation
    /// Was written in double quotes (so it is never a brace).
    var quoted: Bool
    /// Offset (in characters) of the token's first character in its line.
    var offset: Int

    var isOpen: Bool { !quoted && text == "{" }
    var isClose: Bool { !quoted && text == "}" }
}

/// One line of tokens, comments removed.
struct Line: Sendable {
    var tokens: [Token]
    /// The line with its comment removed, for keywords that re-split their value: a slice of
    /// the file's text (no copy).
    var text: Substring
}

/// keepalived's line tokeniser (`alloc_strvec_r`): words split on blanks, "…" is one word
/// without its quotes, '#' and '!' outside double quotes start a comment, and braces are words
/// of their own. Single quotes are ordinary characters at this level; script keywords re-split
/// their line with `KeepalivedQuoting.splitQuotedEscaped`, as keepalived does.
///
/// One line at a time (`TreeBuilder` keeps only the statements): a whole file's lines at once
/// were most of the daemon's peak heap with a big configuration.
enum ConfigLexer {
    /// Calls `body` with each line of `text` (split on "\n") and its number, from 1.
    static func forEachLine(of text: String, _ body: (Substring, Int) -> Void) {
        var start = text.startIndex
        var number = 0
        while true {
            let end = text[start...].firstIndex(of: "\n") ?? text.endIndex
            number += 1
            body(text[start..<end], number)
            if end == text.endIndex { return }
            start = text.index(after: end)
        }
    }

    static func lex(line raw: Substring, number lineNo: Int, file: String, diagnostics: inout [Diagnostic]) -> Line {
        var chars = Array(raw)
        if chars.last == "\r" { chars.removeLast() }
        var tokens: [Token] = []
        var i = 0
        var end = chars.count
        while i < chars.count {
            let c = chars[i]
            if c == " " || c == "\t" || c == "\u{0B}" || c == "\u{0C}" { i += 1; continue }
            if c == "#" || c == "!" { end = i; break }
            let loc = SourceLocation(file: file, line: lineNo, column: i + 1)
            if c == "\"" {
                var j = i + 1
                while j < chars.count && chars[j] != "\"" { j += 1 }
                if j >= chars.count {
                    diagnostics.append(Diagnostic(.error, loc, "unterminated quoted string"))
                    tokens.append(Token(text: String(chars[(i + 1)...]), location: loc, quoted: true, offset: i))
                    i = chars.count
                    break
                }
                tokens.append(Token(text: String(chars[(i + 1)..<j]), location: loc, quoted: true, offset: i))
                i = j + 1
                continue
            }
            if c == "{" || c == "}" {
                tokens.append(Token(text: String(c), location: loc, quoted: false, offset: i))
                i += 1
                continue
            }
            var j = i
            while j < chars.count {
                let d = chars[j]
                if d == " " || d == "\t" || d == "\u{0B}" || d == "\u{0C}" || d == "\"" || d == "{" || d == "}" || d == "#" || d == "!" { break }
                j += 1
            }
            tokens.append(Token(text: String(chars[i..<j]), location: loc, quoted: false, offset: i))
            i = j
        }
        return Line(tokens: tokens, text: raw.prefix(end))
    }
}
