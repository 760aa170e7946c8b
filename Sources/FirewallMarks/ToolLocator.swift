#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Finds tools by name in a fixed list of directories (never the caller's `$PATH`).
struct ToolLocator: Sendable {
    static let defaultSearchPath = ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"]
    var searchPath: [String]

    func find(_ name: String) -> String? {
        for dir in searchPath {
            let path = dir + "/" + name
            var st = stat()
            if stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(path, X_OK) == 0 {
                return path
            }
        }
        return nil
    }

    func require(_ name: String, package: String, for purpose: String) throws(MarkError) -> String {
        guard let p = find(name) else {
            throw MarkError(code: .toolMissing,
                            message: "\(name) is not installed (looked in \(searchPath.joined(separator: ", "))); it is needed \(purpose)",
                            hint: "install the \(package) package, or choose the other backend with --backend")
        }
        return p
    }
}
