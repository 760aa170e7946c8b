import Foundation
import Synchronization

/// One broadcast segment for VRRP tests: a bridge `br0` alone in its own namespace, N node
/// namespaces and an optional client namespace, each joined to the bridge by a veth whose
/// namespace end is `eth0`. IPv4 198.51.100.0/24 (node i is .1i, the client .100), optionally
/// IPv6 2001:db8::/64 with DAD off. Names are unique per process and topology
/// (`vn-sw-PID-SEQ`), so helpers and repeated tests never collide.
///
/// Teardown (explicit, or at deinit) kills every process in the namespaces, including the ones
/// started through `start`, then deletes the namespaces and the scratch directory.
final class Topology: @unchecked Sendable {
    /// A namespace on the segment.
    struct Node: Sendable, Hashable, CustomStringConvertible {
        /// Short label: "n1", "n2", … or "cl".
        let name: String
        let namespace: String
        let interface = "eth0"
        /// The bridge-side veth end (in the switch namespace).
        let bridgePort: String
        let mac: String
        let ipv4: String
        let ipv6: String?
        var description: String { name }
    }

    private static let sequence = Mutex(0)

    let switchNamespace: String
    let bridge = "br0"
    let nodes: [Node]
    let client: Node?
    /// Per-topology scratch directory: configurations, pid files, logs, captures.
    let directory: String

    private let started = Mutex<[ManagedProcess]>([])
    private let tornDown = Mutex(false)

