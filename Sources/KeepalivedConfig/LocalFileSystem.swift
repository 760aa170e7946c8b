import Glibc
import SystemErrors

/// The real file system.
public struct LocalFileSystem: ConfigFileSystem {
    /// The file system of this process.
    public init() {}

    /// The whole file, decoded as UTF-8 (invalid bytes replaced).
    public func read(_ path: String) throws -> String {
        guard let f = fopen(path, "re") else { throw FileReadError(path: path, reason: Errno(rawValue: errno).description) }
        defer { fclose(f) }
        if let text = readWhole(f) { return text }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n > 0 { bytes.append(contentsOf: buf[0..<n]) }
            if n < buf.count {
                if ferror(f) != 0 { throw FileReadError(path: path, reason: Errno(rawValue: errno).description) }
                break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A regular file read in one `fread` straight into the string's storage, when it is as
    /// long as fstat says (a reload's 4.8 MB file was read in 64 KB pieces into a growing
    /// array, then copied into the string); nil otherwise (a pipe, a file that grew or failed
    /// meanwhile), and the file is read again from its start by the loop.
    private func readWhole(_ f: UnsafeMutablePointer<FILE>) -> String? {
        var st = stat()
        guard fstat(fileno(f), &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 0, st.st_size < Int.max / 2 else { return nil }
        let size = Int(st.st_size)
        var complete = false
        let text = String(unsafeUninitializedCapacity: size) { buffer in
            let n = fread(buffer.baseAddress!, 1, size, f)
            complete = n == size
            return n
        }
        if complete, fgetc(f) == EOF, ferror(f) == 0 { return text }
        clearerr(f)
        rewind(f)
        return nil
    }

    /// glob(3) with GLOB_BRACE, sorted.
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

    /// getcwd(3).
    public func workingDirectory() -> String {
        var buf = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let ok = buf.withUnsafeMutableBytes { getcwd($0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) != nil }
        guard ok else { return "/" }
        return String(decoding: buf.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// A regular file that access(2) says this process may execute.
    public func isExecutable(_ path: String) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }
}
