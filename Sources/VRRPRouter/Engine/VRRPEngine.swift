import NetworkModel
import HostNetwork
import EventLoop
import VRRP
import TimeBase
import Logging

/// The VRRP half of the daemon: every `vrrp_instance` of the configuration, driven on the
/// daemon's reactor. The actor is isolated to the reactor (its executor), so what the reactor
/// thread calls runs the engine directly: each receive socket (shared by the instances of an
/// interface) is registered on the reactor for good and drained there, each advert handed to the
/// instance with its VRID and through its state machine in the same pass, with no task, no
/// continuation and no hop per advert; the protocol timers of all instances are one reactor
/// timer (`armSweep`). Only work that waits (scripts, the sync daemon, reloads, status) goes
/// through tasks. Link state comes from rtnetlink events; track and notify scripts run through
/// the daemon's process runner. The protocol decisions are `VRRPStateMachine`'s.
public actor VRRPEngine {
    let reactor: Reactor
    /// The reactor: the engine runs on its thread.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { reactor.asUnownedSerialExecutor() }
    let runner: ProcessRunner
    let logger: Logger
    let syncDaemon: (any SyncDaemonController)?
    public internal(set) var config: VRRPConfiguration
    let netlink: RouteNetlink
    let events: RouteEventSocket
    var routers: [String: VirtualRouter] = [:] {
        didSet { routersInOrder = config.instances.compactMap { routers[$0.name] } }
    }
    /// The routers in configuration order (the timer sweep's order), kept with `routers`: the
    /// sweep walks them every time it fires, without a lookup by name (a hash of each name).
    var routersInOrder: [VirtualRouter] = []
    /// The receive sockets, each shared by the instances of one interface, family and unicast
    /// source; closed when the last of them stops.
    var receivers: [ReceiverKey: AdvertReceiver] = [:]
    /// The send sockets, each shared by the instances of one interface, family and mode (held
    /// by those routers; closed with the last of them).
    var senders: [SenderKey: WeakAdvertSender] = [:]
    /// The GARP / NA sockets, one set per interface (held by its routers).
    var announcers: [Int32: WeakAnnouncementSender] = [:]
    /// notify script queues: one per instance, one per sync group.
    var notifyQueues: [String: OrderedScripts] = [:]
    /// Sync groups being brought into line (their members' changes start no new round).
    var syncingGroups: Set<String> = []
    /// Each sync group's state as last notified.
    var groupStates: [String: VRRPState] = [:]
    var scripts: [String: TrackScriptMonitor] = [:]
    var scriptStatus: [String: TrackScriptMonitor.Status] = [:]
    /// Link state by interface name (IFF_RUNNING), from the start-up dump and then events.
    var linkRunning: [String: Bool] = [:]
    /// Interfaces by name, from the same dump and events: instances look theirs up here
    /// instead of a link dump each.
    var interfacesByName: [String: NetworkInterface] = [:]
    /// The link-event socket's reactor registration.
    var eventRegistration: UInt64?
    var running = false
    /// The sync daemon's role as last set (for status).
    public internal(set) var syncRole: SyncDaemonRole?
    /// Why the kernel refused the last sync daemon change (nil once one succeeds).
    public internal(set) var syncError: String?
    /// The last sync daemon change handed to the kernel (the next one waits for it).
    var syncChange: Task<Void, Never>?
    /// The timer sweep's reactor timer and the deadline it is armed for (`armSweep`), and its
    /// generation (a fired timer of an older one does nothing).
    var sweep: (id: UInt64, deadline: Moment)?
    var sweepGeneration = 0
    /// Adverts made in the current pass, sent together at its end (`gatheringAdverts`).
    var outgoing = OutgoingAdverts()
    /// The SCHED_RR priority last asked for the reactor's thread (`applyRealtime`); nil: none.
    var realtimePriority: Int32?
    /// How long a notify script may run.
    let scriptTimeout: Duration

    /// How long a burst of adverts may gather on a receive socket before it is read
    /// (`Reactor.register(fd:events:coalescing:_:)`): a master's adverts that fall due together
    /// arrive over a millisecond or so, and the real-time reactor thread, woken by each, read
    /// them one at a time (29 wake-ups a second for 100 instances, and as many wake-ups the
    /// master's kernel paid for). An advert apart from others is read at once; one in a burst
    /// at most this late, far inside any VRRP timer (advert_int is 10 ms at the least).
    static let receiveCoalescing: Duration = .milliseconds(2)

    /// Opens the engine's two rtnetlink sockets (requests, events). Throws when they cannot be
    /// opened (no CAP_NET_ADMIN, no netlink).
    public init(config: VRRPConfiguration, reactor: Reactor, runner: ProcessRunner, logger: Logger,
                syncDaemon: (any SyncDaemonController)?, scriptTimeout: Duration = .seconds(30)) throws(VRRPEngineError) {
        self.config = config
        self.reactor = reactor
        self.runner = runner
        self.logger = logger
        self.syncDaemon = syncDaemon
        self.scriptTimeout = scriptTimeout
        do {
            netlink = try RouteNetlink()
            events = try RouteEventSocket()
        } catch {
            throw VRRPEngineError(instance: nil, underlying: error)
        }
    }

    // MARK: - Lifecycle

    /// Opens every instance's sockets (an error names the instance: a missing interface, an
    /// address not on it, no CAP_NET_RAW), removes addresses left by an earlier run, and starts
    /// the elections after `vrrp_startup_delay`.
    public func start() async throws(VRRPEngineError) {
        guard !running else { return }
        try refreshLinks()
        for inst in config.instances { routers[inst.name] = try open(inst) }
        running = true
        applyRealtime()
        for (name, script) in config.scripts where isTracked(name) { startScript(script) }
        startEvents()
        if config.globals.startupDelay > .zero {
            logger.notice("vrrp: waiting vrrp_startup_delay \(config.globals.startupDelay) before the first election")
            try? await reactor.sleep(until: .now + config.globals.startupDelay)
        }
        // One moment for all: instances that start together keep one advert deadline (see
        // `armSweep`).
        let now = Moment.now
        for r in routersInOrder { startRouter(r, now: now) }
    }

    /// Every instance leaves: a master sends priority 0 and removes its addresses; every
    /// instance's addresses are removed; the notify scripts run to the end.
    public func stop() async {
        guard running else { return }
        running = false
        for s in scripts.values { s.stop() }
        scripts = [:]
        if let id = eventRegistration { reactor.unregister(id) }
        eventRegistration = nil
        for r in routers.values { stopRouter(r) }
        cancelSweep()
        for q in notifyQueues.values { await q.finish() }
        notifyQueues = [:]
        await syncChange?.value
        syncChange = nil
        // An engine that never ran an instance (a daemon without any yet) started no sync daemon.
        if let sync = config.globals.lvsSyncDaemon, let syncDaemon, !routers.isEmpty || syncRole != nil,
           let error = await syncDaemon.stop(config: sync) {
            logger.error("lvs_sync_daemon: stopping on \(sync.interface): \(error)")
        }
        routers = [:]
    }

    func startRouter(_ r: VirtualRouter, now: Moment = .now) {
        applyWeights(r, initial: true)
        handle(.start, on: r, now: now)
        guard let receiver = receivers[r.receiverKey] else { return }
        receiver.add(r)
        guard receiver.registration == nil else { return }
        // The receiver itself, not its key: a lookup by key hashed it at every wake-up. The
        // body touches it only inside the engine's isolation (the reactor thread it runs on).
        nonisolated(unsafe) let target = receiver
        switch reactor.register(fd: receiver.socket.fileDescriptor, events: SystemCalls.EPOLLIN,
                                coalescing: Self.receiveCoalescing, { [self] _ in
            assumeIsolated { $0.drain(target) }
        }) {
        case let .success(id): receiver.registration = id
        case let .failure(e): report(r, "receive: epoll_ctl: \(e)")
        }
    }

    func stopRouter(_ r: VirtualRouter) {
        if let receiver = receivers[r.receiverKey] {
            receiver.remove(r)
            if receiver.isEmpty {
                if let id = receiver.registration { reactor.unregister(id) }
                receiver.registration = nil
                receivers[r.receiverKey] = nil
            }
        }
        handle(.stop, on: r)
        if r.announcementTimer != 0 { reactor.cancelTimer(r.announcementTimer) }
        // Addresses go whatever the state was (a crash of an earlier run may have left them).
        removeAddresses(r)
    }

    // MARK: - Events into the state machine

    func handle(_ event: VRRPEvent, on r: VirtualRouter, now: Moment = .now) {
        let from = r.machine.state, faultsBefore = ownFaults(r)
        let actions = r.machine.handle(event, now: now)
        for a in actions { perform(a, on: r) }
        syncGroup(after: r, from: from, faultsBefore: faultsBefore)
    }

    /// Reads every datagram queued on a receive socket (the reactor found it readable) and
    /// feeds each to the instances with its VRID, all at the time of the read (one clock read
    /// per batch); the valid ones reach their state machines.
    func drain(_ receiver: AdvertReceiver) {
        // Unregistered (its last member stopped): the reactor may call it once more.
        guard running, receiver.registration != nil else { return }
        do {
            let now = Moment.now
            try gatheringAdverts { () throws(HostNetworkError) in
                try receiver.receive { d in
                    for r in receiver.recipients(of: d) { deliver(d, to: r, now: now) }
                }
            }
        } catch {
            for r in receiver.allMembers { report(r, "receive: \(error)") }
        }
    }

    func deliver(_ d: VRRPDatagram, to r: VirtualRouter, now: Moment) {
        switch r.validate(d) {
        case let .success(advert):
            handle(.advertReceived(advert.event), on: r, now: now)
        case let .failure(rejection):
            // Other VRIDs share the group (multicast): not ours, not an error.
            guard rejection.cause != .wrongVRID else { return }
            handle(.advertRejected(rejection.cause), on: r, now: now)
            if r.loggedRejections.insert(rejection.cause).inserted {
                logger.warning("(\(r.name)) advert from \(d.source) rejected: \(rejection.message)")
            }
        }
    }

    func report(_ r: VirtualRouter, _ error: String) {
        guard r.lastError != error else { return }
        r.lastError = error
        logger.error("(\(r.name)) \(error)")
    }
}
