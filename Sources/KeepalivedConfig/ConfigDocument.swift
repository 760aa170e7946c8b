import Glibc

/// A keepalived.conf read into its statement tree: the configuration language with `include`s
/// expanded, before any meaning is given to a keyword. Each semantic pass (the LVS one in
/// HealthCheck, later VRRP's) walks `statements` with a `StatementReader` seeded with
/// `diagnostics`, so every problem is reported in the same form.
public struct ConfigDocument {
    /// The top-level statements, in file order (an included file's where its `include` was).
    public var statements: [Statement]
    /// The language's own problems: unterminated quotes, unbalanced braces, unreadable or
    /// missing files, include loops.
    public var diagnostics: [Diagnostic]

    /// Reads `file` (and what it includes) through `fileSystem`. An unreadable `file` is a
    /// diagnostic at `FILE:1:1`, not a throw. `configID` selects the `@ID` lines (keepalived's
    /// `--config-id`); nil: `defaultConfigID`, the host name as keepalived takes it.
    public static func load(file: String, fileSystem: ConfigFileSystem, configID: String? = nil) -> ConfigDocument {
        var builder = TreeBuilder(fileSystem: fileSystem, configID: configID ?? defaultConfigID())
        let statements = builder.build(file: file)
        return ConfigDocument(statements: statements, diagnostics: builder.diagnostics)
    }

    /// Reads `file` as `load(file:fileSystem:configID:)` does, offering each top-level
    /// statement to `taking` as soon as it is finished (its block closed; a statement without
    /// a block once the next one starts), in file order. A statement `taking` returns true for
    /// is the caller's: it is not in `statements`, so a pass that reads each block as it comes
    /// and lets it go holds one block at a time, not the whole file's tree. The diagnostics
    /// are the same as `load`'s; they are complete only when this returns.
    public static func load(file: String, fileSystem: ConfigFileSystem, configID: String? = nil,
                            taking: @escaping (Statement) -> Bool) -> ConfigDocument {
        var builder = TreeBuilder(fileSystem: fileSystem, configID: configID ?? defaultConfigID())
        builder.take = taking
        let statements = builder.build(file: file)
        return ConfigDocument(statements: statements, diagnostics: builder.diagnostics)
    }

    /// Reads pieces of `file`'s text (chunks from `ConfigChunks.split`, each with its first
    /// line), in order, as one document whose statements and diagnostics are located where the
    /// pieces are in the file. Each piece is read on its own: a brace left open in one is an
    /// error there. Only for text `ConfigChunks.split` took (no preprocessing, no include).
    public static func load(pieces: [(text: Substring, firstLine: Int)], file: String, fileSystem: ConfigFileSystem) -> ConfigDocument {
        var statements: [Statement] = []
        var diagnostics: [Diagnostic] = []
        for piece in pieces {
            var builder = TreeBuilder(fileSystem: fileSystem, configID: nil)
            statements += builder.build(piece: piece.text, file: file, firstLine: piece.firstLine)
            diagnostics += builder.diagnostics
        }
        return ConfigDocument(statements: statements, diagnostics: diagnostics)
    }
}

extension ConfigDocument {
    /// keepalived's default config id: the node name (uname) up to its first '.'; nil when
    /// uname fails.
    public static func defaultConfigID() -> String? {
        var u = utsname()
        guard uname(&u) == 0 else { return nil }
        let node = withUnsafeBytes(of: &u.nodename) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return String(node.prefix { $0 != "." })
    }
}
