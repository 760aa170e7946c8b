import Serialization

/// What `swiftvs status` shows: every virtual and real server, its state, last result,
/// latency and time of last change. Rendered by the daemon as text or JSON.
public struct DaemonStatus: Sendable, Hashable {
    public struct Checker: Sendable, Hashable {
        public var type: String
        public var location: String
        public var target: String
        /// up, down or disabled.
        public var state: String
        /// "ok", or why the last check failed; nil before the first check.
        public var lastResult: String?
        public var latency: Duration?
        public var lastCheck: WallTime?
    }

    public struct RealServer: Sendable, Hashable {
        public var address: String
        /// up or down.
        public var state: String
        public var weight: Int32
        public var configuredWeight: Int32
        public var lastResult: String?
        public var latency: Duration?
        public var lastChange: WallTime?
        public var checkers: [Checker]
    }

    public struct VirtualServer: Sendable, Hashable {
        public var name: String
        public var location: String
        public var services: [String]
        public var scheduler: String
        public var quorum: Int64
        public var quorumUp: Bool
        public var liveWeight: Int64
        public var sorryServer: String?
        public var sorryServerActive: Bool
        public var realServers: [RealServer]
    }

    public var startedAt: WallTime?
    public var checksRun: Int
    public var kernelChanges: Int
    public var refusedChanges: Int
    public var reloads: Int
    public var virtualServers: [VirtualServer]

    /// A human-readable report, one block per virtual server.
    public var text: String {
        var out = "swiftvs daemon: started \(startedAt?.description ?? "-"), \(checksRun) checks, \(kernelChanges) kernel changes"
        if refusedChanges > 0 { out += ", \(refusedChanges) refused" }
        out += ", \(reloads) reloads\n"
        for vs in virtualServers {
            out += "\nvirtual_server \(vs.name) (\(vs.scheduler))  quorum \(vs.quorumUp ? "up" : "DOWN") (live weight \(vs.liveWeight), quorum \(vs.quorum))"
            if let sorry = vs.sorryServer { out += "  sorry server \(sorry) \(vs.sorryServerActive ? "IN" : "out")" }
            out += "\n"
            for rs in vs.realServers {
                let latency = rs.latency.map { " \($0.millisecondsText) ms" } ?? ""
                out += "  \(rs.address)  \(rs.state == "up" ? "UP  " : "DOWN")  weight \(rs.weight)"
                out += "  last \(rs.lastResult ?? "-")\(latency)  since \(rs.lastChange?.description ?? "-")\n"
                for c in rs.checkers {
                    let l = c.latency.map { " \($0.millisecondsText) ms" } ?? ""
                    out += "    \(c.type) \(c.target)  \(c.state)  \(c.lastResult ?? "not run yet")\(l)\(c.lastCheck.map { " at \($0)" } ?? "")\n"
                }
            }
        }
        return out
    }

    /// The same as JSON (one object, keys in a fixed order).
    public var json: String {
        let w = JSONWriter()
        w.object {
            w.field("started_at", startedAt?.description)
            w.field("checks_run", checksRun)
            w.field("kernel_changes", kernelChanges)
            w.field("refused_changes", refusedChanges)
            w.field("reloads", reloads)
            w.array("virtual_servers", virtualServers) { vs in
                w.object {
                    w.field("name", vs.name)
                    w.field("location", vs.location)
                    w.array("services", vs.services) { w.value($0) }
                    w.field("scheduler", vs.scheduler)
                    w.field("quorum", Int(vs.quorum))
                    w.field("quorum_up", vs.quorumUp)
                    w.field("live_weight", Int(vs.liveWeight))
                    w.field("sorry_server", vs.sorryServer)
                    w.field("sorry_server_active", vs.sorryServerActive)
                    w.array("real_servers", vs.realServers) { rs in
                        w.object {
                            w.field("address", rs.address)
                            w.field("state", rs.state)
                            w.field("weight", Int(rs.weight))
                            w.field("configured_weight", Int(rs.configuredWeight))
                            w.field("last_result", rs.lastResult)
                            w.rawField("latency_ms", rs.latency.map(\.millisecondsText))
                            w.field("last_change", rs.lastChange?.description)
                            w.array("checkers", rs.checkers) { c in
                                w.object {
                                    w.field("type", c.type)
                                    w.field("location", c.location)
                                    w.field("target", c.target)
                                    w.field("state", c.state)
                                    w.field("last_result", c.lastResult)
                                    w.rawField("latency_ms", c.latency.map(\.millisecondsText))
                                    w.field("last_check", c.lastCheck?.description)
                                }
                            }
                        }
                    }
                }
            }
        }
        return w.out + "\n"
    }
}

/// A minimal JSON writer (the library has no Foundation dependency). A class so nested
/// closures can write to it; one per document.
public final class JSONWriter {
    public private(set) var out = ""

    public init() {}
    private var needsComma = false

    public func object(_ body: () -> Void) {
        comma()
        out += "{"
        needsComma = false
        body()
        out += "}"
        needsComma = true
    }

    /// `"key":{…}`.
    public func object(_ key: String, _ body: () -> Void) {
        key_(key)
        out += "{"
        needsComma = false
        body()
        out += "}"
        needsComma = true
    }

    public func array<T>(_ key: String, _ items: [T], _ each: (T) -> Void) {
        key_(key)
        out += "["
        needsComma = false
        for i in items { each(i) }
        out += "]"
        needsComma = true
    }

    public func value(_ s: String) {
        comma()
        out += Self.quote(s)
        needsComma = true
    }

    public func field(_ key: String, _ v: String?) { rawField(key, v.map(Self.quote)) }
    public func field(_ key: String, _ v: Int) { rawField(key, String(v)) }
    public func field(_ key: String, _ v: Bool) { rawField(key, v ? "true" : "false") }

    public func rawField(_ key: String, _ raw: String?) {
        key_(key)
        out += raw ?? "null"
        needsComma = true
    }

    private func key_(_ key: String) {
        comma()
        out += Self.quote(key) + ":"
        needsComma = false
    }

    private func comma() {
        if needsComma { out += "," }
    }

    /// The one JSON string escaping (Serialization's), as every other JSON writer uses it.
    public static func quote(_ s: String) -> String { JSONString.quoted(s) }
}
