import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A connection to the kernel's IPVS: one generic-netlink socket for the handle's life,
/// plus, once the handle lists a table, one for service dumps, kept until the handle goes
/// away.
///
/// All calls are synchronous (the kernel answers netlink requests at once) and serialised
/// on the handle; use one handle per concurrent worker for parallelism.
public final class IPVSHandle: Sendable {
    let connection: Mutex<Connection>
    /// A second socket for service dumps, with large receives (see
    /// `NetlinkSocket.bulkReceiveLength`); opened on the first listing, kept for the handle's life.
    private let bulk = Mutex<BulkConnection?>(nil)
    private let loadModule: Bool

    /// The namespace the handle works in, nil for the caller's.
    public let namespace: String?

    /// Opens a handle in the calling thread's network namespace, or in `/run/netns/NAME`.
    /// With `loadModule` (the default) a missing IPVS family triggers `modprobe ip_vs` once.
    public init(namespace: String? = nil, loadModule: Bool = true) throws(IPVSError) {
        self.namespace = namespace
        self.loadModule = loadModule
        let socket = try NetlinkSocket(namespace: namespace, loadModule: loadModule)
        connection = Mutex(Connection(socket: socket))
    }

    private func perform<R: Sendable>(_ body: (inout Connection) throws(IPVSError) -> R) throws(IPVSError) -> R {
        try connection.withLock { (c: inout Connection) throws(IPVSError) -> R in try body(&c) }
    }

    // MARK: Information

    /// IPVS version and connection table size (GET_INFO).
    public func info() throws(IPVSError) -> Info {
        try perform { c throws(IPVSError) in
            let reply = try c.requestOne(.getInfo)
            return try c.decode(.getInfo) { () throws(DecodeError) in try IPVSWire.decodeInfo(reply.body) }
        }
    }

    public func timeouts() throws(IPVSError) -> Timeouts {
        try perform { c throws(IPVSError) in
            let reply = try c.requestOne(.getConfig)
            return try c.decode(.getConfig) { () throws(DecodeError) in try IPVSWire.decodeTimeouts(reply.body) }
        }
    }

    /// Sets the tcp, tcpfin and udp timeouts; a 0 leaves that one unchanged.
    public func setTimeouts(_ t: Timeouts) throws(IPVSError) {
        try perform { c throws(IPVSError) in try c.requestAck(.setTimeouts(t)) }
    }

    // MARK: Listing

    /// Every service with its destinations: one service dump, then one destination dump per
    /// service (the kernel allows only one dump in flight per socket).
    ///
    /// With `statistics` false the counters and rates (`stats`) are left zero instead of
    /// decoded: what a save or a diff needs (connection counts are still read). Decoding the
    /// two stats nests is most of the work of reading a big table.
    public func services() throws(IPVSError) -> [ServiceEntry] { try services(statistics: true) }

    /// `services()`, with the counters decoded only when `statistics`.
    public func services(statistics: Bool) throws(IPVSError) -> [ServiceEntry] {
        try perform { c throws(IPVSError) in
            var entries = try bulkConnection().connection.withLock { (b: inout Connection) throws(IPVSError) in
                try b.dumpServicesWhole(statistics: statistics)
            }
            for i in entries.indices {
                entries[i].destinations = try c.dumpDestinationsWhole(entries[i].service.key, statistics: statistics)
            }
            return entries
        }
    }

    /// The service-dump socket, opened on first use (called with the main lock held: the
    /// lock order is main, then bulk).
    private func bulkConnection() throws(IPVSError) -> BulkConnection {
        try bulk.withLock { (b: inout BulkConnection?) throws(IPVSError) -> BulkConnection in
            if let b { return b }
            let opened = BulkConnection(Connection(socket: try NetlinkSocket(
                namespace: namespace, loadModule: loadModule, receiveLength: NetlinkSocket.bulkReceiveLength)))
            b = opened
            return opened
        }
    }

    /// One service and its destinations; `.noSuchService` if absent.
    public func service(_ key: ServiceKey) throws(IPVSError) -> ServiceEntry { try service(key, statistics: true) }

