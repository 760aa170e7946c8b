import Foundation
import NetworkModel
import Synchronization

/// Which nodes held the VIP at one instant (wall-clock seconds, comparable with tcpdump's).
struct VIPSample: Sendable {
    var time: Double
    var holders: Set<String>
}

/// A stretch of the timeline with the same holders, from its first sample to the first sample
/// that differed (or the last sample).
struct HolderInterval: Sendable, CustomStringConvertible {
    var start: Double
    var end: Double
    var holders: Set<String>
    var duration: Double { end - start }
    var description: String {
        String(format: "%.3f+%.3fs %@", start, duration, holders.sorted().joined(separator: ","))
    }
}

/// Samples, every `period` (20 ms by default), which nodes hold a VIP: one RTM_GETADDR dump per
/// node per sample through sockets opened in each namespace, on a thread of its own. The
/// timeline answers "who held it at t", "when was it on 0 or on 2+ nodes", "when did node X get it".
final class VIPSampler: @unchecked Sendable {
    let vip: IPAddress
    let period: Duration
    private let core: SamplerCore

    /// Starts sampling `vip` on `nodes`; returns after the first sample was taken.
    init(vip: String, on nodes: [Topology.Node], period: Duration = .milliseconds(20)) async throws {
        guard let address = IPAddress(vip) else {
            throw HarnessError(code: .badData, operation: "parse VIP", object: vip)
        }
        self.vip = address
        self.period = period
        let core = SamplerCore(vip: address, nodes: nodes, period: period)
        self.core = core
        let thread = Thread { core.run() }
        thread.name = "VIPSampler"
        thread.start()
        try await awaitCondition("the first VIP sample", within: .seconds(5)) { try !samples().isEmpty }
    }

    deinit { core.stop() }

    /// Stops the sampling thread (idempotent); the timeline stays readable.
    func stop() { core.stop() }

    // MARK: the timeline

    /// Every sample so far, oldest first. Throws when sampling failed.
    func samples() throws -> [VIPSample] {
        try core.state.withLock { s in
            if let e = s.error { throw e }
            return s.samples
        }
    }

    /// The holders at time `t` (the last sample at or before it), nil before the first sample.
    func holders(at t: Double) throws -> Set<String>? {
        try samples().last { $0.time <= t }?.holders
    }

    /// The holders in the latest sample.
    func currentHolders() throws -> Set<String> { try samples().last?.holders ?? [] }

    /// The timeline as runs of equal holders, restricted to samples in `from...to`.
    func intervals(from: Double = 0, to: Double = .infinity) throws -> [HolderInterval] {
        let window = try samples().filter { $0.time >= from && $0.time <= to }
        var out: [HolderInterval] = []
        for s in window {
            if var last = out.last, last.holders == s.holders {
                last.end = s.time
                out[out.count - 1] = last
            } else {
                if !out.isEmpty { out[out.count - 1].end = s.time }
                out.append(HolderInterval(start: s.time, end: s.time, holders: s.holders))
            }
        }
        return out
    }

    /// Intervals in the window where no node held the VIP.
    func unheldIntervals(from: Double = 0, to: Double = .infinity) throws -> [HolderInterval] {
        try intervals(from: from, to: to).filter { $0.holders.isEmpty }
    }

    /// Intervals in the window where two or more nodes held the VIP.
    func sharedIntervals(from: Double = 0, to: Double = .infinity) throws -> [HolderInterval] {
        try intervals(from: from, to: to).filter { $0.holders.count >= 2 }
    }

    /// The first sample time at or after `after` at which `node` held the VIP.
    func firstTime(heldBy node: String, after: Double = 0) throws -> Double? {
        try samples().first { $0.time >= after && $0.holders.contains(node) }?.time
    }

    /// The first sample time at or after `after` at which `node` did not hold the VIP.
    func firstTime(notHeldBy node: String, after: Double = 0) throws -> Double? {
        try samples().first { $0.time >= after && !$0.holders.contains(node) }?.time
    }

    /// Waits until the latest sample satisfies `condition`; returns that sample.
    @discardableResult
    func awaitHolders(_ what: String, within limit: Duration, _ condition: @escaping (Set<String>) -> Bool) async throws -> VIPSample {
        try await awaitValue("VIP \(vip) \(what)", within: limit) {
            try samples().last.flatMap { condition($0.holders) ? $0 : nil }
        }
    }

    /// Gaps between consecutive samples longer than `limit` seconds (start time, length): blind
    /// spots of the timeline, reported so a test can tell a clean timeline from an unsampled one.
    func gaps(longerThan limit: Double) throws -> [(start: Double, length: Double)] {
        let times = try samples().map(\.time)
        return zip(times, times.dropFirst()).compactMap { $1 - $0 > limit ? ($0, $1 - $0) : nil }
    }

    /// The achieved sample period: median and worst gap between consecutive samples, in seconds.
    func achievedPeriod() throws -> (median: Double, worst: Double, count: Int) {
        let times = try samples().map(\.time)
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }.sorted()
        guard !gaps.isEmpty else { return (0, 0, times.count) }
        return (gaps[gaps.count / 2], gaps.last!, times.count)
    }
}

/// The sampling thread's state; the thread holds this, not the sampler, so dropping the sampler
/// stops the thread.
private final class SamplerCore: Sendable {
    let vip: IPAddress
    let nodes: [Topology.Node]
    let step: Double
    let state = Mutex<(samples: [VIPSample], stop: Bool, error: HarnessError?)>(([], false, nil))
    private let finished = DispatchSemaphore(value: 0)

    init(vip: IPAddress, nodes: [Topology.Node], period: Duration) {
        self.vip = vip
        self.nodes = nodes
        step = Double(period.components.seconds) + Double(period.components.attoseconds) / 1e18
    }

    func stop() {
        let wasRunning = state.withLock { s -> Bool in defer { s.stop = true }; return !s.stop }
        if wasRunning { finished.wait() }
    }

    func run() {
        defer { finished.signal() }
        let readers: [(String, NamespaceAddressReader)]
        do {
            readers = try nodes.map { ($0.name, try NamespaceAddressReader(namespace: $0.namespace)) }
        } catch {
            fail(error)
            return
        }
        var next = WallClock.now()
        while !state.withLock({ $0.stop }) {
            let time = WallClock.now()
            var holders = Set<String>()
            do {
                for (name, reader) in readers where try reader.addresses().contains(vip) { holders.insert(name) }
            } catch {
                fail(error)
                return
            }
            state.withLock { $0.samples.append(VIPSample(time: time, holders: holders)) }
            next += step
            let wait = next - WallClock.now()
            if wait > 0 { usleep(useconds_t(wait * 1e6)) } else { next = WallClock.now() }
        }
    }

    private func fail(_ error: any Error) {
        let e = error as? HarnessError
            ?? HarnessError(code: .systemCall, operation: "sample VIP", object: "\(vip)", detail: "\(error)")
        state.withLock { $0.error = e }
    }
}
