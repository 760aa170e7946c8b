import Foundation
import NetworkModel

/// Which daemon runs on a node.
enum VRRPImplementation: String, Sendable {
    case keepalived, swiftvs
}

/// The notes' interop case 1 on N nodes: one instance VI_1 (vrid 51, advert_int 1, v2, state
/// BACKUP), unicast from each node's address to every other node, auth PASS, VIP
/// 198.51.100.39/24, and a `track_script chk` (file test, weight +20, the file present), with a
/// capture on the bridge and a VIP sampler already running before any daemon starts.
/// With `ipv6`: v3 over IPv6 (2001:db8::/64, VIP 2001:db8::39/64), no authentication.
final class VRRPScenario: @unchecked Sendable {
    /// The VIP without its prefix length.
    let vip: String
    let ipv6: Bool

    let topology: Topology
    let wire: WireCapture
    let sampler: VIPSampler
    /// In topology order: nodes[0] is n1.
    let nodes: [any VRRPNode]

    /// - Parameters:
    ///   - implementations: one per node.
    ///   - priorities: configured priorities (the effective ones are 20 higher while chk passes).
    ///   - passwords: auth_pass per node (nil: "s3cret" everywhere).
    ///   - multicast: leave out unicast_src_ip / unicast_peer.
    ///   - customize: last changes to each node's instance (given the topology and node index).
    ///   - configure: last changes to each node's whole configuration (more instances, groups).
    init(implementations: [VRRPImplementation], priorities: [Int], passwords: [String]? = nil,
         multicast: Bool = false, ipv6: Bool = false, customize: (Topology, Int, inout VRRPInstanceSpec) throws -> Void = { _, _, _ in },
         configure: (Topology, Int, inout VRRPConfig) throws -> Void = { _, _, _ in }) async throws {
        precondition(implementations.count == priorities.count)
        let topology = try Topology(nodes: implementations.count, ipv6: ipv6)
        self.topology = topology
        self.ipv6 = ipv6
        let vip = ipv6 ? "2001:db8::39" : "198.51.100.39"
        self.vip = vip
        wire = try await WireCapture(on: topology)
        sampler = try await VIPSampler(vip: vip, on: topology.nodes)
        var built: [any VRRPNode] = []
        for (i, node) in topology.nodes.enumerated() {
            let scriptFile = topology.path("\(node.name).ok")
            _ = FileManager.default.createFile(atPath: scriptFile, contents: nil)
            var instance = VRRPInstanceSpec()
            instance.priority = priorities[i]
            instance.authPass = ipv6 ? nil : passwords?[i] ?? "s3cret"
            instance.version = ipv6 ? 3 : nil
            instance.virtualAddresses = [ipv6 ? "\(vip)/64" : "\(vip)/24"]
            instance.trackScripts = ["chk"]
            if !multicast {
                let address: (Topology.Node) -> String = { ipv6 ? $0.ipv6! : $0.ipv4 }
                instance.unicastSource = address(node)
                instance.unicastPeers = topology.nodes.filter { $0 != node }.map(address)
            }
            try customize(topology, i, &instance)
            var config = VRRPConfig(routerID: node.name,
                                    scripts: [VRRPScriptSpec(name: "chk", file: scriptFile, interval: 1, weight: 20)],
                                    instances: [instance])
            try configure(topology, i, &config)
            switch implementations[i] {
            case .keepalived: built.append(KeepalivedNode(node, in: topology, config: config))
            case .swiftvs: built.append(SwiftvsNode(node, in: topology, config: config))
            }
        }
        nodes = built
    }

    /// Stops sampling and capturing and removes the topology (every daemon is killed).
    func teardown() {
        sampler.stop()
        wire.stop()
        topology.teardown()
    }

    deinit { teardown() }

    /// The node called "n1", "n2", …
    func node(_ name: String) -> any VRRPNode { nodes.first { $0.node.name == name }! }

    /// The effective priority of a node while its track script passes.
    func effectivePriority(_ name: String) -> Int { node(name).config.instances[0].priority + 20 }

    /// The VIP as an address.
    var vipAddress: IPAddress { IPAddress(vip)! }

    /// The address `name` sends adverts from (unicast_src_ip): its IPv4 or IPv6 address.
    func address(of name: String) -> IPAddress {
        let n = node(name).node
        return IPAddress(ipv6 ? n.ipv6! : n.ipv4)!
    }

    /// Adverts so far from `name`'s address.
    func adverts(from name: String) throws -> [AdvertEvent] {
        let address = address(of: name)
        return try wire.adverts().filter { $0.source == address }
    }

    /// Waits for the first advert from `name` at or after `after`, optionally with a given priority.
    func awaitAdvert(from name: String, after: Double, priority: UInt8? = nil,
                     within limit: Duration) async throws -> AdvertEvent {
        let address = address(of: name)
        return try await explained {
            try await wire.awaitAdvert("from \(name)\(priority.map { " with priority \($0)" } ?? "")",
                                       after: after, within: limit) {
                $0.source == address && (priority == nil || $0.priority == priority)
            }
        }
    }

    /// The first advert from `name` at or after `after`, once the capture has it. An election
    /// seen by the sampler (the VIP on the new master) is no sign that tcpdump has written the
    /// advert sent before it: tcpdump is a process of its own that must be scheduled to read
    /// the packet and write it, and on a loaded machine its file lags the wire. The times are
    /// the kernel's, however late tcpdump writes them.
    func firstAdvert(from name: String, after: Double = 0) async throws -> AdvertEvent {
        try await awaitAdvert(from: name, after: after, within: .seconds(30))
    }

    /// Waits until the VIP's holders satisfy `condition` (see `VIPSampler.awaitHolders`).
    @discardableResult
    func awaitHolders(_ what: String, within limit: Duration,
                      _ condition: @escaping (Set<String>) -> Bool) async throws -> VIPSample {
        try await explained { try await sampler.awaitHolders(what, within: limit, condition) }
    }

    /// Runs `body`; a harness error it throws (a timeout, mostly) gets `diagnostics()` attached.
    func explained<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch var error as HarnessError {
            error.detail += "\n" + diagnostics()
            throw error
        }
    }

    /// Everything useful for a failure message: the capture, the holder timeline, the logs.
    func diagnostics() -> String {
        let timeline = (try? sampler.intervals().map(\.description).joined(separator: "\n")) ?? "(no samples)"
        let logs = nodes.map { "--- \($0.implementation) on \($0.node) ---\n\($0.log())" }.joined(separator: "\n")
        return "--- wire ---\n\(wire.transcript())\n--- VIP holders ---\n\(timeline)\n\(logs)"
    }
}
