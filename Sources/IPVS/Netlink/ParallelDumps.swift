import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The destination dumps of a listing spread over a few sockets, each driven by its own
/// thread: the kernel allows one dump in flight per socket, and a listing makes one
/// destination dump per service, so a big table is thousands of round trips that need not
/// wait for each other. The calling thread works on the handle's main connection, helper
/// threads on the handle's extra connections; services are handed out in small chunks
/// from a shared counter, and the results are put back in the services' order.
///
/// Errors: every chunk a worker has claimed is finished before it looks at the failure
/// flag, so every service before the first failure has been dumped, and the failure
/// reported is the one of the lowest index, as the sequential loop would report it.
enum ParallelDumps {
    /// Services per claim: small enough to balance, large enough to keep the counter cold.
    static let chunk = 32

    /// Destinations of every key, in the keys' order.
    static func destinations(of keys: [ServiceKey], main: inout Connection,
                             helpers: [ExtraConnection]) throws(IPVSError) -> [[DestinationEntry]] {
        let state = State(keys: keys)
        var threads: [pthread_t] = []
        var workers: [Worker] = []
        for helper in helpers {
            let worker = Worker(state: state, connection: helper)
            var thread = pthread_t()
            let context = Unmanaged.passRetained(worker).toOpaque()
            let rc = pthread_create(&thread, nil, { raw in
                let worker = Unmanaged<Worker>.fromOpaque(raw!).takeRetainedValue()
                worker.run()
                return nil
            }, context)
            if rc != 0 {
                // Fewer threads only means more work for the others.
                Unmanaged<Worker>.fromOpaque(context).release()
                continue
            }
            threads.append(thread)
            workers.append(worker)
        }
        let own = work(&main, state)
        for t in threads { pthread_join(t, nil) }

        var result = [[DestinationEntry]](repeating: [], count: keys.count)
        var firstFailure: (index: Int, error: IPVSError)? = nil
        for outcome in [own] + workers.map({ $0.outcome.withLock { $0 } ?? .failed(index: keys.count, error: lost) }) {
            switch outcome {
            case let .done(parts):
                for (index, destinations) in parts { result[index] = destinations }
            case let .failed(index, error):
                if firstFailure == nil || index < firstFailure!.index { firstFailure = (index, error) }
            }
        }
        if let firstFailure { throw firstFailure.error }
        return result
    }

    /// What a worker did: the destinations it dumped, by service index, or its failure.
    enum Outcome: Sendable {
        case done([(index: Int, destinations: [DestinationEntry])])
        case failed(index: Int, error: IPVSError)
    }

    private static let lost = IPVSError(code: .system, operation: .listDestinations,
                                        reason: "a destination-dump thread ended without a result")

    /// The work shared by all threads of one listing.
    final class State: Sendable {
        let keys: [ServiceKey]
        let next = Atomic<Int>(0)
        let failed = Atomic<Bool>(false)
        init(keys: [ServiceKey]) { self.keys = keys }
    }

    /// One helper thread's job: its connection, and where it leaves its outcome (read after
    /// `pthread_join`).
    final class Worker: Sendable {
        let state: State
        let connection: ExtraConnection
        let outcome = Mutex<Outcome?>(nil)

        init(state: State, connection: ExtraConnection) {
            self.state = state
            self.connection = connection
        }

        func run() {
            let result = connection.connection.withLock { (c: inout Connection) in ParallelDumps.work(&c, state) }
            outcome.withLock { $0 = result }
        }
    }

    /// Claims chunks until none are left or some worker failed.
    static func work(_ c: inout Connection, _ state: State) -> Outcome {
        var parts: [(index: Int, destinations: [DestinationEntry])] = []
        let keys = state.keys
        while !state.failed.load(ordering: .relaxed) {
            let start = state.next.wrappingAdd(chunk, ordering: .relaxed).oldValue
            if start >= keys.count { break }
            for i in start..<min(start + chunk, keys.count) {
                do throws(IPVSError) {
                    parts.append((i, try c.dumpDestinations(keys[i])))
                } catch {
                    state.failed.store(true, ordering: .relaxed)
                    return .failed(index: i, error: error)
                }
            }
        }
        return .done(parts)
    }
}
