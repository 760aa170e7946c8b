import KeepalivedConfig

extension VRRPInstanceConfig {
    /// The instance as it behaves: equal for two readings of a block that only moved in the
    /// file (a reload must not restart an instance because a line was added above it).
    public var behaviour: VRRPInstanceConfig {
        let nowhere = SourceLocation(file: "", line: 0, column: 0)
        var c = self
        c.location = nowhere
        c.virtualAddresses = c.virtualAddresses.map { var v = $0; v.location = nowhere; return v }
        c.excludedAddresses = c.excludedAddresses.map { var v = $0; v.location = nowhere; return v }
        c.trackScripts = c.trackScripts.map { var t = $0; t.location = nowhere; return t }
        c.trackInterfaces = c.trackInterfaces.map { var t = $0; t.location = nowhere; return t }
        return c
    }
}

extension VRRPScriptConfig {
    /// The script as it behaves (see `VRRPInstanceConfig.behaviour`).
    public var behaviour: VRRPScriptConfig {
        var c = self
        c.location = SourceLocation(file: "", line: 0, column: 0)
        return c
    }
}
