/// A file system in which one file's text is already known (given by the caller, or read once
/// already): `file` reads as `text`; every other path, glob and check goes to `base`.
public struct TextOverlay: ConfigFileSystem {
    public let file: String
    public let text: String
    public let base: any ConfigFileSystem

    public init(file: String, text: String, base: any ConfigFileSystem) {
        self.file = file
        self.text = text
        self.base = base
    }

    public func read(_ path: String) throws -> String { path == file ? text : try base.read(path) }
    public func glob(_ pattern: String) -> [String] { base.glob(pattern) }
    public func isExecutable(_ path: String) -> Bool { base.isExecutable(path) }
    public func workingDirectory() -> String { base.workingDirectory() }
}
