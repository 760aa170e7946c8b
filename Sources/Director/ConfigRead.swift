/// What a reload read: the checked configuration, and how much of the file was read again.
public struct ConfigRead: Sendable {
    public var result: DirectorCheckResult
    /// Top-level chunks read again and chunks in the file, when only the changed ones were
    /// read (`ConfigChunks`); nil when the whole file was read.
    public var reread: (chunks: Int, of: Int)?
    /// Why the whole file was read, when it was (for the log).
    public var wholeFileReason: String?
    /// Virtual servers of the result whose block is the same text as the running one's: index
    /// in the new configuration -> index in the last (see `DaemonEngine.reload`).
    public var unchanged: [Int: Int] = [:]
    /// Whether the VRRP half is the running one unchanged (only virtual_server blocks changed).
    public var vrrpUnchanged: Bool { reread != nil }
    /// How long each step of the read took, in order (for the reload's log).
    public var phases = ReadPhases()
}
