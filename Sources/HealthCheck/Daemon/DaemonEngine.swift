import DaemonMetrics
import FirewallMarks
import IPVS
import IPVSRules
import Logging
import TimeBase

/// The daemon's settings that do not come from keepalived.conf.
public struct DaemonSettings: Sendable {
    /// Where the table (and mark rules) is saved after every kernel change; nil: nowhere.
    public var statePath: String?
    /// VIPs of firewall-mark virtual servers (`--vip-mark`).
    public var vipMarks: [VIPMark]
    /// How long a notify/quorum script may run.
    public var scriptTimeout: Duration
    /// After a change the kernel refused, or a state file that could not be written, how long
    /// until the next check result tries again (without waiting for a transition).
    public var faultRetry: Duration
    /// How long the state file may lag a transition: the transitions within it cost one write.
    /// Start-up, a reload, a retry and the stop write it before they return.
    public var stateWriteWindow: Duration

    public init(statePath: String? = nil, vipMarks: [VIPMark] = [], scriptTimeout: Duration = .seconds(30),
                faultRetry: Duration = .seconds(1), stateWriteWindow: Duration = .milliseconds(100)) {
        self.statePath = statePath
        self.vipMarks = vipMarks
        self.scriptTimeout = scriptTimeout
        self.faultRetry = faultRetry
        self.stateWriteWindow = stateWriteWindow
    }
}

