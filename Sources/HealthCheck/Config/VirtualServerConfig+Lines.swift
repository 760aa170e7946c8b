extension VirtualServerConfig {
    /// The same virtual server written `delta` lines further down its file (a reload that
    /// reuses an unchanged block which moved): every location in it, its real servers' and
    /// their checkers' moved by `delta` lines.
    public func moved(lines delta: Int) -> VirtualServerConfig {
        guard delta != 0 else { return self }
        var vs = self
        vs.location.line += delta
        vs.sorryServer?.location.line += delta
        for r in vs.realServers.indices {
            vs.realServers[r].location.line += delta
            for c in vs.realServers[r].checkers.indices { vs.realServers[r].checkers[c].location.line += delta }
        }
        return vs
    }
}
