/// Where configuration text comes from. The parser never touches the disk itself.
public protocol ConfigFileSystem: Sendable {
    /// The file's text; throws when it cannot be read.
    func read(_ path: String) throws -> String
    /// Paths matching a glob pattern (csh braces allowed), sorted; empty when none.
    func glob(_ pattern: String) -> [String]
    /// Whether `path` is an executable regular file (keepalived disables MISC_CHECKs whose program is not).
    func isExecutable(_ path: String) -> Bool
    /// The directory relative paths start from (keepalived's `${_PWD}` of a file named without
    /// a directory); "/" unless the file system says otherwise.
    func workingDirectory() -> String
}

extension ConfigFileSystem {
    /// "/".
    public func workingDirectory() -> String { "/" }
}

/// A configuration file that could not be read: its path and the reason (strerror's text).
public struct FileReadError: Error, Sendable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// Why, as strerror says it ("No such file or directory").
    public var reason: String
    /// An error for `path`.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    /// `PATH: REASON`.
    public var description: String { "\(path): \(reason)" }
}