    /// Creates the segment. Throws (after removing what it made) when any step fails.
    init(nodes count: Int, ipv6: Bool = false, client withClient: Bool = false) throws {
        let seq = Topology.sequence.withLock { value -> Int in value += 1; return value }
        if seq == 1 { Topology.removeOrphans() }
        let tag = "\(getpid())-\(seq)"
        switchNamespace = "vn-sw-\(tag)"
        nodes = (1...count).map { i in
            Node(name: "n\(i)", namespace: "vn-n\(i)-\(tag)", bridgePort: "n\(i)-p",
                 mac: String(format: "02:76:6e:00:00:%02x", 0x10 + i), ipv4: "198.51.100.\(10 + i)",
                 ipv6: ipv6 ? "2001:db8::\(10 + i)" : nil)
        }
        client = withClient
            ? Node(name: "cl", namespace: "vn-cl-\(tag)", bridgePort: "cl-p", mac: "02:76:6e:00:00:64",
                   ipv4: "198.51.100.100", ipv6: ipv6 ? "2001:db8::100" : nil)
            : nil
        directory = NSTemporaryDirectory() + "vn-\(tag)"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try build()
        } catch {
            teardown()
            throw error
        }
    }

    deinit { teardown() }

    /// The node namespaces and the client, in order.
    var members: [Node] { nodes + (client.map { [$0] } ?? []) }

    func node(_ name: String) -> Node? { members.first { $0.name == name } }

    private func build() throws {
        try addNamespace(switchNamespace)
        try Command.ip("-n", switchNamespace, "link", "add", bridge, "type", "bridge", "mcast_snooping", "0")
        try Command.ip("-n", switchNamespace, "link", "set", bridge, "up")
        for member in members {
            try addNamespace(member.namespace)
            try Command.ip("-n", switchNamespace, "link", "add", member.bridgePort, "type", "veth",
                           "peer", "name", member.interface, "address", member.mac, "netns", member.namespace)
            try Command.ip("-n", switchNamespace, "link", "set", member.bridgePort, "master", bridge, "up")
            try Command.ip("-n", member.namespace, "addr", "add", "\(member.ipv4)/24", "dev", member.interface)
            if let v6 = member.ipv6 {
                try Command.ip("-n", member.namespace, "addr", "add", "\(v6)/64", "dev", member.interface, "nodad")
            }
            try Command.ip("-n", member.namespace, "link", "set", member.interface, "up")
        }
    }

    /// A namespace with lo up and IPv6 duplicate address detection off for every interface
    /// created in it later (set before the veth arrives, so its link-local address skips DAD too).
    private func addNamespace(_ name: String) throws {
        try Command.ip("netns", "add", name)
        try Command.ip("-n", name, "link", "set", "lo", "up")
        try Command.check([HarnessGate.ip, "netns", "exec", name, "/usr/sbin/sysctl", "-qw",
                           "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.all.accept_dad=0"])
    }

    // MARK: processes

    /// Starts `argv` inside `node`'s namespace (through `ip netns exec`, which execs it, so the
    /// pid is the program's own), logging to `DIR/LABEL.log`. Killed at teardown.
    func start(_ argv: [String], in namespace: String, label: String) throws -> ManagedProcess {
        let process = try ManagedProcess(label: label, argv: [HarnessGate.ip, "netns", "exec", namespace] + argv,
                                         logPath: path("\(label).log"))
        started.withLock { $0.append(process) }
        return process
    }

    /// A path in the scratch directory.
    func path(_ file: String) -> String { directory + "/" + file }

    /// SIGSTOP: the process stays, silent, with its sockets and addresses (a hung daemon).
    func freeze(pid: Int32) throws { try send(SIGSTOP, to: pid) }

    /// SIGCONT after `freeze`.
    func unfreeze(pid: Int32) throws { try send(SIGCONT, to: pid) }

    private func send(_ sig: Int32, to pid: Int32) throws {
        guard kill(pid, sig) == 0 else {
            throw HarnessError(code: .systemCall, operation: "kill -\(sig)", object: "pid \(pid)", errno: errno)
        }
    }

    // MARK: links

    /// Takes the node's link down at both ends: its bridge port and its eth0.
    func linkDown(_ node: Node) throws { try setLink(node, "down") }

    /// Brings both ends of the node's link back up.
    func linkUp(_ node: Node) throws { try setLink(node, "up") }

    /// Bridge port isolation: isolated ports reach no other isolated port (so nodes with
    /// isolated ports cannot hear each other) while every link stays up; the capture on the
    /// bridge still sees what each node sends.
    func isolate(_ node: Node, _ on: Bool) throws {
        try Command.check(["/usr/sbin/bridge", "-n", switchNamespace, "link", "set", "dev", node.bridgePort,
                           "isolated", on ? "on" : "off"])
    }

    private func setLink(_ node: Node, _ state: String) throws {
        try Command.ip("-n", switchNamespace, "link", "set", node.bridgePort, state)
        try Command.ip("-n", node.namespace, "link", "set", node.interface, state)
    }

    // MARK: teardown

    /// Removes `vn-…-PID-SEQ` namespaces (and kills their processes) left by a test process that
    /// died before its teardown ran: only names of this harness whose PID no longer exists.
    static func removeOrphans() {
        guard let list = try? Command.run([HarnessGate.ip, "netns", "list"]), list.status == 0 else { return }
        for line in list.stdout.split(whereSeparator: \.isNewline) {
            let name = String(line.split(separator: " ").first ?? "")
            let parts = name.split(separator: "-")
            guard parts.count == 4, parts[0] == "vn", let owner = Int32(parts[2]), Int(parts[3]) != nil,
                  owner != getpid(), kill(owner, 0) != 0, errno == ESRCH else { continue }
            if let pids = try? Command.run([HarnessGate.ip, "netns", "pids", name]) {
                for pid in pids.stdout.split(whereSeparator: \.isNewline).compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
            }
            _ = try? Command.run([HarnessGate.ip, "netns", "del", name])
        }
    }

    /// The pids of every process in the topology's namespaces.
    func processesInNamespaces() -> [Int32] {
        ([switchNamespace] + members.map(\.namespace)).flatMap { ns -> [Int32] in
            guard let r = try? Command.run([HarnessGate.ip, "netns", "pids", ns]), r.status == 0 else { return [] }
            return r.stdout.split(whereSeparator: \.isNewline).compactMap { Int32($0) }
        }
    }

    /// Kills every process in the namespaces (and every process started here), waits for them to
    /// be gone, deletes the namespaces and the scratch directory. Safe to call more than once.
    func teardown() {
        let first = tornDown.withLock { done -> Bool in defer { done = true }; return !done }
        guard first else { return }
        let processes = started.withLock { $0 }
        for p in processes where p.isRunning {
            kill(p.pid, SIGKILL)
        }
        let deadline = ContinuousClock.now + .seconds(5)
        repeat {
            let pids = processesInNamespaces()
            if pids.isEmpty && processes.allSatisfy({ !$0.isRunning }) { break }
            for pid in pids { kill(pid, SIGKILL) }
            Thread.sleep(forTimeInterval: 0.02)
        } while ContinuousClock.now < deadline
        for ns in members.map(\.namespace) + [switchNamespace] {
            _ = try? Command.run([HarnessGate.ip, "netns", "del", ns])
        }
        if ProcessInfo.processInfo.environment["VN_KEEP"] == nil {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}