    /// `service(_:)`, with the destinations' counters decoded only when `statistics` (the
    /// service's own are decoded either way: one set).
    public func service(_ key: ServiceKey, statistics: Bool) throws(IPVSError) -> ServiceEntry {
        try perform { c throws(IPVSError) in
            let reply = try c.requestOne(.getService(key))
            var entry = try c.decode(.getService(key)) { () throws(DecodeError) in try IPVSWire.decodeService(reply.body) }
            entry.destinations = try c.dumpDestinationsWhole(key, statistics: statistics)
            return entry
        }
    }

    public func destinations(of key: ServiceKey) throws(IPVSError) -> [DestinationEntry] {
        try perform { c throws(IPVSError) in try c.dumpDestinationsWhole(key) }
    }

    // MARK: Changes

    public func addService(_ s: Service) throws(IPVSError) { try one(.change(.addService(s))) }
    public func editService(_ s: Service) throws(IPVSError) { try one(.change(.editService(s))) }
    public func deleteService(_ key: ServiceKey) throws(IPVSError) { try one(.change(.deleteService(key))) }
    public func addDestination(_ d: Destination, to key: ServiceKey) throws(IPVSError) { try one(.change(.addDestination(d, to: key))) }
    public func editDestination(_ d: Destination, in key: ServiceKey) throws(IPVSError) { try one(.change(.editDestination(d, in: key))) }
    public func deleteDestination(_ d: DestinationKey, from key: ServiceKey) throws(IPVSError) { try one(.change(.deleteDestination(d, from: key))) }
    /// Removes every service (and so every destination).
    public func flush() throws(IPVSError) { try one(.change(.flush)) }
    /// Zeroes the counters of one service, or of all when `key` is nil.
    public func zero(_ key: ServiceKey? = nil) throws(IPVSError) { try one(.change(.zero(key))) }
    /// Applies one change, as the call of the same name above it would (`addService`, …).
    public func apply(_ change: Change) throws(IPVSError) { try one(.change(change)) }

    private func one(_ request: Request) throws(IPVSError) {
        try Validation.check(request)
        try perform { c throws(IPVSError) in try c.requestAck(request) }
    }

    /// Applies `changes` in order, packing many requests into each datagram. Every change is
    /// validated before anything is sent; if one is invalid nothing is sent and the result
    /// holds the validation failures. The kernel goes on after a refused change; with
    /// `stopAtFirstFailure` no further datagram is sent once one has failed.
    public func apply(_ changes: [Change], stopAtFirstFailure: Bool = false) throws(IPVSError) -> BatchResult {
        // Each change is checked where it lies in the array (see `Connection.encode`).
        let invalid = changes.withUnsafeBufferPointer { buffer in
            var invalid: [BatchFailure] = []
            for i in buffer.indices {
                do throws(IPVSError) { try Validation.check(buffer.baseAddress! + i) } catch {
                    invalid.append(BatchFailure(index: i, change: buffer[i], error: error))
                }
            }
            return invalid
        }
        if !invalid.isEmpty { return BatchResult(processed: 0, failures: invalid) }
        return try perform { c throws(IPVSError) in
            try c.batch(changes, stopAtFirstFailure: stopAtFirstFailure)
        }
    }

    // MARK: Sync daemon

    public func syncDaemons() throws(IPVSError) -> [SyncDaemon] {
        try perform { c throws(IPVSError) in
            let replies = try c.dump(.getDaemons)
            var result: [SyncDaemon] = []
            for r in replies {
                result.append(try c.decode(.getDaemons) { () throws(DecodeError) in try IPVSWire.decodeDaemon(r.body) })
            }
            return result
        }
    }

    public func startSyncDaemon(_ d: SyncDaemon) throws(IPVSError) { try one(.startDaemon(d)) }
    public func stopSyncDaemon(_ role: SyncDaemon.Role) throws(IPVSError) { try one(.stopDaemon(role)) }
}