/// The health-check daemon's core: runs every checker, feeds the state machine, and keeps the
/// kernel table (and the fwmark VIPs' mark rules) true to it.
///
/// * Startup adopts the kernel's table: real servers start up (unless alpha), and the
///   managed services are diffed against the live table, so a restart with a healthy table
///   changes nothing. Services not in the configuration are never touched.
/// * Every transition re-reads its virtual servers' services (one small dump each, not the
///   whole table) and applies the difference in one batch; the state file follows within
///   `stateWriteWindow`, written from the table as last read plus the services changed since
///   (read again), so a burst of transitions costs one write and no full dump. A change the
///   kernel refuses is logged with its reason (once, until it is accepted or no
///   longer wanted) and tried again `faultRetry` later, at the next check result, and at every
///   transition. A state file that could not be written (a full disk, a read-only directory)
///   is tried again the same way, so both recover when the fault goes.
/// * `reload` applies only what changed; unchanged checkers keep their state and schedule.
///   The new desired table is diffed against the table as the daemon last read it, and only
///   the services that differ are read and changed (no dump of a big table for one change).
/// * `stop` leaves the table, except for `omega` virtual servers, which are removed (with
///   their notify_down and quorum_down scripts).
/// * MISC_CHECKs (`StartableChecker`) have no task: a `CheckDriver` per checker starts each
///   check from a reactor timer, and one task takes the results in batches and sets the next
///   timers. Timer, spawn, exit and result all happen on the reactor thread, as in keepalived's
///   single event loop, and a thousand checkers cost a thousand small objects, not a thousand
///   suspended tasks. The other checkers are task loops that prefer the reactor as their
///   executor (`checkLoop`), with no thread switch per check either.
public actor DaemonEngine {
    public typealias ScriptRunner = @Sendable (CheckCommand, Duration) async -> CheckOutcome
    public typealias CheckerMaker = @Sendable (CheckerConfig) -> any Checker

    /// A checker's last result as the status shows it: 48 bytes, where the whole `CheckResult`
    /// and its time took 96 (one per checker, 37,000 at a large director).
    struct CheckRecord: Sendable {
        /// Why it failed; `.ok` when it passed.
        var reason: CheckResult.Reason
        var success: Bool
        var latency: Duration
        var at: WallTime

        init(_ result: CheckResult, at: WallTime) {
            reason = result.success ? .ok : result.reason
            success = result.success
            latency = result.latency
            self.at = at
        }
    }

    struct Refusal: Sendable {
        var count: Int
        /// The service the change is to (nil: the whole table).
        var service: ServiceKey?
    }

    /// A real server in a virtual server, stable across reloads.
    struct ServerRef: Hashable, Sendable {
        var virtualServer: VirtualServerAddress
        var server: DestinationKey
    }

    private let table: any KernelTable
    private let marks: (any MarkTable)?
    private let makeChecker: CheckerMaker
    private let runScript: ScriptRunner
    private let settings: DaemonSettings
    private let logger: Logger
    /// Where the checker loops run (nil: the global executor).
    private let checkLoop: Reactor?
    /// Where the schedule reads the time, sets the drivers' timers and sleeps: `checkLoop`
    /// unless a test gives its own (nil: ContinuousClock, and every checker is a task loop).
    private let clock: (any CheckClock)?
    /// The first check's delay in 0..<warmup (random; tests fix it).
    private let jitter: @Sendable (Duration) -> Duration
    /// Where checks, kernel changes and late starts are counted (nil: nowhere).
    private let metrics: DaemonMetrics?

    public private(set) var config: DaemonConfig
    private var machine: HealthStateMachine
    /// Every checker by serial: its id, its driver (run from reactor timers, a
    /// `StartableChecker`) or task, its last result and its metrics series.
    private var slots = CheckerSlots()
    /// The one task that takes the drivers' results.
    private var results: ResultQueue?
    /// What the drivers share (`driverShared`).
    private var sharedByDrivers: CheckDriverShared?
    private var resultTask: Task<Void, Never>?
    private var lastChange: [ServerRef: WallTime] = [:]
    /// Services removed from the configuration that are still to be deleted from the kernel.
    private var pendingRemoval: Set<ServiceKey> = []
    /// The kernel's table as the daemon last read it (the last full dump, then the services
    /// its changes touched read again), by service: what the state file is written from, and
    /// what lets a transition read only its own virtual servers' services. nil until a full
    /// reconciliation has read it, and after a batch whose outcome is unknown.
    private var known: [ServiceKey: ServiceEntry]?
    /// When a batched state-file write is due (nil: none pending).
    private var stateWriteDue: ContinuousClock.Instant?
    /// Mark rules the daemon keeps in place.
    private var ownedMarks: Set<MarkRule> = []
    private var scripts: [Task<Void, Never>] = []
    private var running = false
    private var runCheckers = true
    public private(set) var startedAt: WallTime?
    /// How many changes the kernel accepted from this daemon, for the status report: counted
    /// up to 10,000, where the list of them it was once counted from stopped. (That list was
    /// read by nothing else, and kept the capacity of the largest batch: 3.5 MB after a
    /// start-up at 37,000 real servers.)
    public private(set) var appliedChangeCount = 0
    /// Changes the kernel refused so far.
    public private(set) var refusedChanges = 0
    public private(set) var checksRun = 0
    public private(set) var reloads = 0
    /// When to try the managed services again after a refusal (nil: nothing refused).
    private var kernelRetryAt: ContinuousClock.Instant?
    /// Refused changes (as ipvsadm command lines), how often and of which service: each is
    /// logged as an error once, then at debug level until the kernel takes it.
    private var refusals: [String: Refusal] = [:]
    /// When to write the state file again after a failure (nil: it is up to date).
    private var stateRetryAt: ContinuousClock.Instant?
    /// The last state-file error logged (each new error is logged once).
    private var stateError: String?
    /// Whether the last batch sent to the kernel had a refusal (or could not be sent).
    private var lastBatchFailed = false

    public init(config: DaemonConfig, table: any KernelTable, marks: (any MarkTable)?, settings: DaemonSettings,
                logger: Logger, makeChecker: @escaping CheckerMaker, runScript: @escaping ScriptRunner,
                checkLoop: Reactor?, clock: (any CheckClock)? = nil,
                jitter: @escaping @Sendable (Duration) -> Duration = DaemonEngine.jitter, metrics: DaemonMetrics? = nil) {
        self.metrics = metrics
        self.checkLoop = checkLoop
        self.clock = clock ?? checkLoop
        self.jitter = jitter
        self.config = config
        self.machine = HealthStateMachine(config: config)
        self.table = table
        self.marks = marks
        self.settings = settings
        self.logger = logger
        self.makeChecker = makeChecker
        self.runScript = runScript
    }

    public var state: HealthStateMachine { machine }

    // MARK: - Lifecycle

    /// Adopts the kernel's table, starts the checkers (unless `runCheckers` is false: then
    /// results come only through `deliver`, as in tests).
    public func start(runCheckers: Bool = true) {
        guard !running else { return }
        running = true
        self.runCheckers = runCheckers
        startedAt = .now
        // Serials and ids only: the configurations stay in `config` (an array of 37,000 copies
        // was 16 MB at its peak).
        slots.removeAll()   // a start after a stop numbers its checkers afresh
        // Room for every checker at once (`assign`): grown by doubling, the table left its old
        // storage behind at each step (about a third of its size again at 37,000 checkers).
        let toStart = slots.assign(config)
        primeTrackedFiles(toStart)
        handle(machine.start())
        ensureMarks()
        let n = reconcile(because: "startup")
        if n == 0 { writeState() }
        logger.notice("started: \(config.virtualServers.count) virtual servers, \(config.virtualServers.reduce(0) { $0 + $1.realServers.count }) real servers, \(toStart.count) checkers; \(n == 0 ? "kernel table adopted as it is" : "\(n) kernel changes")")
        if runCheckers { for (s, id) in toStart { launch(serial: s, config: machine.checkerConfig(id)) } }
    }

    /// Stops every checker. Virtual servers with `omega` run their scripts and are removed from
    /// the kernel (with their mark rules); the others stay as they are.
    public func stop() async {
        guard running else { return }
        running = false
        slots.stopAll()
        results?.close()
        results = nil
        sharedByDrivers = nil
        resultTask = nil
        handle(machine.shutdown())
        let omega = config.virtualServers.filter(\.omega)
        var changes = 0
        if !omega.isEmpty {
            let keys = Set(omega.flatMap(\.services).map(\.key))
            do {
                let current = try table.services(statistics: false)
                let deletions = current.map(\.service.key).filter { keys.contains($0) }.map { Change.deleteService($0) }
                changes = applyLogged(deletions, because: "shutdown (omega)").count
            } catch {
                logger.error("shutdown: cannot read the IPVS table to remove the omega virtual servers: \(error)")
            }
            let omegaMarks = Set(omega.compactMap { vs -> UInt32? in if case let .fwmark(m) = vs.address { return m }; return nil })
            for r in ownedMarks where omegaMarks.contains(r.mark) { removeMark(r, because: "shutdown (omega)") }
            if changes > 0 {
                readAll()
                writeState()
            }
        }
        if stateWriteDue != nil { writeState() }
        await waitForScripts()
        logger.notice("stopped\(omega.isEmpty ? "; the kernel table is left as it is" : "")")
    }

    /// Applies a new configuration: only the difference reaches the kernel, and checkers whose
    /// real server and configuration are unchanged keep their state and schedule. `unchanged`
    /// maps virtual servers of `new` to the running one they repeat (see
    /// `HealthStateMachine.reloaded`): those keep their state as it is, and only the others'
    /// services (and removed ones) are diffed against the table as last read.
    public func reload(_ new: DaemonConfig, unchanged: [Int: Int] = [:]) {
        let began = ContinuousClock.now
        let oldKeys = Set(config.services.map(\.key))
        let made = HealthStateMachine.reloaded(new, from: machine, unchanged: unchanged)
        // The virtual servers carried over whole keep their checkers as they are; in the
        // others the carried checkers keep their serial (moved to their new place), the other
        // slots are emptied, and the new checkers take slots (a freed one first).
        let moved = slots.reload(new, whole: made.whole, carried: made.carried)
        forgetRemovedCheckers(moved.removed, new: new)
        machine = made.machine
        config = new
        let newKeys = Set(new.services.map(\.key))
        pendingRemoval.formUnion(oldKeys.subtracting(newKeys))
        pendingRemoval.subtract(newKeys)
        reloads += 1
        let toStart = moved.started
        primeTrackedFiles(toStart)
        // The virtual servers carried over whole have their quorum settled and their
        // services as they were: only the others are settled and diffed.
        let changed = new.virtualServers.indices.filter { made.whole[$0] == nil }
        handle(machine.start(virtualServers: changed))
        ensureMarks()
        let carriedOver = ContinuousClock.now
        let n = reconcileFromKnown(because: "reload", only: unchanged.isEmpty ? nil : Set(changed)) ?? reconcile(because: "reload")
        if !pendingRemoval.isEmpty, let known { pendingRemoval = pendingRemoval.filter { known[$0] != nil } }
        let reconciled = ContinuousClock.now
        if stateWriteDue != nil { writeState() }
        let done = ContinuousClock.now
        logger.notice("reloaded: \(new.virtualServers.count) virtual servers (\(unchanged.isEmpty ? "all compared" : "\(changed.count) changed"), \(made.whole.count) carried over whole); \(moved.kept) checkers kept their state, \(toStart.count) new, \(moved.stopped) stopped; \(n) kernel changes (check state carried over in \((carriedOver - began).logSeconds), diff and kernel changes in \((reconciled - carriedOver).logSeconds), state file in \((done - reconciled).logSeconds))")
        if running && runCheckers { for (s, id) in toStart { launch(serial: s, config: machine.checkerConfig(id)) } }
    }

    /// FILE_CHECKs about to start: their init_file written, and their file read now, before the
    /// table is reconciled, so a real server enters the kernel with its tracked weight (or stays
    /// out), as keepalived reads its track files before it starts.
    private func primeTrackedFiles(_ starting: [(serial: Int, id: CheckerID)]) {
        for (serial, id) in starting {
            guard case let .file(f) = machine.checkerConfig(id).kind, slots.id(of: serial) == id else { continue }
            if let problem = FileChecker.initialise(f) { logger.error("track_file \(f.name): \(problem)") }
            let (_, events) = machine.record(id, FileChecker.result(value: FileChecker.read(f.path) ?? 0, f))
            handle(events)
        }
    }

    /// The metrics of the checkers a reload removed (`removed`: their ids in the running
    /// configuration, still in place); a label set the new configuration still has keeps its
    /// series. Only the new virtual servers with the address of one that lost a checker can
    /// have such a label set (a checker's labels begin with its virtual server's).
    private func forgetRemovedCheckers(_ removed: [CheckerID], new: DaemonConfig) {
        guard let metrics, !removed.isEmpty else { return }
        let losing = Set(removed.compactMap { config.virtualServers[safe: $0.virtualServer]?.address })
        var remaining = Set<String>()
        for vs in new.virtualServers where losing.contains(vs.address) {
            for rs in vs.realServers {
                for c in rs.checkers { remaining.insert(DaemonMetrics.key(CheckLabels.checker(vs, rs, c))) }
            }
        }
        for id in removed {
            guard let vs = config.virtualServers[safe: id.virtualServer], let rs = vs.realServers[safe: id.realServer],
                  let c = rs.checkers[safe: id.checker] else { continue }
            let labels = CheckLabels.checker(vs, rs, c)
            if !remaining.contains(DaemonMetrics.key(labels)) { metrics.forgetChecker(labels) }
        }
    }

    // MARK: - Results

    /// Feeds one result of checker `id` (the scheduler's path goes through its serial).
    @discardableResult
    public func deliver(_ id: CheckerID, _ result: CheckResult) -> Duration {
        let (next, events) = record(id, result)
        if !events.isEmpty { reconcile(because: reason(for: events), virtualServers: Set(events.map(\.virtualServer))) }
        retryFaults()
        return next
    }

    /// Takes one result into the state machine (status, metrics, logged events, scripts) and
    /// returns the delay to the next check and the events, without touching the kernel.
    private func record(_ id: CheckerID, _ result: CheckResult) -> (Duration, [HealthEvent]) {
        checksRun += 1
        let serial = slots.serial(of: id)
        if let serial { slots.setLast(CheckRecord(result, at: .now), at: serial) }
        series(of: id, serial: serial)?.ended(duration: result.latency, failure: result.success ? nil : CheckLabels.reason(result.reason))
        let (next, events) = machine.record(id, result)
        if !events.isEmpty { handle(events) }
        return (next, events)
    }

    /// The event series of checker `id`: kept by its serial once looked up.
    private func series(of id: CheckerID, serial: Int?) -> CheckerSeries? {
        if let serial, let known = slots.series(serial) { return known }
        guard let metrics, let vs = config.virtualServers[safe: id.virtualServer], let rs = vs.realServers[safe: id.realServer],
              let c = rs.checkers[safe: id.checker] else { return nil }
        let made = metrics.series(CheckLabels.checker(vs, rs, c))
        if let serial { slots.setSeries(made, at: serial) }
        return made
    }

    /// What the kernel lines of a reconcile give as its reason: the events, or for a burst
    /// their count (each is logged on its own line just before).
    private func reason(for events: [HealthEvent]) -> String {
        events.count <= 3 ? events.map { describe($0) }.joined(separator: "; ") : "\(events.count) transitions"
    }

    /// Tries again what a fault stopped, when its time has come: the changes the kernel refused
    /// (or a table that could not be read), then the state file; and writes a batched state
    /// file whose timer is late.
    private func retryFaults() {
        let now = ContinuousClock.now
        if let at = kernelRetryAt, now >= at { reconcile(because: "retry after a refusal") }
        if let at = stateRetryAt, now >= at { writeState() }
        if let due = stateWriteDue, now >= due { writeState() }   // its timer is late
    }

    private func deliver(serial: Int, _ result: CheckResult) -> Duration? {
        // A cancelled task's result is not its serial's (the slot may be another checker's now).
        guard running, !Task.isCancelled, let id = slots.id(of: serial) else { return nil }
        return deliver(id, result)
    }

    /// Results of the drivers' checks, in the order they ended, taken together: the kernel
    /// table is read and changed once for the whole batch. (A burst of transitions, e.g. 200
    /// servers failing together, cost one table dump each, all on the reactor thread: the
    /// timers and the reaping of check processes stopped for seconds.)
    private func deliver(_ batch: [ResultQueue.Item]) {
        var events: [HealthEvent] = []
        for (driver, result, generation) in batch {
            let serial = driver.serial
            // A stopped driver's result is dropped (its serial may be another checker's now).
            guard running, let d = slots.driver(serial), d === driver, let id = slots.id(of: serial) else { continue }
            let (next, e) = record(id, result)
            events += e
            d.next(after: next, generation: generation)
        }
        if !events.isEmpty { reconcile(because: reason(for: events), virtualServers: Set(events.map(\.virtualServer))) }
        retryFaults()
    }

    private func launch(serial: Int, config c: CheckerConfig) {
        let checker = makeChecker(c)
        let first = jitter(c.warmup)
        let loop = checkLoop
        let clock = self.clock
        if let clock, let startable = checker as? any StartableChecker {
            let d = Self.driver(serial: serial, checker: startable, shared: driverShared(clock: clock),
                                first: clock.now + first, delayLoop: c.delayLoop)
            slots.setDriver(d, at: serial)
            d.begin()
            return
        }
        // With a loop, the task's jobs (the check, the result, this engine's `deliver`, the
        // sleep) all run on the loop's thread: a check costs no thread switch.
        let metrics = self.metrics
        let task = Task(executorPreference: loop) { [weak self] in
            var slot = (clock?.now ?? .now).advanced(by: first)
            func sleep() async throws {
                if let clock { try await clock.sleep(until: slot) } else { try await ContinuousClock().sleep(until: slot, tolerance: nil) }
                metrics?.checkStarted(late: (clock?.now ?? .now) - slot)
            }
            do {
                try await sleep()
                while !Task.isCancelled {
                    let result = await checker.check()
                    if Task.isCancelled { return }
                    guard let next = await self?.deliver(serial: serial, result) else { return }
                    // No drift: the next slot follows the planned one, not the check's end.
                    slot = slot.advanced(by: next)
                    let now = clock?.now ?? .now
                    if slot < now { slot = now }
                    try await sleep()
                }
            } catch {
                // Only sleep throws, and only on cancellation: the checker was stopped.
            }
        }
        slots.setTask(task, at: serial)
    }

    /// A driver of the checker's own type (the existential opened: the checker is kept in the
    /// driver, not in a box of its own).
    private static func driver<C: StartableChecker>(serial: Int, checker: C, shared: CheckDriverShared,
                                                    first: ContinuousClock.Instant, delayLoop: Duration) -> any ScheduledCheck {
        CheckDriver(serial: serial, checker: checker, shared: shared, first: first, delayLoop: delayLoop)
    }

    /// The queue of the drivers' results, and its task. The task runs on the global executor,
    /// not on the check loop: what a batch of results may cost (a transition reads and changes
    /// the kernel table and writes the state file: at 500 real servers, seconds of a debug build
    /// under emulation) then never holds the reactor thread, whose timers start the checks and
    /// whose pidfds reap their processes. The drivers' timers are set from here through the
    /// reactor's lock.
    /// What the drivers share: the clock, the result queue and the metrics (made with the queue).
    private func driverShared(clock: any CheckClock) -> CheckDriverShared {
        if let shared = sharedByDrivers, shared.results === results { return shared }
        let shared = CheckDriverShared(clock: clock, results: resultQueue(), metrics: metrics)
        sharedByDrivers = shared
        return shared
    }

    private func resultQueue() -> ResultQueue {
        if let results { return results }
        let q = ResultQueue()
        results = q
        resultTask = Task(executorPreference: globalConcurrentExecutor) { [weak self] in
            while let batch = await q.next() {
                guard let self else { return }
                await self.deliver(batch)
            }
        }
        return q
    }

    /// keepalived's warmup: the first check waits a random part of it.
    public static func jitter(_ warmup: Duration) -> Duration {
        let ns = warmup.inNanoseconds
        return ns > 0 ? .nanoseconds(Int64.random(in: 0..<ns)) : .zero
    }

    // MARK: - Events and scripts

    private func describe(_ e: HealthEvent) -> String {
        let service = config.virtualServers.indices.contains(e.virtualServer) ? config.virtualServers[e.virtualServer].name : "vs\(e.virtualServer)"
        return e.words(service: service, checker: checkerName(e.checker), weightLabel: "live weight")
    }

    private func checkerName(_ id: CheckerID?) -> String {
        guard let id, let c = config.virtualServers[safe: id.virtualServer]?.realServers[safe: id.realServer]?.checkers[safe: id.checker]
        else { return "checker" }
        return "\(c.kind.name) (\(c.location))"
    }

    private func handle(_ events: [HealthEvent]) {
        let now = WallTime.now
        for e in events {
            switch e.kind {
            case .checkerUp, .checkerDown: logger.info("\(describe(e))")
            default: logger.notice("\(describe(e))")
            }
            if let server = e.server, let vs = config.virtualServers[safe: e.virtualServer] {
                switch e.kind {
                case .realServerUp, .realServerDown, .weightChanged, .sorryServerIn, .sorryServerOut:
                    lastChange[ServerRef(virtualServer: vs.address, server: server)] = now
                default: break
                }
            }
            if let script = e.script { spawn(script, for: describe(e)) }
        }
    }

    /// Waits for the notify and quorum scripts started so far.
    public func waitForScripts() async {
        let pending = scripts
        scripts = []
        for s in pending { await s.value }
    }

    private func spawn(_ script: ScriptConfig, for event: String) {
        let run = runScript
        let timeout = settings.scriptTimeout
        let logger = logger
        scripts.removeAll { $0.isCancelled }
        scripts.append(Task {
            let o = await run(script.command, timeout)
            switch o.termination {
            case .exited(0):
                logger.info("script '\(script.text)' (\(event)) succeeded")
            default:
                logger.warning("script '\(script.text)' (\(event)): \(o.termination)")
            }
        })
    }

    // MARK: - Kernel

    /// What the managed services should be now.
    public var desiredTable: [ServiceEntry] {
        var out: [ServiceEntry] = []
        for (v, vs) in config.virtualServers.enumerated() {
            let dests = machine.desiredDestinations(virtualServer: v).map { DestinationEntry(destination: $0) }
            for svc in vs.services { out.append(ServiceEntry(service: svc, destinations: dests)) }
        }
        return out
    }

    /// Applies the difference between the managed part of the kernel table and the desired
    /// table; returns how many changes the kernel accepted. With `virtualServers` (a
    /// transition, once the table has been read whole) only those virtual servers' services
    /// are read and diffed, and the state file follows within `settings.stateWriteWindow`.
    /// Without it (start-up, a reload, a retry after a fault) the whole managed table is read
    /// and diffed (which also repairs a managed service someone else changed), and the state
    /// file is written before it returns.
    @discardableResult
    private func reconcile(because why: String, virtualServers only: Set<Int>? = nil) -> Int {
        if let only, known != nil { return reconcile(because: why, only: only) }
        let desired = desiredTable
        let managed = Set(desired.map(\.service.key)).union(pendingRemoval)
        let current: [ServiceEntry]
        do {
            current = try table.services(statistics: false)
        } catch {
            logger.error("kernel: cannot read the IPVS table (\(why)): \(error); will try again")
            kernelRetryAt = .now + settings.faultRetry
            known = nil
            return 0
        }
        known = Self.byService(current)
        let changes = Reconciler.changes(current: current, desired: desired, managed: managed)
        guard !changes.isEmpty else {
            forgetRefusals(except: [])
            return 0
        }
        let applied = applyLogged(changes, because: why)
        forgetRefusals(except: changes)
        kernelRetryAt = lastBatchFailed ? .now + settings.faultRetry : nil
        refresh(after: applied)
        if !pendingRemoval.isEmpty, let known { pendingRemoval = pendingRemoval.filter { known[$0] != nil } }
        if !applied.isEmpty { writeState() }
        return applied.count
    }

    /// A transition's reconciliation: the services of the virtual servers `only`, each read
    /// on its own (one get and one destination dump). A read that fails leaves `known` unset,
    /// so the retry and the next transition read the whole table.
    private func reconcile(because why: String, only: Set<Int>) -> Int {
        let desired = desiredEntries(of: only)
        return reconcile(because: why, desired: desired, keys: Set(desired.map(\.service.key)))
    }

    /// The desired table of virtual servers `only`.
    private func desiredEntries(of only: Set<Int>) -> [ServiceEntry] {
        var desired: [ServiceEntry] = []
        for v in only.sorted() where config.virtualServers.indices.contains(v) {
            let dests = machine.desiredDestinations(virtualServer: v).map { DestinationEntry(destination: $0) }
            for svc in config.virtualServers[v].services { desired.append(ServiceEntry(service: svc, destinations: dests)) }
        }
        return desired
    }

    /// A reload's reconciliation when the table as last read is at hand and no fault is
    /// pending: the desired table is diffed against it (no dump), and only the services that
    /// differ are read from the kernel, diffed again and changed. nil when it cannot be done
    /// that way (nothing read yet, a refusal or read failure to retry, most services to
    /// change): then the whole table is read. A reload so repairs what the daemon's own view
    /// says differs, not a change someone else made since behind its back; start-up and the
    /// retry after a fault read the whole table.
    /// With `only`, the desired table is that of those virtual servers (the others repeat
    /// what is running, with the same state: nothing of theirs to change).
    private func reconcileFromKnown(because why: String, only: Set<Int>? = nil) -> Int? {
        guard let known, kernelRetryAt == nil else { return nil }
        let desired = only.map { desiredEntries(of: $0) } ?? desiredTable
        let managed = Set(desired.map(\.service.key)).union(pendingRemoval)
        let cached = known.values.filter { managed.contains($0.service.key) }
        let changes = Reconciler.changes(current: cached, desired: desired, managed: managed)
        var keys = Set<ServiceKey>()
        for c in changes {
            guard let k = Self.service(of: c) else { return nil }
            keys.insert(k)
        }
        if keys.count * 2 > known.count + 1 { return nil }   // most of the table: one dump is cheaper
        return reconcile(because: why, desired: desired.filter { keys.contains($0.service.key) }, keys: keys)
    }

    /// Reads the services `keys` one by one, and gives them the configuration and real servers
    /// of `desired` (a key with no entry there is deleted); the state file follows within the
    /// write window.
    private func reconcile(because why: String, desired: [ServiceEntry], keys: Set<ServiceKey>) -> Int {
        var current: [ServiceEntry] = []
        for key in keys {
            do {
                current.append(try table.service(key, statistics: false))
            } catch where error.code == .noSuchService {
                continue
            } catch {
                logger.error("kernel: cannot read the IPVS service \(key) (\(why)): \(error); will try again")
                kernelRetryAt = .now + settings.faultRetry
                known = nil
                return 0
            }
        }
        for k in keys { known?[k] = nil }
        for e in current { known?[e.service.key] = e }
        let changes = Reconciler.changes(current: current, desired: desired, managed: keys)
        guard !changes.isEmpty else {
            forgetRefusals(except: [], of: keys)
            return 0
        }
        let applied = applyLogged(changes, because: why)
        forgetRefusals(except: changes, of: keys)
        if lastBatchFailed { kernelRetryAt = .now + settings.faultRetry }
        refresh(after: applied)
        if !applied.isEmpty { scheduleStateWrite() }
        return applied.count
    }

    /// `known` after `applied`: the services they touched read again from the kernel (the
    /// whole table when they touched a good part of it, flushed or zeroed it all, or when
    /// `known` is unset).
    private func refresh(after applied: [Change]) {
        guard var now = known else { return readAll() }
        guard !applied.isEmpty else { return }
        var touched = Set<ServiceKey>()
        for c in applied {
            switch c {
            case let .deleteService(k): now[k] = nil
            case .flush, .zero(nil): return readAll()
            default: if let k = Self.service(of: c) { touched.insert(k) }
            }
        }
        // A service read is two requests (get, destination dump), a dump one per service plus one.
        if touched.count * 2 > now.count + 1 { return readAll() }
        for k in touched {
            do {
                now[k] = try table.service(k, statistics: false)
            } catch where error.code == .noSuchService {
                now[k] = nil
            } catch {
                return readAll()
            }
        }
        known = now
    }

    /// `known` from one dump of the whole table. When it cannot be read, `known` is unset: the
    /// state file is then written from a dump of its own, which reports the error, and the
    /// next transition reads the whole table.
    private func readAll() {
        do {
            known = Self.byService(try table.services(statistics: false))
        } catch {
            logger.warning("kernel: cannot read the IPVS table after a change: \(error); the next transition reads it whole")
            known = nil
        }
    }

    private static func byService(_ entries: [ServiceEntry]) -> [ServiceKey: ServiceEntry] {
        var out: [ServiceKey: ServiceEntry] = [:]
        out.reserveCapacity(entries.count)
        for e in entries where out[e.service.key] == nil { out[e.service.key] = e }
        return out
    }

    /// The service a change is to (nil: the whole table).
    private static func service(of c: Change) -> ServiceKey? {
        switch c {
        case let .addService(s), let .editService(s): return s.key
        case let .deleteService(k): return k
        case let .addDestination(_, k), let .editDestination(_, k), let .deleteDestination(_, k): return k
        case .flush: return nil
        case let .zero(k): return k
        }
    }

    /// Sends `changes` in one batch and logs each; returns those the kernel accepted, and
    /// sets `lastBatchFailed` when any was refused or the batch could not be sent (then what
    /// reached the kernel is unknown, and `known` is unset).
    private func applyLogged(_ changes: [Change], because why: String) -> [Change] {
        lastBatchFailed = false
        guard !changes.isEmpty else { return [] }
        let result: BatchResult
        do {
            result = try table.apply(changes, stopAtFirstFailure: false)
        } catch {
            logger.error("kernel: cannot apply \(changes.count) changes (\(why)): \(error); will try again")
            lastBatchFailed = true
            known = nil
            return []
        }
        lastBatchFailed = !result.failures.isEmpty
        let applied = Plan.applied(changes, result: result)
        for c in applied {
            let line = SaveFormat.commandLine(for: c)
            logger.info("kernel: \(line)  [\(why)]")
            if let r = refusals.removeValue(forKey: line) {
                logger.notice("kernel accepted \(line) after refusing it \(r.count) time\(r.count == 1 ? "" : "s")")
            }
        }
        for f in result.failures {
            let line = SaveFormat.commandLine(for: f.change)
            let n = refusals[line]?.count ?? 0
            refusals[line] = Refusal(count: n + 1, service: Self.service(of: f.change))
            let text = "kernel refused \(line): \(f.error)  [\(why)]; will try again"
            if n == 0 { logger.error("\(text)") } else { logger.debug("\(text) (refused \(n + 1) times)") }
        }
        refusedChanges += result.failures.count
        metrics?.kernelChanges(applied: applied.count, refused: result.failures.map(\.error.errno))
        appliedChangeCount = min(appliedChangeCount + applied.count, 10_000)
        return applied
    }

    /// Refusals of changes no longer wanted are forgotten (a later refusal is logged again):
    /// all of them, or with `services` (a transition's reconciliation) only those to these
    /// services, the others not having been looked at.
    private func forgetRefusals(except wantedChanges: [Change], of services: Set<ServiceKey>? = nil) {
        guard !refusals.isEmpty else {
            kernelRetryAt = nil
            return
        }
        // As command lines (the refusals' keys): only when there is a refusal to look up.
        let wanted = Set(wantedChanges.map { SaveFormat.commandLine(for: $0) })
        for (line, r) in refusals where !wanted.contains(line) {
            if let services, !(r.service.map(services.contains) ?? false) { continue }
            refusals[line] = nil
        }
        if refusals.isEmpty { kernelRetryAt = nil }
    }

    // MARK: - Marks

    private var wantedMarks: [MarkRule] {
        let marksInConfig = Set(config.virtualServers.compactMap { vs -> UInt32? in
            if case let .fwmark(m) = vs.address { return m }
            return nil
        })
        return settings.vipMarks.map(\.rule).filter { marksInConfig.contains($0.mark) }
    }

    private func ensureMarks() {
        guard let marks else { return }
        let wanted = wantedMarks
        for r in ownedMarks where !wanted.contains(r) { removeMark(r, because: "no longer configured") }
        for r in wanted {
            do {
                if try marks.add(r) { logger.notice("mark rule added: \(r)") }
                ownedMarks.insert(r)
            } catch {
                logger.error("mark rule \(r): \(error.message)\(error.hint.map { " (hint: \($0))" } ?? "")")
            }
        }
    }

    private func removeMark(_ r: MarkRule, because why: String) {
        guard let marks else { return }
        do {
            if try marks.delete(r, ifExists: true) { logger.notice("mark rule removed: \(r) [\(why)]") }
            ownedMarks.remove(r)
        } catch {
            logger.error("mark rule \(r): cannot remove it (\(why)): \(error.message)")
        }
    }

    // MARK: - State file

    /// The table in ipvsadm-save -n format, plus swiftvs's mark rules when the daemon keeps any.
    public func stateText() throws -> String {
        SaveFormat.render(try table.services(statistics: false), numeric: true, marks: try markLines())
    }

    /// swiftvs's mark rules as the state file lists them (none unless the daemon keeps any).
    private func markLines() throws -> [String] {
        guard let marks, !settings.vipMarks.isEmpty else { return [] }
        return try marks.list().map(\.description)
    }

    /// Writes the state file now, from `known` (the table as the daemon last read and changed
    /// it) or, when that is unset, from a dump of its own. A failure is logged (once per
    /// distinct error) and tried again `faultRetry` later, and the first write after it says so.
    private func writeState() {
        stateWriteDue = nil
        guard let path = settings.statePath else { return }
        do {
            // Written from where it was rendered: a String of it (1.7 MB at 37,000 real
            // servers) beside the rendered bytes was the peak of a reload that changed the table.
            let entries = try known.map { Array($0.values) } ?? table.services(statistics: false)
            try SaveFormat.withRenderedBytes(entries, numeric: true, marks: try markLines()) { bytes throws(AtomicFile.WriteError) in
                try AtomicFile.write(bytes: bytes, to: path)
            }
            if let e = stateError { logger.notice("state file: \(path) written again (the last failure was: \(e))") }
            stateError = nil
            stateRetryAt = nil
        } catch {
            let text = "\(error)"
            if text != stateError { logger.error("state file: \(text); the kernel table is unaffected, will try again") }
            stateError = text
            stateRetryAt = .now + settings.faultRetry
        }
    }

    /// Writes the state file within `settings.stateWriteWindow`: the transitions of a burst (a
    /// real server that many services share, a switch port going down) cost one write, not
    /// one each. A write already due whose timer is late (a busy daemon) is done at once.
    private func scheduleStateWrite() {
        guard settings.statePath != nil else { return }
        if let due = stateWriteDue {
            if ContinuousClock.now >= due { writeState() }
            return
        }
        let window = settings.stateWriteWindow
        stateWriteDue = .now + window
        Task { [weak self] in
            do { try await Task.sleep(for: window) } catch { /* cancelled: write now all the same */ }
            await self?.flushState()
        }
    }

    private func flushState() {
        if stateWriteDue != nil { writeState() }
    }

    // MARK: - Status

    public func status() -> DaemonStatus {
        var vss: [DaemonStatus.VirtualServer] = []
        for (v, vs) in config.virtualServers.enumerated() {
            var reals: [DaemonStatus.RealServer] = []
            for (r, rs) in vs.realServers.enumerated() {
                var checkers: [DaemonStatus.Checker] = []
                for (c, ch) in rs.checkers.enumerated() {
                    let id = CheckerID(virtualServer: v, realServer: r, checker: c)
                    let rec = slots.serial(of: id).flatMap { slots.last($0) }
                    checkers.append(DaemonStatus.Checker(
                        type: ch.kind.name, location: ch.location.description,
                        target: ch.kind == .ping || isMisc(ch) ? ch.connectIP.description : DestinationKey(address: ch.connectIP, port: ch.connectPort).description,
                        state: !ch.enabled ? "disabled" : (machine.isCheckerUp(id) ? "up" : "down"),
                        lastResult: rec.map { $0.success ? "ok" : $0.reason.description },
                        latency: rec?.latency, lastCheck: rec?.at))
                }
                let alive = machine.isAlive(virtualServer: v, realServer: r)
                let latest = checkers.compactMap { c in c.lastCheck.map { (c, $0) } }.max { $0.1 < $1.1 }?.0
                reals.append(DaemonStatus.RealServer(
                    address: rs.key.description, state: alive ? "up" : "down",
                    weight: machine.weight(virtualServer: v, realServer: r), configuredWeight: rs.weight,
                    lastResult: latest?.lastResult, latency: latest?.latency,
                    lastChange: lastChange[ServerRef(virtualServer: vs.address, server: rs.key)] ?? startedAt,
                    checkers: checkers))
            }
            vss.append(DaemonStatus.VirtualServer(
                name: vs.name, location: vs.location.description,
                services: vs.services.map { SaveFormat.commandLine(for: .addService($0)).replacingFirst("-A ", with: "") },
                scheduler: vs.scheduler, quorum: vs.quorum, quorumUp: machine.hasQuorum(virtualServer: v),
                liveWeight: machine.liveWeight(virtualServer: v),
                sorryServer: vs.sorryServer.map { DestinationKey(address: $0.address, port: $0.port).description },
                sorryServerActive: machine.isSorryServerActive(virtualServer: v), realServers: reals))
        }
        return DaemonStatus(startedAt: startedAt, checksRun: checksRun, kernelChanges: appliedChangeCount,
                            refusedChanges: refusedChanges, reloads: reloads, virtualServers: vss)
    }

    /// When the real server last changed (the daemon's start before any change).
    func lastTransition(_ vs: VirtualServerConfig, _ rs: RealServerConfig) -> WallTime? {
        lastChange[ServerRef(virtualServer: vs.address, server: rs.key)] ?? startedAt
    }

    private func isMisc(_ c: CheckerConfig) -> Bool {
        if case .misc = c.kind { return true }
        return false
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}

extension String {
    func replacingFirst(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
